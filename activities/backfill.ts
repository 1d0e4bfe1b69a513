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
import {
  type BackfillStatus,
  type BackfillTotals,
  endBackfill,
  insertBackfillPlan,
  loadBackfill,
  partitionStates,
  type StoredBackfill,
  totalsOf,
} from '../store/backfills';
import { createPosition, INCREMENTAL_STREAM, lockStreamPosition, movePosition } from '../store/positions';
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
  partitions: b.partitions.map((p) => ({
    n: p.n,
    stream: p.stream,
    after: p.after,
    upperBound: p.upper.cursor,
    rows: p.rows,
  })),
  totalRows: b.totalRows,
  skippedRows: b.skippedRows,
  sourceKind,
  incrementalMoved: b.incrementalMoved,
});

export function backfillActivities(deps: ActivityDeps) {
  async function planBackfill(input: PlanBackfillInput): Promise<BackfillPlan> {
    return keepAlive(() => plan(input));
  }

  async function plan({
    spec,
    backfillId,
    workflowId,
    from,
    to,
    partitions,
    streamPrefix,
  }: PlanBackfillInput): Promise<BackfillPlan> {
    if (isSnapshot(spec)) {
      throw new ConfigurationError(
        `import ${spec.id} has sync "snapshot": each run reads the whole source, so it takes no backfill`,
      );
    }
    const stored = await loadBackfill(deps.store, spec.id, backfillId);
    const { session, kind } = await openSource(deps, spec.source.connection);
    try {
      if (stored) return planOf(stored, kind);
      if (!canPlanRanges(session)) {
        throw new ConfigurationError(
          `backfills plan their partitions with the source's own counts, which ${kind} sources cannot do yet (postgres can)`,
        );
      }
      const relation = relationOf(spec);
      const cursor = await checkColumns(session, spec);
      const upperBound = await session.upperBound(relation, cursor, spec.cursor.lag, spec.timeZone);
      await inTransaction(deps.store, async (client) => {
        await upsertImport(client, spec);
        await createPosition(client, spec.id, INCREMENTAL_STREAM);
        // The incremental import's lock: a batch of it that is committing finishes first, and none starts
        // until the hand-over below is committed.
        const incremental = await lockStreamPosition(client, spec.id, INCREMENTAL_STREAM);
        const planned =
          upperBound === null
            ? { start: incremental, skipped: 0, partitions: [] }
            : await session.planRange(relation, {
                cursor: spec.cursor.column,
                key: spec.cursor.key,
                after: incremental,
                from,
                to,
                upperBound,
                parts: partitions,
                rowsPerPart: ROWS_PER_PARTITION,
                maxParts: MAX_PARTITIONS,
              });
        const end = planned.partitions.at(-1)?.upper ?? null;
        const moved = end !== null;
        if (end !== null) await movePosition(client, spec.id, INCREMENTAL_STREAM, end);
        await insertBackfillPlan(client, {
          importId: spec.id,
          backfillId,
          workflowId,
          from,
          to,
          start: planned.start,
          end,
          skipped: planned.skipped,
          incrementalMoved: moved,
          partitions: planned.partitions,
          streamPrefix,
        });
      });
      return planOf((await loadBackfill(deps.store, spec.id, backfillId))!, kind);
    } finally {
      await session.close();
    }
  }

  async function backfillTotals({
    importId,
    backfillId,
  }: {
    importId: string;
    backfillId: string;
  }): Promise<BackfillTotals> {
    return totalsOf(await partitionStates(deps.store, importId, backfillId));
  }

  async function finishBackfill(input: {
    importId: string;
    backfillId: string;
    outcome: 'completed' | 'failed' | 'cancelled';
  }): Promise<BackfillStatus> {
    const states = await partitionStates(deps.store, input.importId, input.backfillId);
    let status: BackfillStatus;
    if (input.outcome !== 'completed') status = input.outcome;
    else if (states.some((s) => s.status !== 'succeeded' && s.status !== 'partially_succeeded')) status = 'failed';
    else status = states.some((s) => s.status === 'partially_succeeded') ? 'partially_succeeded' : 'succeeded';
    return (await endBackfill(deps.store, input.importId, input.backfillId, status)) ?? status;
  }

  return { planBackfill, backfillTotals, finishBackfill };
}
