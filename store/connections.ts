/**
 * Stored connections. Invariants this module owns:
 * - a connection's URL is stored sealed only (sealed_url; the caller seals it), beside a display form that
 *   has no password; nothing here opens the seal;
 * - an id names one connection: of two creates of one id, one wins (insertConnectionRow says which);
 * - `used_by` is the live imports whose spec names the connection, read in the same statement as the row.
 */
import type pg from 'pg';

type Db = pg.Pool | pg.ClientBase;
/** A `connections` row with `used_by`, as Postgres returns it. */
export type ConnectionRow = Record<string, any>;

export interface NewConnection {
  id: string;
  name: string;
  kind: string;
  display: object;
  sealedUrl: string;
}

/** False when the id is taken. */
export async function insertConnectionRow(db: Db, c: NewConnection): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO connections (id, name, kind, display, sealed_url) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING`,
    [c.id, c.name, c.kind, c.display, c.sealedUrl],
  );
  return res.rowCount !== 0;
}

/** A connection with the ids of the live imports that use it (`used_by`, sorted). */
export async function connectionWithUse(db: Db, id: string): Promise<ConnectionRow | null> {
  const res = await db.query(
    `SELECT c.*, COALESCE((SELECT array_agg(i.id ORDER BY i.id) FROM imports i
                           WHERE i.deleted_at IS NULL AND i.spec #>> '{source,connection}' = c.id), '{}') AS used_by
     FROM connections c WHERE c.id = $1`,
    [id],
  );
  return res.rows[0] ?? null;
}

export async function connectionExists(db: Db, id: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM connections WHERE id = $1', [id])).rowCount ?? 0) > 0;
}

/** Every connection's id, in the order they were created. */
export async function connectionIds(db: Db): Promise<string[]> {
  return (await db.query('SELECT id FROM connections ORDER BY created_at, id')).rows.map((r) => r.id as string);
}

export async function deleteConnection(db: Db, id: string): Promise<void> {
  await db.query('DELETE FROM connections WHERE id = $1', [id]);
}

/** Keeps a discovery's tables; returns when it was taken. */
export async function saveDiscovery(db: Db, id: string, tables: unknown): Promise<Date> {
  const res = await db.query(
    'UPDATE connections SET discovered = $2, discovered_at = now() WHERE id = $1 RETURNING discovered_at',
    [id, JSON.stringify(tables)],
  );
  return res.rows[0].discovered_at as Date;
}

/** The last discovery (null `discovered` when never done); null when there is no such connection. */
export async function discoveryOf(db: Db, id: string): Promise<{ discovered: any; discovered_at: Date | null } | null> {
  return (await db.query('SELECT discovered, discovered_at FROM connections WHERE id = $1', [id])).rows[0] ?? null;
}
