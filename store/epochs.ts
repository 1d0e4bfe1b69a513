/**
 * Store epochs: a counter per kind of removal that workers' memories of the store must notice. The
 * identities epoch moves when identifiers may be deleted (a purge); a batch reads it FOR SHARE in its own
 * transaction, so a purge's move waits for the batches that read it, and a worker that sees it moved forgets
 * the identifiers it remembered (engine/knownUsers.ts). The purge moves it before it takes any row it
 * deletes, or a batch holding one of those rows and waiting for the purge would be a deadlock.
 */
import type pg from 'pg';

/** The identities epoch, held FOR SHARE until the caller's transaction ends. */
export async function readIdentitiesEpoch(client: pg.ClientBase): Promise<string | null> {
  const res = await client.query<{ epoch: string }>(
    "SELECT epoch::text AS epoch FROM store_epochs WHERE name = 'identities' FOR SHARE",
  );
  return res.rows[0]?.epoch ?? null;
}

/** Moves the identities epoch, in the transaction that may delete identifiers. */
export async function moveIdentitiesEpoch(client: pg.ClientBase): Promise<void> {
  await client.query("UPDATE store_epochs SET epoch = epoch + 1 WHERE name = 'identities'");
}
