/**
 * Bench: ClickHouse → store through the real import workflow and the real worker (a child process, so its
 * peak RSS is its own). Starts a private embedded Postgres (the store), a Temporal dev server and a
 * clickhouse-server, fills a ClickHouse table of events, measures the raw floor (ClickHouse TSV straight
 * into COPY), runs the import, checks the store holds every row once, and prints
 *   bench: scenario=clickhouse rows=<N> seconds=<s> rows_per_s=<r> floor_rows_per_s=<f> ratio=<r/f> worker_peak_rss_mb=<m>
 * Usage: npm run bench:clickhouse -- [--rows N] [--batch N]
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { ensureDatabase, startEmbeddedPostgres } from '../connectors/store/embeddedPostgres';
import { migrate } from '../connectors/store/migrate';
import { freePort, startDevServer } from '../temporal/devServer';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../workflows/definitions';
import type { RunRecord } from '../activities';
import { startClickHouse } from '../test/helpers/clickhouse';
import { spawnWorker } from '../test/helpers/workerProcess';
import { measureClickHouseFloor } from './clickhouse/floor';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const log = (m: string) => process.stderr.write(`[bench clickhouse] ${m}\n`);
const peakRssMb = (pid: number): number => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

async function main(): Promise<void> {
  const rows = arg('rows', 1_000_000);
  const batch = arg('batch', 50_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-ch-'));
  const pgPort = await freePort();
  const store = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: pgPort, settings: { fsync: 'off' } });
  const temporal = await startDevServer({ headless: true });
  const ch = await startClickHouse();
  let worker: Awaited<ReturnType<typeof spawnWorker>> | null = null;
  try {
    await ensureDatabase(store.url('postgres'), 'bench');
    const storeUrl = store.url('bench');
    const pool = new pg.Pool({ connectionString: storeUrl, max: 2 });
    await migrate(pool);

    log(`loading ${rows} rows into ClickHouse`);
    await ch.exec(`CREATE TABLE events (id UInt64, uid String, kind String, amount Decimal(18, 4), at DateTime, updated_at DateTime)
      ENGINE = MergeTree ORDER BY (updated_at, id)`);
    // 1,000 rows per cursor value (ties everywhere), 50,000 users, amounts with four decimals.
    await ch.exec(`INSERT INTO events SELECT number + 1, concat('user-', toString((number * 7919) % 50000)),
        ['view', 'click', 'buy'][(number % 3) + 1], toDecimal64(number % 100000, 4) / 7,
        toDateTime('2024-01-01 00:00:00', 'UTC') + number, toDateTime('2024-01-01 00:00:00', 'UTC') + intDiv(number, 1000)
      FROM system.numbers LIMIT ${rows}`);

    const floor = await measureClickHouseFloor(ch.httpPort, 'events', [
      { name: 'id', pgType: 'bigint', select: 'id' }, { name: 'uid', pgType: 'text', select: 'uid' },
      { name: 'kind', pgType: 'text', select: 'kind' }, { name: 'amount', pgType: 'numeric', select: 'amount' },
      { name: 'at', pgType: 'timestamptz', select: "concat(toString(at, 'UTC'), 'Z')" },
      { name: 'updated_at', pgType: 'timestamptz', select: "concat(toString(updated_at, 'UTC'), 'Z')" },
    ], storeUrl);
    const floorRate = floor.rows / floor.seconds;
    log(`floor: ${floor.rows} rows in ${floor.seconds.toFixed(2)} s = ${Math.round(floorRate)} rows/s`);

    const taskQueue = `bench-clickhouse-${Date.now()}`;
    worker = await spawnWorker({
      DATABASE_URL: storeUrl, TEMPORAL_ADDRESS: temporal.address, TRIBUTARY_TASK_QUEUE: taskQueue,
      TRIBUTARY_CONNECTION_LAKE: ch.url(),
    });
    const pid = worker.child.pid!;
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: 'default' });
    const importId = `bench-ch-${Date.now()}`;
    const spec = {
      id: importId, name: 'bench clickhouse events', dataType: 'activity' as const, batchSize: batch,
      source: { connection: 'lake', table: 'events' },
      cursor: { column: 'updated_at', key: 'id', lag: 0 },
      mapping: {
        userId: { column: 'uid' }, eventType: { column: 'kind' }, timestamp: { column: 'at' },
        properties: [{ column: 'id', property: 'event_id', type: 'number' as const }, { column: 'amount', type: 'number' as const }],
      },
    };
    // The worker's peak before any import (startup bundles the workflows), to read the import's share against.
    log(`importing with batch size ${batch}; worker pid ${pid}, peak rss before the import ${Math.round(peakRssMb(pid))} MB`);
    const started = process.hrtime.bigint();
    const handle = await client.workflow.start(IMPORT_WORKFLOW_TYPE, { taskQueue, workflowId: importWorkflowId(importId), args: [spec] });
    const run = (await handle.result()) as RunRecord;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peak = peakRssMb(pid);
    const inStore = Number((await pool.query('SELECT count(*) AS n FROM events WHERE import_id = $1', [importId])).rows[0].n);
    await connection.close();
    await pool.end();
    const problems: string[] = [];
    if (run.status !== 'succeeded') problems.push(`run status ${run.status}`);
    if (run.rowsRead !== rows) problems.push(`rows read ${run.rowsRead}, expected ${rows}`);
    if (inStore !== rows) problems.push(`the store holds ${inStore} events, expected ${rows}`);
    if (problems.length) process.stderr.write(`BENCH RESULT IS WRONG:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    const rate = rows / seconds;
    console.log(`bench: scenario=clickhouse rows=${rows} seconds=${seconds.toFixed(2)} rows_per_s=${Math.round(rate)}` +
      ` floor_rows_per_s=${Math.round(floorRate)} ratio=${(rate / floorRate).toFixed(3)} worker_peak_rss_mb=${Math.round(peak)}`);
    if (problems.length) process.exitCode = 1;
  } finally {
    await worker?.kill('SIGTERM');
    await ch.stop();
    await temporal.stop();
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
