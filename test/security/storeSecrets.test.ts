/**
 * The data folder's secrets: the embedded store's password is random per cluster, kept in a 0600 file
 * beside it, and the old built-in constant does not open a new cluster; a cluster made with the old
 * constant gets a random password at its next start and keeps working. The master key file is 0600.
 * Real embedded Postgres clusters in temp folders.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LEGACY_PASSWORD,
  type EmbeddedPostgresHandle,
  embeddedUrl,
  startEmbeddedPostgres,
  storePasswordFile,
} from '../../store/embeddedPostgres';
import { localSecretKey } from '../../store/localSecrets';
import { freePort } from '../../dev/devServer';
import { tempDir } from '../files/readFile';

const running: EmbeddedPostgresHandle[] = [];
const folders: string[] = [];
afterAll(async () => {
  for (const r of running) await r.stop().catch(() => undefined);
  for (const f of folders) await rm(f, { recursive: true, force: true });
});

const mode = (file: string) => statSync(file).mode & 0o777;

/** Whether a password opens the cluster on `port`: true, or Postgres's SQLSTATE. */
async function opens(port: number, password: string): Promise<true | string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function cluster(): Promise<{ dir: string; port: number; pg: EmbeddedPostgresHandle; logs: string[] }> {
  const top = await tempDir();
  folders.push(top);
  const dir = path.join(top, 'postgres');
  const port = await freePort();
  const logs: string[] = [];
  const handle = await startEmbeddedPostgres({
    dir,
    port,
    settings: { fsync: 'off', shared_buffers: '16MB' },
    log: (l) => logs.push(l),
  });
  running.push(handle);
  return { dir, port, pg: handle, logs };
}

describe('the embedded store password', () => {
  it('is random per data folder, in a 0600 file beside the cluster; the old constant does not open a new cluster', async () => {
    const a = await cluster();
    const b = await cluster();
    const fileA = storePasswordFile(a.dir);
    expect(fileA).toBe(path.join(path.dirname(a.dir), 'store-password'));
    const pwA = readFileSync(fileA, 'utf8').trim();
    const pwB = readFileSync(storePasswordFile(b.dir), 'utf8').trim();
    expect(pwA).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(pwA).not.toBe(pwB);
    expect(mode(fileA)).toBe(0o600);
    expect(mode(storePasswordFile(b.dir))).toBe(0o600);
    expect(await opens(a.port, pwA)).toBe(true);
    expect(await opens(a.port, LEGACY_PASSWORD)).toBe('28P01'); // invalid_password
    expect(await opens(a.port, pwB)).toBe('28P01');
    expect(a.pg.url('postgres')).toBe(`postgres://postgres:${pwA}@127.0.0.1:${a.port}/postgres`);
    // Another process sharing the running cluster reads the same file.
    expect(embeddedUrl(a.port, 'tributary', a.dir)).toBe(`postgres://postgres:${pwA}@127.0.0.1:${a.port}/tributary`);
  }, 300_000);

  it('a cluster made with the old constant gets a random password at its next start, and keeps its data', async () => {
    const c = await cluster();
    // Make it what an older version left: the constant as the password, and no password file.
    const admin = new pg.Client({ connectionString: c.pg.url('postgres') });
    await admin.connect();
    await admin.query(`ALTER ROLE postgres PASSWORD '${LEGACY_PASSWORD}'`);
    await admin.query('CREATE TABLE kept (x int)');
    await admin.query('INSERT INTO kept VALUES (42)');
    await admin.end();
    await c.pg.stop();
    running.splice(running.indexOf(c.pg), 1);
    await rm(storePasswordFile(c.dir));
    expect(await opens(c.port, LEGACY_PASSWORD)).not.toBe(true); // stopped

    const logs: string[] = [];
    const again = await startEmbeddedPostgres({
      dir: c.dir,
      port: c.port,
      settings: { fsync: 'off', shared_buffers: '16MB' },
      log: (l) => logs.push(l),
    });
    running.push(again);
    const pw = readFileSync(storePasswordFile(c.dir), 'utf8').trim();
    expect(pw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mode(storePasswordFile(c.dir))).toBe(0o600);
    expect(existsSync(`${storePasswordFile(c.dir)}.new`)).toBe(false);
    expect(logs.join('\n')).toContain('had the old built-in password; it now has a random one');
    expect(await opens(c.port, LEGACY_PASSWORD)).toBe('28P01');
    expect(await opens(c.port, pw)).toBe(true);
    const check = new pg.Client({ connectionString: again.url('postgres') });
    await check.connect();
    expect((await check.query('SELECT x FROM kept')).rows).toEqual([{ x: 42 }]);
    await check.end();
  }, 300_000);
});

describe('the master key file', () => {
  it('is created 0600, and tightened to 0600 when found looser', async () => {
    const dir = await tempDir();
    folders.push(dir);
    const key = localSecretKey(dir);
    const file = path.join(dir, 'secret-key');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(mode(file)).toBe(0o600);
    expect(localSecretKey(dir)).toBe(key); // kept

    const old = await tempDir();
    folders.push(old);
    writeFileSync(path.join(old, 'secret-key'), 'ab'.repeat(32));
    chmodSync(path.join(old, 'secret-key'), 0o644);
    expect(localSecretKey(old)).toBe('ab'.repeat(32));
    expect(mode(path.join(old, 'secret-key'))).toBe(0o600);
  });
});
