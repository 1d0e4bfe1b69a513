/**
 * The role the demo worker reads demo_source as: it may log in and SELECT the demo tables, nothing else,
 * so the demo shows the setup a real source should have (never the store's own superuser, which the
 * worker refuses by default). Its password is new on every `npm run up`: only this process uses it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEMO_READER_ROLE = 'tributary_demo_reader';

/** SQL run by the demo database's owner: the role (made once), a fresh password, and read-only grants. */
export function demoReaderSql(database: string, password: string): string[] {
  const role = pg.escapeIdentifier(DEMO_READER_ROLE);
  return [
    `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION PASSWORD ${pg.escapeLiteral(password)}`,
    `GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${role}`,
    `GRANT USAGE ON SCHEMA public TO ${role}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`,
  ];
}

export type DemoReader = { url: string; role: string } | { url: string; role: null; reason: string };

/**
 * Create (or refresh) the demo reader on demo_source's server and return the URL that reads as it. When
 * the store's role may not create roles (a DATABASE_URL of the operator's), the demo reads with the
 * store's URL as before, and the reason is returned for the operator to see.
 */
export async function ensureDemoReader(demoUrl: string): Promise<DemoReader> {
  const database = decodeURIComponent(new URL(demoUrl).pathname.slice(1));
  const password = randomBytes(18).toString('base64url');
  const client = new pg.Client({ connectionString: demoUrl, application_name: 'tributary-demo-data' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [DEMO_READER_ROLE]);
    if (!exists.rowCount) {
      // Two `npm run up` may race to create it: the loser's "already exists" is fine.
      await client.query(`CREATE ROLE ${pg.escapeIdentifier(DEMO_READER_ROLE)}`).catch((err: { code?: string }) => {
        if (err.code !== '42710') throw err;
      });
    }
    for (const sql of demoReaderSql(database, password)) await client.query(sql);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === '42501') return { url: demoUrl, role: null, reason: e.message ?? 'permission denied' };
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
  const url = new URL(demoUrl);
  url.username = DEMO_READER_ROLE;
  url.password = password;
  return { url: url.toString(), role: DEMO_READER_ROLE };
}
