/**
 * Partition planning for backfills: a source that implements RangePlanner splits a stretch of its rows,
 * in (cursor, key) order, into partitions of about equal row counts, using its own counts and quantiles.
 * Kept apart from SourceSession so connectors that cannot plan are unaffected (`canPlanRanges`).
 */
import type { Position, Relation, SourceSession } from './source';

export interface PlanRangeInput {
  cursor: string;
  key: string;
  /** Rows at or before this position are already loaded (the incremental import's position); null: none. */
  after: Position | null;
  /** Only rows whose cursor is >= from (null: no lower limit). */
  from: string | null;
  /** Only rows whose cursor is < to (null: no limit but upperBound). */
  to: string | null;
  /** Only rows whose cursor is <= upperBound: the source's bound now, lag applied, so the rows are settled. */
  upperBound: string;
  /** Partitions wanted; null sizes them from the count (about rowsPerPart rows each). */
  parts: number | null;
  rowsPerPart: number;
  maxParts: number;
}

export interface PlannedPartition {
  /**
   * Inclusive end: the partition's last cursor value, and the largest key at that value. A partition never
   * ends inside a tie, so the next one starts exactly after `upper` and reads with `cursor <= upper.cursor`.
   */
  upper: Position;
  rows: number;
}

export interface RangePlan {
  /** Exclusive start of the first partition: `after`, or the last row before `from` when that is later. */
  start: Position | null;
  /** Rows after `after` and before `from`: nobody loads them (the backfill was asked to start at `from`). */
  skipped: number;
  partitions: PlannedPartition[];
}

export interface RangePlanner {
  planRange(relation: Relation, input: PlanRangeInput): Promise<RangePlan>;
}

export function canPlanRanges(session: SourceSession): session is SourceSession & RangePlanner {
  return typeof (session as Partial<RangePlanner>).planRange === 'function';
}

/** How many partitions: as asked, else from the count; never more than rows, nor than maxParts. */
export function partitionCount(
  total: number,
  input: Pick<PlanRangeInput, 'parts' | 'rowsPerPart' | 'maxParts'>,
): number {
  if (total === 0) return 0;
  const wanted = input.parts ?? Math.ceil(total / input.rowsPerPart);
  return Math.max(1, Math.min(wanted, input.maxParts, total));
}
