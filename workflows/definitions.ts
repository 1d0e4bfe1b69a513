/**
 * Signals, queries and ids of the import workflow, defined once and imported by the workflow, clients,
 * the API and tests. Deterministic code only: this file is bundled into the workflow sandbox.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { WORKFLOW_TYPES } from './names';
import type { ThrottleChange } from '../domain/throttle';

// The throttle's rules live in domain/throttle.ts; re-exported here beside the signal that carries one.
export { MAX_ROWS_PER_SECOND, throttledBatchRows, throttleProblem, type ThrottleChange } from '../domain/throttle';

export const IMPORT_WORKFLOW_TYPE = WORKFLOW_TYPES.import;

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
  /** The run's throttle, rows per second; null: as fast as it goes. */
  rowsPerSecond: number | null;
}

/**
 * How a run is steered besides its spec (importWorkflow's `control`, carried across continue-as-new):
 * a throttle, the history budget per execution, and for a backfill partition the parent to report to.
 */
export interface RunControl {
  rowsPerSecond?: number | null;
  /** Batches per workflow execution before continuing as new (default 500). */
  batchesPerExecution?: number;
  /** Rows per batch at most, below the spec's batch size (backfill partitions: smaller transactions). */
  maxBatchRows?: number;
  /** A backfill partition tells its backfill when it ends (by workflow id, so it reaches the latest run). */
  reportTo?: { workflowId: string; partition: number };
}

/** What a backfill partition reports to its backfill when its run ends. */
export interface PartitionDone {
  partition: number;
  status: 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';
  rowsRead: number;
}

/** Pause at the next batch boundary; nothing advances until resumed. */
export const pauseSignal = defineSignal('pause');
/** Resume a paused run from its committed position. */
export const resumeSignal = defineSignal('resume');
/** Progress of the current run: stage, rows read and loaded, position. */
export const progressQuery = defineQuery<ImportProgress>('progress');
/** Change the throttle: `{"rowsPerSecond": 500}` (null lifts it); a backfill also takes `concurrency`. */
export const throttleSignal = defineSignal<[ThrottleChange]>('throttle');
/** A backfill partition's run has ended (sent by the partition to its backfill). */
export const partitionDoneSignal = defineSignal<[PartitionDone]>('partitionDone');
