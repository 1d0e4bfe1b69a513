/** What every loader reports for one batch, and what it gets to work with. */
import type pg from 'pg';
import type { ImportSpec } from '../../domain/importSpec';
import type { Counts } from '../runs';

// A loader's counts are the run counters declared `from: 'loader'` (store/runs.ts).
export { type Counts, zeroCounts } from '../runs';

export interface LoadContext {
  client: pg.PoolClient;
  spec: ImportSpec;
  importId: string;
  runId: number;
}

/** A data type's merge (dataTypes/<type>/): its stage layout is declared beside it. */
export interface Loader {
  /**
   * Set for a loader whose rows go straight into their table with COPY (multi-row inserts, one parse),
   * the stage holding only what the merge decides on: the table and its columns, import id and run id
   * first. The mapping then gives each row's line (`row`) besides its stage line; after the merge, the
   * caller COPYs the chunk's lines but those the merge returned in `skip`, each counted as created.
   */
  copyRowsInto?: string;
  /**
   * copyRowsInto loaders whose rows carry a unique key the merge looked up first: the unique index that a
   * concurrent transaction's rows can make the COPY fail on (once that transaction commits). The chunk's
   * merge and COPY then run again (from a savepoint), and the merge finds the other transaction's rows.
   */
  retryOnUniqueViolation?: string;
  /** Merge the staged rows into the store (inside the batch transaction) and count the outcomes. */
  merge(ctx: LoadContext): Promise<MergeResult>;
}

/**
 * What a merge counted: only the counters it counts (the others are zero), so a new loader counter touches
 * only the merges that count it.
 */
export interface MergeResult extends Partial<Counts> {
  /** copyRowsInto loaders: the seqs of the staged rows not to load, ascending. */
  skip?: number[];
}

/** Sum helper for the rows the merge statements return. */
export const num = (v: unknown): number => Number(v ?? 0);

/** The counts of a merge statement that selects OUTCOME_COUNTS and profiles_created. */
export const countsOf = (r: Record<string, unknown>): MergeResult => ({
  created: num(r.created),
  updated: num(r.updated),
  unchanged: num(r.unchanged),
  skipped: num(r.skipped),
  removed: num(r.removed),
  profilesCreated: num(r.profiles_created),
});

/**
 * Per key, the last row in (cursor, key) order wins. Each source row is counted with its
 * key's outcome, in order: the first row takes the outcome, the rows after it are updates of it.
 */
export const OUTCOME_COUNTS = `
  coalesce(sum(CASE WHEN outcome = 'created' THEN 1 ELSE 0 END), 0) AS created,
  coalesce(sum(CASE WHEN outcome IN ('created', 'removed') THEN n - 1 WHEN outcome = 'updated' THEN n ELSE 0 END), 0) AS updated,
  coalesce(sum(CASE WHEN outcome = 'unchanged' THEN n ELSE 0 END), 0) AS unchanged,
  coalesce(sum(CASE WHEN outcome = 'skipped' THEN n ELSE 0 END), 0) AS skipped,
  coalesce(sum(CASE WHEN outcome = 'removed' THEN 1 ELSE 0 END), 0) AS removed`;

/** Counts of a statement's rows that each carry their own outcome (one row per source row). */
export const ROW_COUNTS = `
  coalesce(sum(CASE WHEN outcome = 'created' THEN 1 ELSE 0 END), 0) AS created,
  coalesce(sum(CASE WHEN outcome = 'updated' THEN 1 ELSE 0 END), 0) AS updated,
  coalesce(sum(CASE WHEN outcome = 'unchanged' THEN 1 ELSE 0 END), 0) AS unchanged,
  coalesce(sum(CASE WHEN outcome = 'skipped' THEN 1 ELSE 0 END), 0) AS skipped,
  coalesce(sum(CASE WHEN outcome = 'removed' THEN 1 ELSE 0 END), 0) AS removed`;

/**
 * Create identifiers the store has never seen (each its own person): counted as created profiles.
 * Each distinct identifier of the chunk is looked up in the identities index (a LATERAL probe, so the plan
 * stays one index lookup per identifier however large the store grows, never a scan of identities).
 */
export const ENSURE_IDENTITIES = (source: string) => `
  INSERT INTO identities (id_type, id_value, person_id, import_id)
  SELECT u.id_type, u.id_value, nextval('person_ids'), $1
  FROM (SELECT DISTINCT id_type, id_value FROM ${source} ORDER BY id_type, id_value) u
  LEFT JOIN LATERAL (
    SELECT true AS known FROM identities i WHERE i.id_type = u.id_type AND i.id_value = u.id_value LIMIT 1) k ON true
  WHERE k.known IS NULL
  ON CONFLICT (id_type, id_value) DO NOTHING
  RETURNING 1`;
