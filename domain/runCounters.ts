/**
 * The one declaration of a run's counters. Pure data, free of Node built-ins and of the store, so every
 * side reads the same list: the store (store/runs.ts: the columns, the batch's UPDATE, RunRecord), the API
 * (its Run schema), the loaders (Counts) and the import workflow (the rows a run loaded, in its progress).
 */

/**
 * Every run counter, in the order the API, the webhook payload and RunRecord show them. Adding one here
 * (and its column in a migration) gives it its RunRecord field, its `Counts` field when a loader counts it,
 * its increment in the batch's UPDATE, and its field in the API's Run (and, for loader counts, the dry run).
 * - `column`: its column in `runs`.
 * - `from`: what a batch adds to it: `loader`, the loaders' counts (engine/loadBatch.ts sums them over a
 *   batch's chunks); `batch`, the batch itself (rows read, rows rejected, one batch); `start`, set once by
 *   beginRun and never added to.
 * - `loaded`: the counter is part of the rows a run loaded (a backfill partition's progress, the import
 *   workflow's `rowsLoaded`).
 */
export const RUN_COUNTERS = [
  { name: 'rowsRead', column: 'rows_read', from: 'batch', loaded: false },
  { name: 'created', column: 'created', from: 'loader', loaded: true },
  { name: 'updated', column: 'updated', from: 'loader', loaded: true },
  { name: 'unchanged', column: 'unchanged', from: 'loader', loaded: true },
  { name: 'duplicates', column: 'duplicates', from: 'loader', loaded: true },
  { name: 'rejected', column: 'rejected', from: 'batch', loaded: false },
  { name: 'skipped', column: 'skipped', from: 'loader', loaded: true },
  { name: 'removed', column: 'removed', from: 'loader', loaded: true },
  { name: 'profilesCreated', column: 'profiles_created', from: 'loader', loaded: false },
  { name: 'nullCursor', column: 'null_cursor', from: 'start', loaded: false },
  { name: 'batches', column: 'batches', from: 'batch', loaded: false },
] as const;

export type RunCounter = (typeof RUN_COUNTERS)[number];
export type RunCounterName = RunCounter['name'];
export type LoaderCounterName = Extract<RunCounter, { from: 'loader' }>['name'];
/** What a batch adds to its run: every counter but those set at the start. */
export type BatchCounterName = Exclude<RunCounterName, Extract<RunCounter, { from: 'start' }>['name']>;

export type RunCounters = { [C in RunCounterName]: number };
/** What every loader reports for one batch. */
export type Counts = { [C in LoaderCounterName]: number };
export type BatchIncrement = { [C in BatchCounterName]: number };

const isLoaderCounter = (c: RunCounter): c is Extract<RunCounter, { from: 'loader' }> => c.from === 'loader';

export const RUN_COUNTER_NAMES: readonly RunCounterName[] = RUN_COUNTERS.map((c) => c.name);
export const LOADER_COUNTER_NAMES: readonly LoaderCounterName[] = RUN_COUNTERS.filter(isLoaderCounter).map(
  (c) => c.name,
);
/** The counters that make up the rows a run loaded. */
export const LOADED_COUNTER_NAMES: readonly RunCounterName[] = RUN_COUNTERS.filter((c) => c.loaded).map((c) => c.name);

export const zeroCounts = (): Counts => Object.fromEntries(LOADER_COUNTER_NAMES.map((n) => [n, 0])) as Counts;

/** Adds what a batch or a merge counted (a counter it does not report counts zero). */
export function addCounts(into: Counts, c: Partial<Counts>): void {
  for (const n of LOADER_COUNTER_NAMES) into[n] += c[n] ?? 0;
}

/** A record's counters alone, in their declared order. */
export const countersOf = (r: RunCounters): RunCounters =>
  Object.fromEntries(RUN_COUNTER_NAMES.map((n) => [n, r[n]])) as RunCounters;

/** The rows a run loaded: the sum of its `loaded` counters (store/runs.ts's loadedRowsSql, in SQL). */
export const loadedRows = (r: RunCounters): number => LOADED_COUNTER_NAMES.reduce((sum, n) => sum + r[n], 0);
