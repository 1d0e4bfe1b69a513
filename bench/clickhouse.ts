/**
 * `npm run bench:clickhouse -- [--rows N] [--batch N]`: the ClickHouse scenario alone (bench/clickhouseScenario.ts)
 * on a private embedded Postgres (the store) and Temporal dev server. Prints
 *   bench: scenario=clickhouse rows=<N> seconds=<s> rows_per_s=<r> floor_rows_per_s=<f> ratio=<r/f> worker_peak_rss_mb=<m> cpu_…
 * `npm run bench -- --scenario all` runs it too, on the bench's own cluster.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEmbeddedPostgres } from '../store/embeddedPostgres';
import { freePort, startDevServer } from '../dev/devServer';
import { runClickHouseScenario } from './clickhouseScenario';
import { PG_SETTINGS } from './pgSettings';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

async function main(): Promise<number> {
  const rows = arg('rows', 1_000_000);
  const batch = arg('batch', 50_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-ch-'));
  const cluster = await startEmbeddedPostgres({
    dir: path.join(dir, 'pg'),
    port: await freePort(),
    settings: PG_SETTINGS,
  });
  const temporal = await startDevServer({ headless: true });
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const outcome = await runClickHouseScenario({
      rows,
      batchSize: batch,
      adminUrl: cluster.url('postgres'),
      temporal: new Client({ connection, namespace: 'default' }),
      temporalAddress: temporal.address,
      ...(temporal.process.pid ? { temporalPid: temporal.process.pid } : {}),
      postmasterPid: Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]),
      log,
    });
    process.stdout.write(`${outcome.line}\n`);
    return outcome.ok ? 0 : 1;
  } finally {
    await connection.close();
    await temporal.stop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `bench:clickhouse failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
