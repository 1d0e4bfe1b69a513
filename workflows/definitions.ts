/**
 * Signals, queries and ids of the import workflow, defined once and imported by the workflow, clients,
 * the API and tests. Deterministic code only: this file is bundled into the workflow sandbox.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { WORKFLOW_TYPES } from './names';

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

/** A change of throttle: rows per second (null lifts it) and, for a backfill, partitions at once. */
export interface ThrottleChange {
  rowsPerSecond?: number | null;
  concurrency?: number;
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

/** Rows per batch for a throttled run: about two seconds' worth, so a new throttle takes hold quickly. */
export function throttledBatchRows(rowsPerSecond: number | null | undefined, batchSize: number): number {
  if (!rowsPerSecond) return batchSize;
  return Math.max(100, Math.min(batchSize, Math.round(rowsPerSecond * 2)));
}

/** A throttle change checked the same way by the update's validator, the API and the signal handler. */
/** The fastest throttle a backfill or run may be given: above it a throttle no longer limits anything. */
export const MAX_ROWS_PER_SECOND = 10_000_000;

export function throttleProblem(change: ThrottleChange): string | null {
  if (change === null || typeof change !== 'object') return 'the throttle must be an object such as {"rowsPerSecond": 500}';
  const r = change.rowsPerSecond;
  if (r !== undefined && r !== null && !(typeof r === 'number' && Number.isFinite(r) && r >= 1 && r <= MAX_ROWS_PER_SECOND)) {
    return `rowsPerSecond must be a number from 1 to ${MAX_ROWS_PER_SECOND}, or null`;
  }
  const c = change.concurrency;
  if (c !== undefined && !(Number.isInteger(c) && c >= 1 && c <= 64)) return 'concurrency must be an integer from 1 to 64';
  return null;
}
