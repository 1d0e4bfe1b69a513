/**
 * Backfill plans and their progress as the store holds them: written and read by the backfill activities,
 * read by the API. A plan is written once, in the transaction that hands its stretch over from the
 * incremental import (the caller holds the incremental position's lock, store/positions.ts), so a retried
 * or restarted backfill reads the same plan; a backfill ends once (endBackfill keeps the first outcome).
 */
import type pg from 'pg';
import type { Position } from '../connectors/source';
import { loadedRowsSql } from './runs';

export type BackfillStatus = 'running' | 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';

export interface StoredPartition {
  n: number;
  stream: string;
  /** Exclusive start; null from the start of the source. */
  after: Position | null;
  /** Inclusive end: the last cursor value and the largest key at it. */
  upper: Position;
  /** Rows planned (counted when the backfill was planned). */
  rows: number;
}

export interface StoredBackfill {
  importId: string;
  backfillId: string;
  workflowId: string;
  from: string | null;
  to: string | null;
  start: Position | null;
  end: Position | null;
  totalRows: number;
  skippedRows: number;
  incrementalMoved: boolean;
  status: BackfillStatus;
  createdAt: Date;
  endedAt: Date | null;
  partitions: StoredPartition[];
}

const position = (cursor: string | null, key: string | null): Position | null =>
  cursor === null ? null : { cursor, key: key ?? '' };

export async function loadBackfill(
  db: pg.Pool | pg.PoolClient,
  importId: string,
  backfillId: string,
): Promise<StoredBackfill | null> {
  const b = await db.query('SELECT * FROM backfills WHERE import_id = $1 AND id = $2', [importId, backfillId]);
  const r = b.rows[0];
  if (!r) return null;
  const parts = await db.query(
    'SELECT * FROM backfill_partitions WHERE import_id = $1 AND backfill_id = $2 ORDER BY n',
    [importId, backfillId],
  );
  return {
    importId,
    backfillId,
    workflowId: r.workflow_id,
    from: r.range_from,
    to: r.range_to,
    start: position(r.start_cursor, r.start_key),
    end: position(r.end_cursor, r.end_key),
    totalRows: Number(r.total_rows),
    skippedRows: Number(r.skipped_rows),
    incrementalMoved: r.incremental_moved,
    status: r.status,
    createdAt: r.created_at,
    endedAt: r.ended_at,
    partitions: parts.rows.map((p) => ({
      n: p.n,
      stream: p.stream,
      after: position(p.after_cursor, p.after_key),
      upper: { cursor: p.upper_cursor, key: p.upper_key },
      rows: Number(p.rows),
    })),
  };
}

export interface PartitionState {
  n: number;
  plannedRows: number;
  /** The partition's run, if it has begun: its status and counts (retried batches never count twice). */
  status: 'pending' | 'running' | 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';
  rowsRead: number;
  rowsLoaded: number;
  rejected: number;
  /** Committed position of the partition's stream. */
  position: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
}

/** Each partition's latest run and committed position, straight from the store. */
export async function partitionStates(db: pg.Pool, importId: string, backfillId: string): Promise<PartitionState[]> {
  const res = await db.query(
    `SELECT p.n, p.rows, r.status, pos.cursor_value,
            coalesce(r.rows_read, 0) AS rows_read,
            coalesce(${loadedRowsSql('r')}, 0) AS loaded,
            coalesce(r.rejected, 0) AS rejected, r.started_at, r.ended_at
     FROM backfill_partitions p
     LEFT JOIN LATERAL (SELECT * FROM runs WHERE import_id = p.import_id AND stream = p.stream ORDER BY id DESC LIMIT 1) r ON true
     LEFT JOIN positions pos ON pos.import_id = p.import_id AND pos.stream = p.stream
     WHERE p.import_id = $1 AND p.backfill_id = $2 ORDER BY p.n`,
    [importId, backfillId],
  );
  return res.rows.map((r) => ({
    n: r.n,
    plannedRows: Number(r.rows),
    status: r.status ?? 'pending',
    rowsRead: Number(r.rows_read),
    rowsLoaded: Number(r.loaded),
    rejected: Number(r.rejected),
    position: r.cursor_value ?? null,
    startedAt: r.started_at ?? null,
    endedAt: r.ended_at ?? null,
  }));
}

