/**
 * API keys as the store holds them. Invariants this module owns: only a hash of a key's token is stored
 * (the caller hashes it; no token is ever written), and a revoked key stays revoked (revokeKey touches
 * only a live one, and activeKey never returns a revoked one).
 */
import type pg from 'pg';

type Db = pg.Pool | pg.ClientBase;
/** An `api_keys` row as Postgres returns it. */
export type ApiKeyRow = Record<string, any>;

export async function insertApiKey(
  db: Db,
  key: { id: string; name: string; scope: string; tokenHash: string },
): Promise<void> {
  await db.query('INSERT INTO api_keys (id, name, scope, token_hash) VALUES ($1, $2, $3, $4)', [
    key.id,
    key.name,
    key.scope,
    key.tokenHash,
  ]);
}

/** False when there is no live key of that id. */
export async function revokeKey(db: Db, id: string): Promise<boolean> {
  const res = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return (res.rowCount ?? 0) > 0;
}

/** Every key, revoked ones too, in the order they were created. */
export async function apiKeyRows(db: Db): Promise<ApiKeyRow[]> {
  return (await db.query('SELECT * FROM api_keys ORDER BY created_at')).rows;
}

/** A key that is not revoked, with its token's hash. */
export async function activeKey(
  db: Db,
  id: string,
): Promise<{ id: string; name: string; scope: string; token_hash: string } | null> {
  return (
    (await db.query('SELECT id, name, scope, token_hash FROM api_keys WHERE id = $1 AND revoked_at IS NULL', [id]))
      .rows[0] ?? null
  );
}

export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
}
