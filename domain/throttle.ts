/**
 * A throttle's rules, written once: the API's request schemas, the backfill's update validator and the
 * signal handlers of both workflows check a throttle with these. Deterministic: bundled into workflows.
 */
import { z } from 'zod';

/** The fastest throttle a backfill or run may be given: above it a throttle no longer limits anything. */
export const MAX_ROWS_PER_SECOND = 10_000_000;
/** Partitions of a backfill running at once, at most. */
export const MAX_CONCURRENCY = 64;

/** Rows per second at most; null: no limit. */
export const rowsPerSecondSchema = z.number().min(1).max(MAX_ROWS_PER_SECOND).nullable();
/** A backfill's partitions running at once (the sliding window). */
export const concurrencySchema = z.number().int().min(1).max(MAX_CONCURRENCY);

/** A change of throttle: rows per second (null lifts it) and, for a backfill, partitions at once. */
export const throttleChangeSchema = z.object({
  rowsPerSecond: rowsPerSecondSchema.optional(),
  concurrency: concurrencySchema.optional(),
});
export type ThrottleChange = z.infer<typeof throttleChangeSchema>;

/** A backfill's whole throttle. */
export const backfillThrottleSchema = z.object({ rowsPerSecond: rowsPerSecondSchema, concurrency: concurrencySchema });
export type Throttle = z.infer<typeof backfillThrottleSchema>;

const RULES: Record<keyof ThrottleChange, string> = {
  rowsPerSecond: `rowsPerSecond must be a number from 1 to ${MAX_ROWS_PER_SECOND}, or null`,
  concurrency: `concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`,
};

/** What is wrong with a throttle change (the first field that breaks its rule), or null when it is valid. */
export function throttleProblem(change: unknown): string | null {
  const parsed = throttleChangeSchema.safeParse(change);
  if (parsed.success) return null;
  const field = parsed.error.issues[0]?.path[0];
  return field === 'rowsPerSecond' || field === 'concurrency'
    ? RULES[field]
    : 'the throttle must be an object such as {"rowsPerSecond": 500}';
}

/** Rows per batch for a throttled run: about two seconds' worth, so a new throttle takes hold quickly. */
export function throttledBatchRows(rowsPerSecond: number | null | undefined, batchSize: number): number {
  if (!rowsPerSecond) return batchSize;
  return Math.max(100, Math.min(batchSize, Math.round(rowsPerSecond * 2)));
}
