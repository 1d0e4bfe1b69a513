/**
 * Opens the store: DATABASE_URL in production; with none set, the embedded default, a real Postgres
 * under a local data folder. Migrations are applied at start either way.
 */
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, startEmbeddedPostgres } from './embeddedPostgres';
import { migrate } from './migrate';
import { guardPool } from '../connectors/common/droppedConnection';

export interface Store {
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = path.resolve(process.env.TRIBUTARY_DATA_DIR ?? '.data');
export const EMBEDDED_PORT = Number(process.env.TRIBUTARY_EMBEDDED_PG_PORT ?? 54329);

export function createPool(url: string, max = 10): pg.Pool {
  // A dropped connection (the store restarting) fails the work using it; the pool opens a new one on next use.
  return guardPool(new pg.Pool({ connectionString: url, max, application_name: 'tributary-store' }), 'store');
}

export async function openStore(
  options: { databaseUrl?: string; dataDir?: string; log?: (m: string) => void } = {},
): Promise<Store> {
  let url = options.databaseUrl ?? process.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const embedded = await startEmbeddedPostgres({
      dir: path.join(options.dataDir ?? DEFAULT_DATA_DIR, 'postgres'),
      port: EMBEDDED_PORT,
      log: options.log,
    });
    await ensureDatabase(embedded.url('postgres'), 'tributary');
    url = embedded.url('tributary');
    stopEmbedded = embedded.stop;
    options.log?.(
      `store: embedded Postgres on 127.0.0.1:${EMBEDDED_PORT} (data in ${options.dataDir ?? DEFAULT_DATA_DIR})`,
    );
  }
  const pool = createPool(url);
  await migrate(pool);
  return {
    pool,
    url,
    close: async () => {
      await pool.end();
      await stopEmbedded?.();
    },
  };
}