export interface BackfillTotals {
  partitions: number;
  partitionsDone: number;
  partitionsRunning: number;
  plannedRows: number;
  rowsRead: number;
  rowsLoaded: number;
  rejected: number;
}

export function totalsOf(states: PartitionState[]): BackfillTotals {
  const done = (s: PartitionState) => s.status !== 'pending' && s.status !== 'running';
  return {
    partitions: states.length,
    partitionsDone: states.filter(done).length,
    partitionsRunning: states.filter((s) => s.status === 'running').length,
    plannedRows: states.reduce((a, s) => a + s.plannedRows, 0),
    rowsRead: states.reduce((a, s) => a + s.rowsRead, 0),
    rowsLoaded: states.reduce((a, s) => a + s.rowsLoaded, 0),
    rejected: states.reduce((a, s) => a + s.rejected, 0),
  };
}

export interface NewBackfillPlan {
  importId: string;
  backfillId: string;
  workflowId: string;
  from: string | null;
  to: string | null;
  /** Where the first partition starts (exclusive); null from the start of the source. */
  start: Position | null;
  /** The last partition's end; null when nothing was planned. */
  end: Position | null;
  skipped: number;
  incrementalMoved: boolean;
  /** In order: each starts after the one before it, the first after `start`. */
  partitions: { upper: Position; rows: number }[];
  /** Partition n reads stream `${streamPrefix}${n}`. */
  streamPrefix: string;
}

/** Records a plan and its partitions, in the caller's hand-over transaction. */
export async function insertBackfillPlan(client: pg.ClientBase, plan: NewBackfillPlan): Promise<void> {
  const { importId, backfillId, start, end } = plan;
  const total = plan.partitions.reduce((a, p) => a + p.rows, 0);
  await client.query(
    `INSERT INTO backfills (import_id, id, workflow_id, range_from, range_to, start_cursor, start_key, end_cursor, end_key,
       total_rows, skipped_rows, incremental_moved) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      importId,
      backfillId,
      plan.workflowId,
      plan.from,
      plan.to,
      start?.cursor ?? null,
      start?.key ?? null,
      end?.cursor ?? null,
      end?.key ?? null,
      total,
      plan.skipped,
      plan.incrementalMoved,
    ],
  );
  let after = start;
  for (const [n, p] of plan.partitions.entries()) {
    await client.query(
      `INSERT INTO backfill_partitions (import_id, backfill_id, n, stream, after_cursor, after_key, upper_cursor, upper_key, rows)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        importId,
        backfillId,
        n,
        `${plan.streamPrefix}${n}`,
        after?.cursor ?? null,
        after?.key ?? null,
        p.upper.cursor,
        p.upper.key,
        p.rows,
      ],
    );
    after = p.upper;
  }
}

/** Ends a running backfill with `status`; returns the status it ended with (null: no such backfill). */
export async function endBackfill(
  db: pg.Pool | pg.ClientBase,
  importId: string,
  backfillId: string,
  status: BackfillStatus,
): Promise<BackfillStatus | null> {
  const res = await db.query(
    `UPDATE backfills SET status = CASE WHEN status = 'running' THEN $3 ELSE status END, ended_at = coalesce(ended_at, clock_timestamp())
     WHERE import_id = $1 AND id = $2 RETURNING status`,
    [importId, backfillId, status],
  );
  return (res.rows[0]?.status as BackfillStatus | undefined) ?? null;
}

/** An import's backfills, newest first. */
export async function backfillIdsOf(db: pg.Pool | pg.ClientBase, importId: string): Promise<string[]> {
  const res = await db.query('SELECT id FROM backfills WHERE import_id = $1 ORDER BY created_at DESC, id', [importId]);
  return res.rows.map((r) => r.id as string);
}
