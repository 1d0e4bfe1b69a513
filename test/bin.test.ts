/**
 * The package's `tributary` command as npm installs it: the built JavaScript (npm run build), run by
 * Node from a folder outside the repository, against the embedded Postgres cluster and the dev server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createPool } from '../store/store';
import { freshDatabase } from './helpers/harness';
import { repositoryMigrations } from './helpers/repositoryMigrations';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'dist', 'bin', 'tributary.js');
let cwd: string;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
const run = (file: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000): Promise<Ran> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [file, ...args],
      { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });

beforeAll(async () => {
  cwd = mkdtempSync(path.join(os.tmpdir(), 'tributary-bin-'));
  const built = await run(
    path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    [path.join(ROOT, 'scripts', 'build.ts')],
    {},
    280_000,
  );
  expect(built.code, built.stderr).toBe(0);
});
afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

it('is the bin package.json names, and --help lists every subcommand', async () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  expect(path.resolve(ROOT, pkg.bin.tributary!)).toBe(BIN);
  expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  const help = await run(BIN, ['--help']);
  expect(help.code).toBe(0);
  for (const command of ['up', 'worker', 'api', 'api-key', 'migrate', 'setup']) {
    expect(help.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
  }
});

it('refuses an unknown subcommand with a non-zero exit naming it and the known ones', async () => {
  const res = await run(BIN, ['frobnicate']);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain('unknown command "frobnicate"');
  expect(res.stderr).toContain('up, worker, api, api-key, migrate, setup');
  expect(res.stdout).toBe('');
});

it('migrate applies every migration to an empty store, once', async () => {
  const url = await freshDatabase('binmigrate');
  const first = await run(BIN, ['migrate'], { DATABASE_URL: url });
  expect(first.code, first.stderr).toBe(0);
  // The store's migrations and each data type's own, as the repository holds them: the built package
  // must have shipped every one of them.
  const files = repositoryMigrations().map((m) => m.name);
  expect(files.filter((f) => readdirSync(path.join(ROOT, 'dataTypes', 'activity')).includes(f)).length).toBeGreaterThan(
    0,
  );
  const pool = createPool(url, 1);
  try {
    const rows = (await pool.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
    expect(rows.map((r) => r.name)).toEqual(files);
    expect(rows.map((r) => r.version)).toEqual(files.map((f) => Number.parseInt(f, 10)));
    // The tables the migrations create are there.
    expect(
      (await pool.query("SELECT to_regclass('public.runs') AS t, to_regclass('public.api_keys') AS k")).rows[0],
    ).toEqual({ t: 'runs', k: 'api_keys' });
    expect(first.stdout).toContain(`applied ${files.length}:`);

    const again = await run(BIN, ['migrate'], { DATABASE_URL: url });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to apply');
    expect(Number((await pool.query('SELECT count(*) AS n FROM schema_migrations')).rows[0].n)).toBe(files.length);
  } finally {
    await pool.end();
  }
});

it('setup reaches the namespace through the same environment the Temporal CLI reads', async () => {
  const res = await run(BIN, ['setup'], { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default' });
  expect(res.code, res.stderr).toBe(0);
  expect(res.stdout).toContain('namespace default');
});
