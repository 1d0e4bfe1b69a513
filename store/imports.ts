/**
 * The store's record of an import: created on first use and brought up to date with the spec each run or
 * backfill starts with (a deleted import comes back when it is started again).
 */
import type pg from 'pg';
import type { ImportSpec } from '../domain/importSpec';

export async function upsertImport(client: pg.ClientBase, spec: ImportSpec): Promise<void> {
  await client.query(
    `INSERT INTO imports (id, data_type, spec) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET data_type = EXCLUDED.data_type, spec = EXCLUDED.spec, updated_at = now(), deleted_at = NULL`,
    [spec.id, spec.dataType, spec],
  );
}

/** Creates the import if the store has never seen it; a known one keeps its stored spec and its deletion. */
export async function ensureImport(client: pg.ClientBase, spec: ImportSpec): Promise<void> {
  await client.query(
    'INSERT INTO imports (id, data_type, spec) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
    [spec.id, spec.dataType, spec],
  );
}
