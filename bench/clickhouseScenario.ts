/**
 * The ClickHouse scenario: ClickHouse → store through the real import workflow and the real worker (a
 * child process, so its peak RSS is its own), into its own store database of the bench's cluster. Starts a
 * clickhouse-server (Debian's, as the tests do), fills a table of events, measures the raw floor
 * (ClickHouse TSV straight into COPY), runs the import and checks the store holds every row once.
 */
import type { Client } from '@temporalio/client';
import pg from 'pg';
import type { RunRecord } from '../activities';
import { ensureDatabase } from '../store/embeddedPostgres';
import { migrate } from '../store/migrate';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../workflows/definitions';
import type { ImportWorkflowInput } from '../workflows/importInput';
import { startClickHouse } from '../test/helpers/clickhouse';
import { measureClickHouseFloor } from './clickhouse/floor';
import { childProcessMatching, CpuMeter, cpuPerRow } from './cpu';
import { spawnBenchWorker } from './workerProcess';

const CH_STORE_DB = 'bench_ch';

export async function runClickHouseScenario(ctx: {
  rows: number;
  batchSize: number;
  adminUrl: string;
  temporal: Client;
  temporalAddress: string;
  temporalPid?: number;
  postmasterPid: number;
  workerNodeArgs?: string[];
  workerEntry?: string;
  verbose?: boolean;
  log(line: string): void;
}): Promise<{ line: string; ok: boolean }> {
  const { rows, log } = ctx;
  const tag = '[clickhouse]';
  await ensureDatabase(ctx.adminUrl, CH_STORE_DB);
  const u = new URL(ctx.adminUrl);
  u.pathname = `/${CH_STORE_DB}`;
  const storeUrl = u.toString();
  const pool = new pg.Pool({ connectionString: storeUrl, max: 2 });
  const ch = await startClickHouse();
  let worker: Awaited<ReturnType<typeof spawnBenchWorker>> | null = null;
  try {
    await migrate(pool);
    log(`${tag} loading ${rows} rows into ClickHouse`);
    await ch.exec('DROP TABLE IF EXISTS events');
    await ch.exec(`CREATE TABLE events (id UInt64, uid String, kind String, amount Decimal(18, 4), at DateTime, updated_at DateTime)
      ENGINE = MergeTree ORDER BY (updated_at, id)`);
    // 1,000 rows per cursor value (ties everywhere), 50,000 users, amounts with four decimals.
    await ch.exec(`INSERT INTO events SELECT number + 1, concat('user-', toString((number * 7919) % 50000)),
        ['view', 'click', 'buy'][(number % 3) + 1], toDecimal64(number % 100000, 4) / 7,
        toDateTime('2024-01-01 00:00:00', 'UTC') + number, toDateTime('2024-01-01 00:00:00', 'UTC') + intDiv(number, 1000)
      FROM system.numbers LIMIT ${rows}`);

    const floor = await measureClickHouseFloor(
      ch.httpPort,
      'events',
      [
        { name: 'id', pgType: 'bigint', select: 'id' },
        { name: 'uid', pgType: 'text', select: 'uid' },
        { name: 'kind', pgType: 'text', select: 'kind' },
        { name: 'amount', pgType: 'numeric', select: 'amount' },
        { name: 'at', pgType: 'timestamptz', select: "concat(toString(at, 'UTC'), 'Z')" },
        { name: 'updated_at', pgType: 'timestamptz', select: "concat(toString(updated_at, 'UTC'), 'Z')" },
      ],
      storeUrl,
    );
    const floorRate = floor.rows / floor.seconds;
    log(`${tag} floor: ${floor.rows} rows in ${floor.seconds.toFixed(2)} s = ${Math.round(floorRate)} rows/s`);
    await pool.query('CHECKPOINT');

    const taskQueue = `bench-clickhouse-${process.pid}-${Date.now().toString(36)}`;
    worker = await spawnBenchWorker({
      env: {
        DATABASE_URL: storeUrl,
        TEMPORAL_ADDRESS: ctx.temporalAddress,
        TEMPORAL_NAMESPACE: 'default',
        TRIBUTARY_TASK_QUEUE: taskQueue,
        TRIBUTARY_CONNECTION_LAKE: ch.url(),
      },
      ...(ctx.workerNodeArgs ? { nodeArgs: ctx.workerNodeArgs } : {}),
      ...(ctx.workerEntry ? { entry: ctx.workerEntry } : {}),
      verbose: ctx.verbose ?? false,
    });
    const importId = `bench-ch-${Date.now().toString(36)}`;
    const spec = {
      id: importId,
      name: 'bench clickhouse events',
      dataType: 'activity' as const,
      batchSize: ctx.batchSize,
      source: { connection: 'lake', table: 'events' },
      cursor: { column: 'updated_at', key: 'id', lag: 0 },
      mapping: {
        userId: { column: 'uid' },
        eventType: { column: 'kind' },
        timestamp: { column: 'at' },
        properties: [
          { column: 'id', property: 'event_id', type: 'number' as const },
          { column: 'amount', type: 'number' as const },
        ],
      },
    };
    // The worker's peak before any import (startup bundles the workflows), to read the import's share against.
    log(
      `${tag} importing with batch size ${ctx.batchSize}; worker pid ${worker.pid}, peak rss before the import ${Math.round(worker.memory().peakMb)} MB`,
    );
    const chPid = childProcessMatching('clickhouse-server');
    const meter = new CpuMeter({
      worker: worker.pid,
      postmaster: ctx.postmasterPid,
      ...(ctx.temporalPid ? { temporal: ctx.temporalPid } : {}),
      ...(chPid ? { source: chPid } : {}),
    }).start();
    const started = process.hrtime.bigint();
    const handle = await ctx.temporal.workflow.start(IMPORT_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: importWorkflowId(importId),
      args: [{ spec } satisfies ImportWorkflowInput],
    });
    const run = (await handle.result()) as RunRecord;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = meter.stop();
    const peak = worker.memory().peakMb;
    const inStore = Number(
      (await pool.query('SELECT count(*) AS n FROM events WHERE import_id = $1', [importId])).rows[0].n,
    );
    const problems: string[] = [];
    if (run.status !== 'succeeded') problems.push(`run status ${run.status}${run.error ? `: ${run.error}` : ''}`);
    if (run.rowsRead !== rows) problems.push(`rows read ${run.rowsRead}, expected ${rows}`);
    if (inStore !== rows) problems.push(`the store holds ${inStore} events, expected ${rows}`);
    if (problems.length)
      process.stderr.write(`${tag} BENCH RESULT IS WRONG:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    const rate = rows / seconds;
    // The source here is clickhouse-server (role "source"), not a Postgres database.
    const per = cpuPerRow(cpu, rows, { store: CH_STORE_DB, source: '(clickhouse)' });
    log(
      `${tag} cpu seconds: ${Object.entries(cpu)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')} (wall ${seconds.toFixed(1)})`,
    );
    const line =
      `bench: scenario=clickhouse rows=${rows} seconds=${seconds.toFixed(2)} rows_per_s=${Math.round(rate)}` +
      ` floor_rows_per_s=${Math.round(floorRate)} ratio=${(rate / floorRate).toFixed(3)} worker_peak_rss_mb=${Math.round(peak)} ${per.fields}`;
    log(`${tag} ${line}${problems.length ? ' (WRONG RESULT)' : ''}`);
    return { line, ok: problems.length === 0 };
  } catch (err) {
    if (worker) process.stderr.write(`${tag} worker output (last lines):\n${worker.tail()}\n`);
    throw err;
  } finally {
    await worker?.stop();
    await pool.end();
    await ch.stop();
  }
}
