/**
 * A real MariaDB server for one test file: its own datadir (mariadb-install-db), loopback only, a free
 * port, stopped and deleted afterwards. As root it runs as the `mysql` user, which mariadbd requires.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { findBinary, freePort, spawnServer, stopProcess, tempDir, waitForPort } from './servers';

export interface MariaDb {
  port: number;
  /** A connection URL for `database` as `user` (root by default). */
  url(database: string, user?: string, password?: string): string;
  /** Run statements as root (several separated by `;` are allowed). */
  exec(sql: string, values?: unknown[]): Promise<unknown>;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startMariaDb(): Promise<MariaDb> {
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db'], 'mariadb-server');
  const server = findBinary(['mariadbd', 'mysqld'], 'mariadb-server');
  const dir = tempDir('mariadb');
  const datadir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['-R', 'mysql:mysql', dir]);
  const userArgs = asRoot ? ['--user=mysql'] : [];
  execFileSync(
    installDb,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      ...userArgs,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ],
    { stdio: 'pipe' },
  );
  const port = await freePort();
  const { child, log } = spawnServer(
    server,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      ...userArgs,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${path.join(dir, 'mysqld.sock')}`,
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      '--skip-log-bin',
      '--innodb-buffer-pool-size=64M',
      '--innodb-flush-log-at-trx-commit=0',
      '--skip-name-resolve',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_bin',
    ],
    dir,
  );
  try {
    await waitForPort(port, child, 'mariadbd', log);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  const admin = mysql.createPool({
    host: '127.0.0.1',
    port,
    user: 'root',
    multipleStatements: true,
    connectionLimit: 2,
  });
  return {
    port,
    url: (database, user = 'root', password = '') =>
      `mysql://${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/${database}`,
    exec: async (sql, values) => (await admin.query(sql, values))[0],
    async createDatabase(name) {
      await admin.query(`CREATE DATABASE \`${name}\``);
    },
    async stop() {
      await admin.end();
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
