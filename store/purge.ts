/**
 * The purge of a deleted import: its data, runs and positions removed in one transaction. Invariants this
 * module owns:
 * - only an import marked deleted is purged (its row locked first), so a late or repeated purge can never
 *   remove a live import's data; a second purge finds nothing;
 * - no batch of the import is mid-commit: every stream's position is locked before anything is removed;
 * - the identities epoch moves first, and person merges and splits are serialised by IDENTITY_GRAPH_LOCK,
 *   taken where the loaders take it (after the positions, before any identity or link row);
 * - persons the import's links joined are split again in the same transaction (store/personSplit.ts), so a
 *   retry after a failure starts over from the untouched store.
 */
import type pg from 'pg';
import { IDENTITY_GRAPH_LOCK } from './locks';
import { type SplitCounts, splitPersons, zeroSplit } from './personSplit';
import { lockImportPositions } from './positions';
import { moveIdentitiesEpoch } from './epochs';

export interface PurgedImport {
  purged: boolean;
  /** Rows removed per table. */
  removed: Record<string, number>;
  /** Persons that fell apart once the import's identity links were gone. */
  split: SplitCounts;
}

/** One statement of a purge: the table it removes a deleted import's rows from ($1: the import's id). */
export interface PurgeStep {
  table: string;
  sql: string;
  /**
   * Removes identity links: run under the identity graph's lock, and returns `n` (rows removed) and
   * `persons` (the persons the links joined, split again once the identifiers are gone).
   */
  identityLinks?: true;
}

/** What a data type brings to a purge: its statements, and when its rows still refer to an identifier `i`. */
export interface DataTypePurge {
  purge: PurgeStep[];
  refersToIdentity: string;
}

/**
 * The statements of a purge, in order: each data type's own (in the order given), those removing identity
 * links last of them, as they take the identity graph's lock and split persons; then the identifiers this
 * import created, unless another import's data still refers to them; then the import's own records.
 * Identities go after whatever still references them, as they are found by it.
 */
export const purgeSteps = (types: readonly DataTypePurge[]): PurgeStep[] => [
  ...types.flatMap((t) => t.purge.filter((p) => !p.identityLinks)),
  ...types.flatMap((t) => t.purge.filter((p) => p.identityLinks)),
  {
    table: 'identities',
    sql: `DELETE FROM identities i WHERE i.import_id = $1
     ${types.map((t) => `AND NOT ${t.refersToIdentity}`).join('\n     ')}`,
  },
  { table: 'row_errors', sql: 'DELETE FROM row_errors WHERE import_id = $1' },
  { table: 'imported_files', sql: 'DELETE FROM imported_files WHERE import_id = $1' },
  {
    table: 'webhook_deliveries',
    sql: 'DELETE FROM webhook_deliveries WHERE run_id IN (SELECT id FROM runs WHERE import_id = $1)',
  },
  { table: 'runs', sql: 'DELETE FROM runs WHERE import_id = $1' },
  // Backfill plans (their partitions go with them).
  { table: 'backfills', sql: 'DELETE FROM backfills WHERE import_id = $1' },
  { table: 'positions', sql: 'DELETE FROM positions WHERE import_id = $1' },
  { table: 'imports', sql: 'DELETE FROM imports WHERE id = $1' },
];

/** Purges a deleted import with the steps of purgeSteps; `onStep` is told each table once it is done (the activity heartbeats). */
export async function purgeDeletedImport(
  pool: pg.Pool,
  importId: string,
  steps: readonly PurgeStep[],
  onStep: (table: string) => void = () => undefined,
): Promise<PurgedImport> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const imp = await client.query('SELECT deleted_at FROM imports WHERE id = $1 FOR UPDATE', [importId]);
    if (!imp.rows[0] || imp.rows[0].deleted_at === null) {
      await client.query('ROLLBACK');
      return { purged: false, removed: {}, split: zeroSplit() };
    }
    // The position row is every batch's lock: holding it means no batch of this import is mid-commit.
    await lockImportPositions(client, importId);
    // Identifiers may go: move the identities epoch now (migration 052), before taking any row this
    // purge deletes. The update waits for the batches that read the epoch; a batch that took one of those
    // rows first and then waited for this purge would otherwise be a deadlock.
    await moveIdentitiesEpoch(client);
    const removed: Record<string, number> = {};
    let touched: string[] = [];
    let split = zeroSplit();
    for (const { table, sql, identityLinks } of steps) {
      if (identityLinks) {
        // Merges and splits are serialised by the identity loader's lock, taken here as the loader does:
        // after the position rows, before any identity or link row. Held to the commit, so no import
        // merges through a link this purge is removing, nor into a person it is splitting.
        await client.query('SELECT pg_advisory_xact_lock($1)', [IDENTITY_GRAPH_LOCK]);
        const gone = await client.query<{ n: number; persons: string[] }>(sql, [importId]);
        removed[table] = gone.rows[0]?.n ?? 0;
        touched = [...touched, ...(gone.rows[0]?.persons ?? [])];
      } else {
        removed[table] = (await client.query(sql, [importId])).rowCount ?? 0;
      }
      if (table === 'identities') split = await splitPersons(client, touched, importId);
      onStep(table);
    }
    await client.query('COMMIT');
    return { purged: true, removed, split };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
