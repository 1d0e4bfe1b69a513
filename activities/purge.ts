/**
 * purgeImport: removes a deleted import's data, runs and position in one transaction. Only imports marked
 * deleted are purged, so a late or repeated purge can never remove a live import's data; a second purge
 * finds nothing and reports zeros. Persons its identity links joined are split again
 * (store/personSplit.ts) in the same transaction, so a retry after a failure starts over from
 * the untouched store.
 */
import { Context } from '@temporalio/activity';
import { IDENTITY_GRAPH_LOCK, type SplitCounts, splitPersons, zeroSplit } from '../store/personSplit';
import { type AnyDataTypeDefinition, dataTypeList, type PurgeStep } from '../dataTypes';
import type { ActivityDeps } from '../engine/deps';

export interface PurgeImportInput {
  importId: string;
  workflowId?: string;
}

export interface PurgeResult {
  importId: string;
  purged: boolean;
  /** Rows removed per table. */
  removed: Record<string, number>;
  /** Persons that fell apart once the import's identity links were gone. */
  split: SplitCounts;
}

/**
 * The statements of a purge, in order: each data type's own (registry order), those removing identity links
 * last of them, as they take the identity graph's lock and split persons; then the identifiers this import
 * created, unless another import's data still refers to them; then the import's own records. Identities
 * go after whatever still references them, as they are found by it.
 */
export const purgeSteps = (types: readonly AnyDataTypeDefinition[]): PurgeStep[] => [
  ...types.flatMap((t) => t.purge.filter((p) => !p.identityLinks)),
  ...types.flatMap((t) => t.purge.filter((p) => p.identityLinks)),
  {
    table: 'identities',
    sql: `DELETE FROM identities i WHERE i.import_id = $1
     ${types.map((t) => `AND NOT ${t.refersToIdentity}`).join('\n     ')}`,
  },
  { table: 'row_errors', sql: 'DELETE FROM row_errors WHERE import_id = $1' },
  { table: 'imported_files', sql: 'DELETE FROM imported_files WHERE import_id = $1' },
  { table: 'webhook_deliveries', sql: 'DELETE FROM webhook_deliveries WHERE run_id IN (SELECT id FROM runs WHERE import_id = $1)' },
  { table: 'runs', sql: 'DELETE FROM runs WHERE import_id = $1' },
  // Backfill plans (their partitions go with them).
  { table: 'backfills', sql: 'DELETE FROM backfills WHERE import_id = $1' },
  { table: 'positions', sql: 'DELETE FROM positions WHERE import_id = $1' },
  { table: 'imports', sql: 'DELETE FROM imports WHERE id = $1' },
];

const STEPS = purgeSteps(dataTypeList);

export function purgeImportActivity(deps: ActivityDeps) {
  return async function purgeImport({ importId }: PurgeImportInput): Promise<PurgeResult> {
    const client = await deps.store.connect();
    try {
      await client.query('BEGIN');
      const imp = await client.query('SELECT deleted_at FROM imports WHERE id = $1 FOR UPDATE', [importId]);
      if (!imp.rows[0] || imp.rows[0].deleted_at === null) {
        await client.query('ROLLBACK');
        return { importId, purged: false, removed: {}, split: zeroSplit() };
      }
      // The position row is every batch's lock: holding it means no batch of this import is mid-commit.
      await client.query('SELECT 1 FROM positions WHERE import_id = $1 FOR UPDATE', [importId]);
      // Identifiers may go: move the identities epoch now (migration 052), before taking any row this
      // purge deletes. The update waits for the batches that read the epoch; a batch that took one of those
      // rows first and then waited for this purge would otherwise be a deadlock.
      await client.query("UPDATE store_epochs SET epoch = epoch + 1 WHERE name = 'identities'");
      const removed: Record<string, number> = {};
      let touched: string[] = [];
      let split = zeroSplit();
      for (const { table, sql, identityLinks } of STEPS) {
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
        try {
          Context.current().heartbeat(table);
        } catch {
          // called directly, outside an activity
        }
      }
      await client.query('COMMIT');
      return { importId, purged: true, removed, split };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
}
