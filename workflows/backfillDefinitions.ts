/**
 * The backfill workflow's ids, input, queries, signals and update, defined once and imported by the
 * workflow, the API and tests. Deterministic code only: bundled into the workflow sandbox. Pause, resume
 * and throttle are the same signals as an import run's (workflows/definitions.ts), so an operator sends
 * the same thing to either from the Web UI.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { WORKFLOW_TYPES } from './names';
import type { ImportSpecInput } from '../domain/importSpec';
import type { PartitionDone } from './definitions';
import type { Throttle, ThrottleChange } from '../domain/throttle';

export type { Throttle } from '../domain/throttle';

export const BACKFILL_WORKFLOW_TYPE = WORKFLOW_TYPES.backfill;

/** Ids are pure functions of the import id, the backfill id and the partition number. */
export const backfillWorkflowId = (importId: string, backfillId: string): string =>
  `backfill:${importId}:${backfillId}`;
export const partitionWorkflowId = (importId: string, backfillId: string, n: number): string =>
  `backfill:${importId}:${backfillId}:${n}`;
/** The position stream of partition n: `backfill:<backfill id>:<n>`. */
export const partitionStreamPrefix = (backfillId: string): string => `backfill:${backfillId}:`;
export const partitionStream = (backfillId: string, n: number): string => `${partitionStreamPrefix(backfillId)}${n}`;

export interface BackfillInput {
  backfillId: string;
  spec: ImportSpecInput;
  /** Rows with cursor >= from; null: from where the incremental import stands. */
  from: string | null;
  /** Rows with cursor < to; null: up to the source's bound now. */
  to: string | null;
  /** Partitions wanted; null: sized from the source's count. */
  partitions: number | null;
  throttle: Throttle;
  /** Each partition's batches per execution before it continues as new (default 500). */
  batchesPerExecution?: number;
  /** Partitions this workflow starts per execution before it continues as new (default 100). */
  partitionsPerExecution?: number;
  /** Set only by the workflow itself when it continues as new. */
  carry?: BackfillCarry | null;
}

/** What one execution hands the next when it continues as new. */
export interface BackfillCarry {
  next: number;
  running: number[];
  done: PartitionDone[];
  paused: boolean;
  throttle: Throttle;
  samples: [number, number][];
}

export type BackfillStage =
  | 'planning'
  | 'running'
  | 'paused'
  | 'finishing'
  | 'succeeded'
  | 'partially_succeeded'
  | 'failed'
  | 'cancelling'
  | 'cancelled';

export interface BackfillProgress {
  importId: string;
  backfillId: string;
  stage: BackfillStage;
  paused: boolean;
  throttle: Throttle;
  partitions: number;
  partitionsDone: number;
  partitionsRunning: number[];
  /** Partitions that ended without success (failed or cancelled on their own). */
  partitionsFailed: number[];
  plannedRows: number;
  rowsRead: number;
  /** Rows per second over the last minute or so (from the store's committed counts). */
  rowsPerSecond: number;
  /** Seconds left at that rate; null when unknown (nothing measured yet, or paused). */
  etaSeconds: number | null;
  /** Rows before `from` the incremental import had not loaded, skipped as asked. */
  skippedRows: number;
}

/** Progress: partitions done of total, rows, rate and time left. Answered by the workflow itself. */
export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');
/** Change the throttle and get the new one back; rejected (nothing changes) when invalid. */
export const setThrottleUpdate = defineUpdate<Throttle, [ThrottleChange]>('setThrottle');
