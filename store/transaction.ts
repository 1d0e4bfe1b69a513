/**
 * One store transaction on one pooled connection: committed when `fn` returns, rolled back when it
 * throws (the error passes on), the connection released either way.
 */
import type pg from 'pg';

export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The three transaction statements, for a caller that runs its own transaction on a connection it holds
 * (a batch decides itself whether its connection can be reused after a failure).
 */
export async function begin(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
}

export async function commit(client: pg.ClientBase): Promise<void> {
  await client.query('COMMIT');
}

export async function rollback(client: pg.ClientBase): Promise<void> {
  await client.query('ROLLBACK');
}

/** Whether the store answers a trivial statement (the health probe). */
export async function ping(pool: pg.Pool): Promise<void> {
  await pool.query('SELECT 1');
}
