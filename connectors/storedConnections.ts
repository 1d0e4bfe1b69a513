/**
 * Connections stored by the API, resolved by id inside the worker (and the API): the sealed URL is read
 * from the store and opened with TRIBUTARY_SECRET_KEY only here, so workflow inputs and histories carry
 * the id alone. `composeResolvers` lets the environment's connections keep working beside stored ones.
 */
import type pg from 'pg';
import { connectionFromUrl } from './connections';
import { decryptSecret, requireSecretKey } from './secrets';
import { ConfigurationError, type ConnectionConfig, type ConnectionResolver } from './source';

/** Thrown when a resolver does not know the name, so the next one in a composition may try. */
export class UnknownConnectionError extends ConfigurationError {
  constructor(name: string) {
    super(`connection "${name}" is neither stored nor configured on this worker`);
    this.name = 'ConfigurationError';
  }
}

export function storedConnections(store: pg.Pool, key: Buffer | null): ConnectionResolver {
  return async (id) => {
    const res = await store.query<{ sealed_url: string }>('SELECT sealed_url FROM connections WHERE id = $1', [id]);
    const row = res.rows[0];
    if (!row) throw new UnknownConnectionError(id);
    return connectionFromUrl(decryptSecret(requireSecretKey(key), row.sealed_url));
  };
}

/**
 * Try each resolver in order. Only "not found here" falls through: a stored connection that cannot be
 * decrypted is an error to report, not a reason to quietly use an environment variable of the same name.
 */
export function composeResolvers(...resolvers: ConnectionResolver[]): ConnectionResolver {
  return async (name): Promise<ConnectionConfig> => {
    let last: unknown = new UnknownConnectionError(name);
    for (const resolve of resolvers) {
      try {
        return await resolve(name);
      } catch (err) {
        if (!(err instanceof UnknownConnectionError) && !isNotConfigured(err)) throw err;
        last = err;
      }
    }
    throw last;
  };
}

// envConnections and staticConnections say "is not configured on this worker" for an unknown name.
const isNotConfigured = (err: unknown): boolean =>
  err instanceof ConfigurationError && /is not configured on this worker/.test(err.message);
