/**
 * The store's record of an import. Invariants this module owns:
 * - created on first use (a run, a backfill, the API) and brought up to date with the spec each run or
 *   backfill starts with: a deleted import comes back when it is started again;
 * - an import's id is its primary key: of two creates of one id, one wins (createImport says which);
 * - a deleted import keeps its row, marked with when it is purged (store/purge.ts removes it then).
 */
import type pg from 'pg';
import type { ImportSpec } from '../domain/importSpec';

type Db = pg.Pool | pg.ClientBase;
/** An `imports` row as Postgres returns it. */
export type ImportRow = Record<string, any>;

export async function upsertImport(client: pg.ClientBase, spec: ImportSpec): Promise<void> {
  await client.query(
    `INSERT INTO imports (id, data_type, spec) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET data_type = EXCLUDED.data_type, spec = EXCLUDED.spec, updated_at = now(), deleted_at = NULL`,
    [spec.id, spec.dataType, spec],
  );
}

/** Creates the import if the store has never seen it; a known one keeps its stored spec and its deletion. */
export async function ensureImport(client: pg.ClientBase, spec: ImportSpec): Promise<void> {
  await client.query('INSERT INTO imports (id, data_type, spec) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
    spec.id,
    spec.dataType,
    spec,
  ]);
}

export async function getImport(db: Db, id: string): Promise<ImportRow | null> {
  return (await db.query('SELECT * FROM imports WHERE id = $1', [id])).rows[0] ?? null;
}

export async function importExists(db: Db, id: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM imports WHERE id = $1', [id])).rowCount ?? 0) > 0;
}

/** Creates an import with its schedule and its incremental position; false when the id is taken. */
export async function createImport(client: pg.ClientBase, spec: ImportSpec, schedule: unknown): Promise<boolean> {
  const ins = await client.query(
    `INSERT INTO imports (id, data_type, spec, schedule) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
    [spec.id, spec.dataType, spec, schedule],
  );
  return ins.rowCount !== 0;
}

/** Imports in the order they were created; deleted ones too when asked. */
export async function listImports(db: Db, includeDeleted: boolean): Promise<ImportRow[]> {
  return (
    await db.query(`SELECT * FROM imports WHERE $1 OR deleted_at IS NULL ORDER BY created_at, id`, [includeDeleted])
  ).rows;
}

export async function updateImport(db: Db, id: string, spec: ImportSpec, schedule: unknown): Promise<void> {
  await db.query('UPDATE imports SET spec = $2, schedule = $3, updated_at = now() WHERE id = $1', [id, spec, schedule]);
}

/** Marks an import deleted, to be purged `retentionMs` from now. */
export async function markDeleted(db: Db, id: string, retentionMs: number): Promise<void> {
  await db.query(
    `UPDATE imports SET deleted_at = now(), purge_after = now() + make_interval(secs => $2::float8 / 1000), updated_at = now() WHERE id = $1`,
    [id, retentionMs],
  );
}

/** When a deleted import is purged. */
export async function purgeAfterOf(db: Db, id: string): Promise<Date> {
  return (await db.query('SELECT purge_after FROM imports WHERE id = $1', [id])).rows[0].purge_after as Date;
}
