/**
 * Warehouse, file-transport and Parquet SDKs are optional. A child Node process runs with a resolution
 * hook that makes them missing exactly as an uninstalled package is (the shared node_modules keeps them):
 * the library's entry points still load, and a connection that needs one fails with a configuration
 * error (never retried) naming the connection and the npm package to add, on a real worker too.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { expect, inject, it } from 'vitest';
import { OPTIONAL_PACKAGES } from '../connectors/common/optionalPackages';
import { createHarness, uniqueId } from './helpers/harness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.join(ROOT, 'test', 'helpers', 'missingPackages');
const ALL = Object.values(OPTIONAL_PACKAGES).flat();

interface Line {
  loaded?: number;
  kind?: string;
  name?: string;
  message?: string;
  configuration?: boolean;
  failureKind?: string;
}

function child(hidden: readonly string[]): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', path.join(DIR, 'hide.mjs'), path.join(DIR, 'child.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, TRIBUTARY_TEST_HIDE: hidden.join(',') },
        timeout: 240_000,
      },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`child failed: ${err.message}\n${stderr}`));
        resolve(
          stdout
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Line),
        );
      },
    );
  });
}

const npm = (pkg: string) => `install the npm package ${pkg} (npm install ${pkg})`;

it('loads every entry point without any optional package, and names the package a connection needs', async () => {
  const lines = await child(ALL);
  expect(lines[0]).toEqual({ loaded: 5 });
  const byKind: Record<string, Line> = Object.fromEntries(lines.slice(1).map((l) => [l.kind, l]));
  expect(Object.fromEntries(Object.entries(byKind).map(([k, l]) => [k, l.message]))).toEqual({
    mysql: `connection "wh-mysql" is of kind "mysql": ${npm('mysql2')}`,
    clickhouse: `connection "wh-clickhouse" is of kind "clickhouse": ${npm('@clickhouse/client')}`,
    snowflake: `connection "wh-snowflake" is of kind "snowflake": ${npm('snowflake-sdk')}`,
    bigquery: `connection "wh-bigquery" is of kind "bigquery": ${npm('@google-cloud/bigquery')}`,
    s3: `connection "wh-s3" is of kind "s3": ${npm('@aws-sdk/client-s3')}`,
    sftp: `connection "wh-sftp" is of kind "sftp": ${npm('ssh2-sftp-client')}`,
    file: `the connection has Parquet files: ${npm('hyparquet')}`,
  });
  for (const l of Object.values(byKind)) {
    // The name Temporal records as the failure type, which the activities' retry policy never retries.
    expect(l, l.kind).toMatchObject({ name: 'ConfigurationError', configuration: true, failureKind: 'configuration' });
  }
});

it('names the second package of a kind that needs two when only that one is missing', async () => {
  const lines = await child(['google-auth-library']);
  expect(lines.find((l) => l.kind === 'bigquery')?.message).toBe(
    `connection "wh-bigquery" is of kind "bigquery": ${npm('google-auth-library')}`,
  );
});

it('with the packages present, the same opens get as far as the network (the hook, not the code, made them missing)', async () => {
  const lines = await child([]);
  expect(lines[0]).toEqual({ loaded: 5 });
  for (const l of lines.slice(1)) expect(l.message ?? '', l.kind).not.toMatch(/install the npm package/);
  // Nothing listens on port 1: the drivers themselves were loaded and tried.
  expect(lines.find((l) => l.kind === 'sftp')).toMatchObject({ failureKind: 'transient' });
});

it('declares the optional SDKs as optional peers and Temporal as a required peer, all kept for the repository', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  for (const name of ALL) {
    expect(pkg.dependencies![name], name).toBeUndefined();
    expect(pkg.peerDependencies![name], name).toBeDefined();
    expect(pkg.peerDependenciesMeta![name], name).toEqual({ optional: true });
    expect(pkg.devDependencies![name], name).toBe(pkg.peerDependencies![name]);
  }
  const temporal = Object.keys(pkg.peerDependencies!).filter((n) => n.startsWith('@temporalio/'));
  expect(temporal.sort()).toEqual(
    ['activity', 'client', 'common', 'envconfig', 'plugin', 'worker', 'workflow'].map((n) => `@temporalio/${n}`),
  );
  for (const name of temporal) {
    expect(pkg.dependencies![name], name).toBeUndefined();
    expect(pkg.peerDependenciesMeta![name], name).toBeUndefined();
    expect(pkg.devDependencies![name], name).toBe(pkg.peerDependencies![name]);
  }
});

it('fails a run on a real worker at once, without retries, naming the package, when the SDK is missing', async () => {
  const h = await createHarness('nosdk', { inProcessWorker: false });
  const worker = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', path.join(DIR, 'hide.mjs'), path.join(DIR, 'worker.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        TRIBUTARY_TEST_HIDE: 'snowflake-sdk',
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        DATABASE_URL: h.storeUrl,
        TASK_QUEUE: h.taskQueue,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  worker.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  worker.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
  try {
    const spec = {
      id: uniqueId('nosdk'),
      name: 'no sdk',
      dataType: 'profile' as const,
      source: { connection: 'wh', table: 'people' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' } },
    };
    const handle = await h.startImport(spec);
    let timer: NodeJS.Timeout | undefined;
    const err = await Promise.race([
      handle.result().catch((e: unknown) => e),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no result in 180 s; worker output:\n${output}`)), 180_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(err, output).toBeInstanceOf(WorkflowFailedError);
    const expected = `connection "wh" is of kind "snowflake": ${npm('snowflake-sdk')}`;
    expect(String(((err as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toBe(expected);
    const history = await handle.fetchHistory();
    const failed = history.events!.filter((e) => e.activityTaskFailedEventAttributes);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.activityTaskFailedEventAttributes!.failure?.applicationFailureInfo?.type).toBe(
      'ConfigurationError',
    );
    // Every activity ran once: the failing one, then those recording the failed run.
    expect(
      history
        .events!.filter((e) => e.activityTaskStartedEventAttributes)
        .every((e) => e.activityTaskStartedEventAttributes!.attempt === 1),
    ).toBe(true);
    const run = await h.store.query('SELECT status, error FROM runs WHERE import_id = $1', [spec.id]);
    expect(run.rows).toEqual([{ status: 'failed', error: expect.stringContaining(expected) }]);
    expect(output).not.toContain('s3cret-sf');
  } finally {
    worker.kill('SIGTERM');
    await exited;
    await h.close();
  }
});
