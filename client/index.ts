/**
 * `tributary/client`: what a program with a Temporal Client needs to drive imports. The helpers start,
 * pause, resume, stop, query and list them; the signal, query and update definitions and the workflow
 * ids and types are re-exported from where the workflows define them, for a caller who signals a run
 * directly (`handle.signal(pauseSignal)`). Nothing here loads a worker, a store or a source driver.
 */
export {
  startImport,
  pauseImport,
  resumeImport,
  stopImport,
  importProgress,
  listImports,
  runningImportRuns,
  importResult,
  type StartImportOptions,
  type LifecycleResult,
  type ListImportsOptions,
  type ImportRunSummary,
} from './imports';
export {
  IMPORT_WORKFLOW_TYPE,
  importWorkflowId,
  pauseSignal,
  resumeSignal,
  progressQuery,
  throttleSignal,
  throttleProblem,
  MAX_ROWS_PER_SECOND,
  type ImportProgress,
  type RunStage,
  type ThrottleChange,
} from '../workflows/definitions';
export {
  BACKFILL_WORKFLOW_TYPE,
  backfillWorkflowId,
  backfillProgressQuery,
  setThrottleUpdate,
  type BackfillProgress,
  type BackfillStage,
  type Throttle,
} from '../workflows/backfillDefinitions';
export {
  PURGE_WORKFLOW_TYPE,
  purgeWorkflowId,
  purgeNowSignal,
  type PurgeInput,
} from '../workflows/lifecycleDefinitions';
export {
  DROP_FOLDER_WORKFLOW_TYPE,
  dropFolderWorkflowId,
  dropFolderQuery,
  type DropFolderSummary,
} from '../workflows/dropFolderDefinitions';
export { WORKFLOW_TYPES, LEGACY_WORKFLOW_TYPES } from '../workflows/names';
export { SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
export { IMPORT_TASK_QUEUE } from '../temporal/taskQueues';
export type { RunRecord, RunStatus } from '../activities/finishRun';
export { parseImportSpec, InvalidSpecError, type ImportSpec, type ImportSpecInput } from '../domain/importSpec';
