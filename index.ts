/**
 * Tributary as a library: the plugin that runs its workflows and activities on a worker of yours, the
 * activities' factory for a worker built by hand, the import spec's schema and types, and the names it
 * registers (prefixed, so they cannot clash with yours), and the error a connection whose SDK is not installed
 * fails with. The client helpers are `tributary/client`; the HTTP API as a Fastify plugin is `tributary/fastify`.
 */
export { TributaryPlugin, type TributaryPluginOptions } from './plugin/tributaryPlugin';
export { createActivities, registeredActivities } from './activities';
export type { Activities, ActivityDeps, RunRecord, RunStatus, BatchResult } from './activities';
export {
  importSpec,
  parseImportSpec,
  InvalidSpecError,
  type ImportSpec,
  type ImportSpecInput,
  type DataType,
  type ProfileImport,
  type ActivityImport,
  type SegmentsImport,
  type IdentityImport,
  type GroupImport,
} from './domain/importSpec';
export { WORKFLOW_TYPES, LEGACY_WORKFLOW_TYPES, prefixedActivityName } from './workflows/names';
export {
  importWorkflowId,
  pauseSignal,
  resumeSignal,
  progressQuery,
  throttleSignal,
  type ImportProgress,
} from './workflows/definitions';
export type { ImportWorkflowInput } from './workflows/importInput';
export { TRIBUTARY_WORKFLOWS_PATH } from './temporal/workflowBundle';
export type { ConnectionResolver, SourceConnector } from './connectors/source';
export type { OperatorPolicy } from './connectors/common/operatorPolicy';
export { MissingPackageError, OPTIONAL_PACKAGES } from './connectors/common/optionalPackages';
