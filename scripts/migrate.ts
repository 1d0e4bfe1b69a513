/**
 * `tributary migrate` (npm run migrate): apply the store's migrations and say where the store stands. The
 * store is DATABASE_URL, else the embedded one under .data/, as for the worker and the API; both apply
 * migrations at start anyway, so this is for a deployment that runs them as a step of its own.
 * Exit 0 when the store is current, 1 when a migration failed (it was rolled back).
 */
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { redactUrl } from '../connectors/connections';
import { migrate, schemaVersion } from '../store/migrate';
import { createPool, openStore } from '../store/store';

export async function runMigrations(
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = console.log,
): Promise<number> {
  let applied: string[] | null = null;
  let close: () => Promise<void>;
  let pool: pg.Pool;
  if (env.DATABASE_URL) {
    const own = createPool(env.DATABASE_URL, 1);
    pool = own;
    close = () => own.end();
    try {
      applied = await migrate(pool);
    } catch (err) {
      await close();
      throw err;
    }
    out(`tributary migrate: store ${redactUrl(env.DATABASE_URL)}`);
  } else {
    // The embedded store applies them as it opens.
    const opened = await openStore({ log: out });
    pool = opened.pool;
    close = opened.close;
  }
  try {
    const latest = await schemaVersion(pool);
    if (applied) out(applied.length ? `applied ${applied.length}: ${applied.join(', ')}` : 'nothing to apply');
    out(`the store is at migration ${latest.v} (${latest.n} applied in all)`);
    return 0;
  } finally {
    await close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runMigrations().then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`tributary migrate: ${err.message}`);
      process.exit(1);
    },
  );
}
