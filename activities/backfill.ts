/**
 * Backfill activities. planBackfill fixes the partitions once (the store keeps the plan, so a retry or a
 * restarted backfill gets the same one) and hands the planned stretch over from the incremental import:
 * under the incremental position's lock it plans from that position on and moves the position to the
 * backfill's end, so the incremental import continues after the backfill and no row is read by both.
 * backfillTotals reads progress from the store; finishBackfill records the outcome.
 */
import { type ImportSpec, isSnapshot } from '../domain/importSpec';
import { ConfigurationError, type Position } from '../connectors/source';
import { canPlanRanges } from '../connectors/rangePlanner';
import { type BackfillStatus, type BackfillTotals, loadBackfill, partitionStates, type StoredBackfill, totalsOf } from '../store/backfills';
import { checkColumns, relationOf } from '../engine/extract';
import { type ActivityDeps, openSource } from '../engine/deps';
import { keepAlive } from './keepAlive';
import { upsertImport } from '../store/imports';
import { inTransaction } from '../store/transaction';

export interface PlanBackfillInput {
  spec: ImportSpec;
  backfillId: string;
  workflowId: string;
  /** Rows with cursor >= from; null: from where the incremental import stands. */
  from: string | null;
  /** Rows with cursor < to; null: up to the source's bound now (lag applied). */
  to: string | null;
  /** Partitions wanted; null: about ROWS_PER_PARTITION rows each. */
  partitions: number | null;
  /** The stream name of partition n (a pure function the workflow owns). */
  streamPrefix: string;
}

export interface PlannedBackfillPartition {
  n: number;
  stream: string;
  after: Position | null;
  upperBound: string;
  rows: number;
}

export interface BackfillPlan {
  partitions: PlannedBackfillPartition[];
  totalRows: number;
  skippedRows: number;
  sourceKind: string;
  incrementalMoved: boolean;
}

/** Default partition size when none is asked for: big enough to amortise a run, small enough to spread. */
export const ROWS_PER_PARTITION = 250_000;
export const MAX_PARTITIONS = 1_000;

const planOf = (b: StoredBackfill, sourceKind: string): BackfillPlan => ({
  partitions: b.partitions.map((p) => ({ n: p.n, stream: p.stream, after: p.after, upperBound: p.upper.cursor, rows: p.rows })),
  totalRows: b.totalRows,
  skippedRows: b.skippedRows,
  sourceKind,
  incrementalMoved: b.incrementalMoved,
});

export function backfillActivities(deps: ActivityDeps) {
  async function planBackfill(input: PlanBackfillInput): Promise<BackfillPlan> {
    return keepAlive(() => plan(input));
  }

  async function plan({ spec, backfillId, workflowId, from, to, partitions, streamPrefix }: PlanBackfillInput): Promise<BackfillPlan> {
    if (isSnapshot(spec)) {
      throw new ConfigurationError(`import ${spec.id} has sync "snapshot": each run reads the whole source, so it takes no backfill`);
    }
    const stored = await loadBackfill(deps.store, spec.id, backfillId);
    const { session, kind } = await openSource(deps, spec.source.connection);
    try {
      if (stored) return planOf(stored, kind);
      if (!canPlanRanges(session)) {
        throw new ConfigurationError(`backfills plan their partitions with the source's own counts, which ${kind} sources cannot do yet (postgres can)`);
      }
      const relation = relationOf(spec);
      const cursor = await checkColumns(session, spec);
      const upperBound = await session.upperBound(relation, cursor, spec.cursor.lag, spec.timeZone);
      await inTransaction(deps.store, async (client) => {
        await upsertImport(client, spec);
        await client.query("INSERT INTO positions (import_id, stream) VALUES ($1, '') ON CONFLICT DO NOTHING", [spec.id]);
        // The incremental import's lock: a batch of it that is committing finishes first, and none starts
        // until the hand-over below is committed.
        const pos = await client.query("SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = '' FOR UPDATE", [spec.id]);
        const incremental: Position | null = pos.rows[0].cursor_value === null ? null : { cursor: pos.rows[0].cursor_value, key: pos.rows[0].key_value };
        const planned = upperBound === null
          ? { start: incremental, skipped: 0, partitions: [] }
          : await session.planRange(relation, {
            cursor: spec.cursor.column, key: spec.cursor.key, after: incremental, from, to, upperBound,
            parts: partitions, rowsPerPart: ROWS_PER_PARTITION, maxParts: MAX_PARTITIONS,
          });
        const end = planned.partitions.at(-1)?.upper ?? null;
        const moved = end !== null;
        if (moved) {
          await client.query("UPDATE positions SET cursor_value = $2, key_value = $3, updated_at = now() WHERE import_id = $1 AND stream = ''",
            [spec.id, end.cursor, end.key]);
        }
        const total = planned.partitions.reduce((a, p) => a + p.rows, 0);
        await client.query(
          `INSERT INTO backfills (import_id, id, workflow_id, range_from, range_to, start_cursor, start_key, end_cursor, end_key,
             total_rows, skipped_rows, incremental_moved) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [spec.id, backfillId, workflowId, from, to, planned.start?.cursor ?? null, planned.start?.key ?? null,
            end?.cursor ?? null, end?.key ?? null, total, planned.skipped, moved],
        );
        let after = planned.start;
        for (const [n, p] of planned.partitions.entries()) {
          await client.query(
            `INSERT INTO backfill_partitions (import_id, backfill_id, n, stream, after_cursor, after_key, upper_cursor, upper_key, rows)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
            [spec.id, backfillId, n, `${streamPrefix}${n}`, after?.cursor ?? null, after?.key ?? null, p.upper.cursor, p.upper.key, p.rows],
          );
          after = p.upper;
        }
      });
      return planOf((await loadBackfill(deps.store, spec.id, backfillId))!, kind);
    } finally {
      await session.close();
    }
  }

  async function backfillTotals({ importId, backfillId }: { importId: string; backfillId: string }): Promise<BackfillTotals> {
    return totalsOf(await partitionStates(deps.store, importId, backfillId));
  }

  async function finishBackfill(input: { importId: string; backfillId: string; outcome: 'completed' | 'failed' | 'cancelled' }): Promise<BackfillStatus> {
    const states = await partitionStates(deps.store, input.importId, input.backfillId);
    let status: BackfillStatus;
    if (input.outcome !== 'completed') status = input.outcome;
    else if (states.some((s) => s.status !== 'succeeded' && s.status !== 'partially_succeeded')) status = 'failed';
    else status = states.some((s) => s.status === 'partially_succeeded') ? 'partially_succeeded' : 'succeeded';
    const res = await deps.store.query(
      `UPDATE backfills SET status = CASE WHEN status = 'running' THEN $3 ELSE status END, ended_at = coalesce(ended_at, clock_timestamp())
       WHERE import_id = $1 AND id = $2 RETURNING status`,
      [input.importId, input.backfillId, status],
    );
    return (res.rows[0]?.status as BackfillStatus | undefined) ?? status;
  }

  return { planBackfill, backfillTotals, finishBackfill };
}
