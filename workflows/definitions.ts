/**
 * Signals, queries and ids of the import workflow, defined once and imported by the workflow, clients,
 * the API and tests. Deterministic code only: this file is bundled into the workflow sandbox.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const IMPORT_WORKFLOW_TYPE = 'importWorkflow';

/** One run per import at a time: the workflow id is a pure function of the import id. */
export const importWorkflowId = (importId: string): string => `import:${importId}`;

export type RunStage = 'starting' | 'importing' | 'paused' | 'finishing' | 'completed' | 'failed' | 'cancelled';

export interface ImportProgress {
  importId: string;
  runId: number | null;
  stage: RunStage;
  paused: boolean;
  /** Rows read from the source so far in this run. */
  rowsRead: number;
  /** Rows that reached the store: created, updated, unchanged, duplicates or skipped. */
  rowsLoaded: number;
  rejected: number;
  batches: number;
  /** The committed position: cursor value of the last row loaded. */
  position: string | null;
  upperBound: string | null;
  nullCursorRows: number;
}

/** Pause at the next batch boundary; nothing advances until resumed. */
export const pauseSignal = defineSignal('pause');
/** Resume a paused run from its committed position. */
export const resumeSignal = defineSignal('resume');
/** Progress of the current run: stage, rows read and loaded, position. */
export const progressQuery = defineQuery<ImportProgress>('progress');
