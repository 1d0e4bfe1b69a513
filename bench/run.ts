/**
 * `npm run bench [-- --rows N] [-- --scenario events|profiles|csv|backfill|clickhouse|all] [-- --peer dlt]`
 *
 * Starts an embedded Postgres cluster and an in-memory Temporal dev server, generates a source table of
 * N rows in one database (bench_source), and imports it through the real workflow, run by the real worker
 * as a child process, into the store in another (bench_store). In the same run it measures the raw floor:
 * the same rows piped with COPY … TO STDOUT into COPY … FROM STDIN between the same two databases.
 *
 * Progress goes to stderr. The last lines on stdout are one per scenario:
 *   bench: scenario=events rows=<N> seconds=<s> rows_per_s=<r> floor_rows_per_s=<f> ratio=<r/f> worker_peak_rss_mb=<m>
 *          cpu_us_per_row=<all of this bench's processes> cpu_loader_us=… cpu_store_us=… cpu_source_us=… cpu_temporal_us=… cpu_pg_other_us=…
 *          [store_floor_rows_per_s=<s> store_ratio=<r/s>] [peer_ratio=<r/dlt>]
 * The store floor (bench/storeFloor.ts, events scenario) is the rows already mapped, written into the real
 * store tables the way the import writes them, on as many backends as the import uses.
 * `--peer dlt` (bench/dltPeer.ts) also loads the events scenario's rows with a tuned dlt pipeline into
 * another database of the same cluster, printed as scenario=events-dlt in the same form; peer_ratio on
 * our events line is our rows/s over dlt's.
 * `--scenario all` runs events, profiles, csv, the backfills and ClickHouse (bench/clickhouseScenario.ts).
 * A store that does not end with the expected rows is reported loudly and the exit code is 1.
 * The backfill scenarios (bench/backfill.ts) load the events table again through a backfill of 8 partitions,
 * 1 and then 4 at a time: scenario=backfill-c1 and scenario=backfill-c4.
 *
 * Other options:
 *   --batch-size B              the spec's batch size (default 200000, the largest a spec allows)
 *   --keep                      keep the data folder
 *   --skip-store-floor          no store floor (it prepares every mapped row in memory first: about 1 GB per
 *                               million events)
 *   --verbose                   forward the worker's output to stderr
 *   --worker-node-args="<flags>" node flags for the worker (default: the worker's own, WORKER_NODE_FLAGS), e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
 *   --worker-entry <file>       another worker entry than worker.ts, to compare worker configurations
 * Each scenario also reports on stderr the CPU seconds used per process (worker, store and source
 * backends, Temporal, everything else on the machine) during the import (bench/cpu.ts, which counts
 * backends that exit during the run).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import pg from 'pg';
import type { RunRecord } from '../activities';
import { PG_SETTINGS } from './pgSettings';
import { ensureDatabase, startEmbeddedPostgres } from '../store/embeddedPostgres';
import { migrate } from '../store/migrate';
import { createPool } from '../store/store';
import { freePort, startDevServer } from '../dev/devServer';
import { IMPORT_WORKFLOW_TYPE, type ImportProgress, importWorkflowId, progressQuery } from '../workflows/definitions';
import type { ImportWorkflowInput } from '../workflows/importInput';
import { CpuMeter, cpuPerRow } from './cpu';
import { measureEventsStoreFloor } from './storeFloor';
import { runDltPeer } from './dltPeer';
import { runClickHouseScenario } from './clickhouseScenario';
import { measureFloor } from './floor';
import { type Scenario, type ScenarioName, scenarios } from './scenarios';
import { csvScenario } from './csvScenario';
import { spawnBenchWorker } from './workerProcess';
import { runBackfillScenario } from './backfill';
import { WORKER_NODE_FLAGS } from '../worker';
import { STORE_FLOOR_DB } from './storeFloor';

const DEFAULT_ROWS = 1_000_000;
const DEFAULT_BATCH_SIZE = 200_000;
const SOURCE_DB = 'bench_source';
const STORE_DB = 'bench_store';
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function options() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      scenario: { type: 'string' },
      'batch-size': { type: 'string' },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'worker-node-args': { type: 'string' },
      'worker-entry': { type: 'string' },
      peer: { type: 'string' },
      'skip-store-floor': { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const rows = Number((values.rows ?? String(DEFAULT_ROWS)).replace(/_/g, ''));
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer, got ${values.rows}`);
  const batchSize = Number(values['batch-size'] ?? DEFAULT_BATCH_SIZE);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 200_000)
    throw new Error('--batch-size must be 1..200000');
  const names: ScenarioName[] =
    values.scenario === undefined
      ? ['events', 'profiles']
      : values.scenario === 'all'
        ? ['events', 'profiles', 'csv']
        : values.scenario === 'events' || values.scenario === 'profiles' || values.scenario === 'csv'
          ? [values.scenario]
          : values.scenario === 'backfill' || values.scenario === 'clickhouse'
            ? []
            : (() => {
                throw new Error(
                  `--scenario must be events, profiles, csv, backfill, clickhouse or all, got ${values.scenario}`,
                );
              })();
  if (values.peer !== undefined && values.peer !== 'dlt') throw new Error(`--peer must be dlt, got ${values.peer}`);
  return {
    peer: values.peer === 'dlt' ? ('dlt' as const) : null,
    clickhouse: values.scenario === 'all' || values.scenario === 'clickhouse',
    rows,
    batchSize,
    names,
    backfill: values.scenario === 'all' || values.scenario === 'backfill',
    keep: values.keep,
    verbose: values.verbose,
    storeFloor: !values['skip-store-floor'],
    workerNodeArgs: values['worker-node-args']?.split(/\s+/).filter(Boolean) ?? [...WORKER_NODE_FLAGS],
    workerEntry: values['worker-entry'] ? path.resolve(values['worker-entry']) : undefined,
  };
}

interface Outcome {
  line: string;
  ok: boolean;
  floorRate?: number;
  importId?: string;
  rate?: number;
}

async function runScenario(ctx: {
  scenario: Scenario;
  rows: number;
  batchSize: number;
  sourceUrl: string;
  storeUrl: string;
  source: pg.Pool;
  store: pg.Pool;
  temporal: Client;
  temporalAddress: string;
  temporalPid: number;
  postmasterPid: number;
  verbose: boolean;
  workerNodeArgs: string[];
  workerEntry: string | undefined;
  /** Where file scenarios write their files. */
  dataDir: string;
}): Promise<Outcome> {
  const { scenario, rows, source, store } = ctx;
  const tag = `[${scenario.name}]`;

  let t = Date.now();
  log(`${tag} generating ${fmt(rows)} source rows in ${SOURCE_DB}.${scenario.table}`);
  await scenario.generate(source, rows);
  await source.query(`VACUUM (ANALYZE) ${scenario.table}`);
  await source.query('CHECKPOINT');
  log(`${tag} generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  log(
    scenario.files
      ? `${tag} floor: the file piped into COPY ${STORE_DB}.floor_csv FROM STDIN (FORMAT csv)`
      : `${tag} floor: COPY ${SOURCE_DB}.${scenario.table} TO STDOUT | COPY ${STORE_DB}.floor_${scenario.table} FROM STDIN`,
  );
  if (scenario.files) await scenario.files.write(ctx.sourceUrl, ctx.dataDir, (line) => log(`${tag} ${line}`));
  const floor = scenario.files
    ? await scenario.files.floor(ctx.sourceUrl, ctx.storeUrl, ctx.dataDir)
    : await measureFloor(ctx.sourceUrl, ctx.storeUrl, scenario.table);
  if (floor.rows !== rows) throw new Error(`floor copied ${floor.rows} rows, expected ${rows}`);
  const floorRate = floor.rows / floor.seconds;
  log(`${tag} floor: ${fmt(floor.rows)} rows in ${floor.seconds.toFixed(2)} s = ${fmt(floorRate)} rows/s`);
  if (scenario.spec('probe', ctx.batchSize).dataType === 'activity') {
    // Event dedup is per user across imports: an earlier scenario's events (csv after events carries the
    // very same events) would turn these into duplicates. Each events scenario starts from an empty event store.
    await store.query('TRUNCATE events, event_dedup, identities CASCADE');
  }
  await store.query('CHECKPOINT');

  const taskQueue = `bench-${scenario.name}-${process.pid}-${Date.now().toString(36)}`;
  const worker = await spawnBenchWorker({
    env: {
      DATABASE_URL: ctx.storeUrl,
      TEMPORAL_ADDRESS: ctx.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TRIBUTARY_TASK_QUEUE: taskQueue,
      TRIBUTARY_CONNECTION_WAREHOUSE: ctx.sourceUrl,
      ...scenario.files?.connections(ctx.dataDir),
    },
    nodeArgs: ctx.workerNodeArgs,
    entry: ctx.workerEntry,
    verbose: ctx.verbose,
  });
  let stopped = false;
  try {
    const idle = worker.memory();
    log(
      `${tag} worker pid ${worker.pid} polling ${taskQueue}; rss ${idle.rssMb.toFixed(0)} MB, peak so far ${idle.peakMb.toFixed(0)} MB`,
    );

    const importId = `bench-${scenario.name}-${Date.now().toString(36)}`;
    const spec = scenario.spec(importId, ctx.batchSize);
    log(`${tag} importing through the workflow (batch size ${fmt(ctx.batchSize)})`);
    t = Date.now();
    const meter = new CpuMeter({
      worker: worker.pid,
      temporal: ctx.temporalPid,
      postmaster: ctx.postmasterPid,
    }).start();
    const started = process.hrtime.bigint();
    const handle = await ctx.temporal.workflow.start(IMPORT_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: importWorkflowId(importId),
      args: [{ spec } satisfies ImportWorkflowInput],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    });
    let finished = false;
    const result = handle.result().finally(() => {
      finished = true;
    }) as Promise<RunRecord>;
    result.catch(() => undefined);
    while (!finished) {
      await Promise.race([result.catch(() => undefined), sleep(5_000)]);
      if (finished) break;
      const mem = worker.memory();
      const p = await handle.query(progressQuery).catch(() => null as ImportProgress | null);
      const secs = (Date.now() - t) / 1000;
      log(
        `${tag}   ${secs.toFixed(0)} s: ${p ? `${fmt(p.rowsRead)} rows read, ${p.batches} batches` : '(no progress yet)'}; worker rss ${mem.rssMb.toFixed(0)} MB`,
      );
    }
    const run = await result;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const mem = worker.memory();
    const cpu = meter.stop();
    await worker.stop();
    stopped = true;

    const rate = rows / seconds;
    log(
      `${tag} imported ${fmt(run.rowsRead)} rows in ${seconds.toFixed(2)} s = ${fmt(rate)} rows/s; ${run.batches} batches; status ${run.status}`,
    );
    const byCpu = Object.entries(cpu).sort((a, b) => b[1] - a[1]);
    log(`${tag} cpu seconds: ${byCpu.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} (wall ${seconds.toFixed(1)})`);
    const perRow = cpuPerRow(cpu, rows, { store: STORE_DB, source: SOURCE_DB });
    log(
      `${tag} cpu µs per row: ${byCpu
        .filter(([k]) => k !== 'other')
        .map(([k, v]) => `${k} ${((v * 1e6) / rows).toFixed(1)}`)
        .join(', ')}` +
        `; worker + Postgres + Temporal ${perRow.totalUs.toFixed(1)}` +
        ` (other processes on the machine: ${(cpu.other ?? 0).toFixed(1)} CPU s; load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')})`,
    );
    log(
      `${tag} run: created ${fmt(run.created)}, updated ${fmt(run.updated)}, unchanged ${fmt(run.unchanged)}, duplicates ${fmt(run.duplicates)}, rejected ${fmt(run.rejected)}, profiles created ${fmt(run.profilesCreated)}`,
    );

    // The store must hold exactly what the rows mean.
    const expected = scenario.expected(rows);
    const problems: string[] = [];
    if (run.status !== 'succeeded') problems.push(`run status ${run.status}${run.error ? `: ${run.error}` : ''}`);
    for (const [field, want] of Object.entries(expected.run)) {
      const got = run[field as keyof RunRecord];
      if (got !== want) problems.push(`run.${field} = ${String(got)}, expected ${want}`);
    }
    const inStore = await scenario.countStore(store, importId);
    if (inStore !== expected.storeRows)
      problems.push(`the store holds ${inStore} rows for ${importId}, expected ${expected.storeRows}`);
    if (problems.length > 0) {
      const banner = '!'.repeat(100);
      process.stderr.write(
        `\n${banner}\n${tag} BENCH RESULT IS WRONG:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${banner}\n\n`,
      );
    } else {
      log(`${tag} verified: ${fmt(inStore)} rows in the store, run counts as expected`);
    }
    const line =
      `bench: scenario=${scenario.name} rows=${rows} seconds=${seconds.toFixed(2)} rows_per_s=${Math.round(rate)}` +
      ` floor_rows_per_s=${Math.round(floorRate)} ratio=${(rate / floorRate).toFixed(3)} worker_peak_rss_mb=${Math.round(mem.peakMb)}` +
      ` ${perRow.fields}`;
    log(`${tag} ${line}${problems.length > 0 ? ' (WRONG RESULT)' : ''}`);
    return { line, ok: problems.length === 0, floorRate, importId, rate };
  } catch (err) {
    process.stderr.write(`${tag} worker output (last lines):\n${worker.tail()}\n`);
    throw err;
  } finally {
    if (!stopped) await worker.stop();
  }
}

async function main(): Promise<number> {
  const opts = options();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-'));
  const cleanups: (() => Promise<void>)[] = [];
  const outcomes: Outcome[] = [];
  try {
    log(`bench: ${fmt(opts.rows)} rows, scenarios ${opts.names.join(', ')}; data in ${dir}`);
    const pgPort = await freePort();
    const cluster = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: pgPort, settings: PG_SETTINGS });
    cleanups.unshift(() => cluster.stop());
    log(`postgres on 127.0.0.1:${pgPort}`);
    // The server's pid heads postmaster.pid: its children are this bench's backends.
    const postmasterPid = Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const temporal = await startDevServer({ headless: true });
    cleanups.unshift(() => temporal.stop());
    log(`temporal dev server on ${temporal.address}`);

    const admin = cluster.url('postgres');
    await ensureDatabase(admin, SOURCE_DB);
    await ensureDatabase(admin, STORE_DB);
    const sourceUrl = withDatabase(admin, SOURCE_DB);
    const storeUrl = withDatabase(admin, STORE_DB);
    const source = createPool(sourceUrl, 2);
    const store = createPool(storeUrl, 2);
    cleanups.unshift(async () => {
      await source.end();
      await store.end();
    });
    await migrate(store);

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.unshift(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    let eventsFloor: number | undefined;
    /** Store floor of the events rows, by number of backends. */
    const storeFloors = new Map<number, number>();
    for (const name of opts.names) {
      let peerOutcome: Outcome | undefined;
      const outcome = await runScenario({
        scenario: name === 'csv' ? csvScenario : scenarios[name],
        rows: opts.rows,
        batchSize: opts.batchSize,
        sourceUrl,
        storeUrl,
        source,
        store,
        temporal: client,
        temporalAddress: temporal.address,
        temporalPid: temporal.process.pid ?? -1,
        postmasterPid,
        verbose: opts.verbose,
        workerNodeArgs: opts.workerNodeArgs,
        workerEntry: opts.workerEntry,
        dataDir: dir,
      });
      if (name === 'events') eventsFloor = outcome.floorRate;
      if (name === 'events') {
        if (opts.storeFloor) {
          // The import's store work runs on one backend (one transaction per batch); a backfill's on up to four.
          for (const backends of opts.backfill ? [1, 4] : [1]) {
            log(
              `[store-floor] the events' mapped rows into the store's tables (${STORE_FLOOR_DB}) on ${backends} backend(s)`,
            );
            const meter = new CpuMeter({ postmaster: postmasterPid }).start();
            const sf = await measureEventsStoreFloor({
              adminUrl: admin,
              storeUrl,
              importId: outcome.importId!,
              rows: opts.rows,
              batchSize: opts.batchSize,
              backends,
            });
            const cpu = meter.stop();
            const sfRate = sf.rows / sf.seconds;
            const want = scenarios.events.expected(opts.rows).storeRows;
            if (sf.created !== want) {
              outcome.ok = false;
              process.stderr.write(
                `[store-floor] BENCH RESULT IS WRONG: the store floor created ${sf.created} events, expected ${want}\n`,
              );
            }
            storeFloors.set(backends, sfRate);
            log(
              `[store-floor] ${fmt(sf.rows)} rows in ${sf.seconds.toFixed(2)} s = ${fmt(sfRate)} rows/s on ${backends} backend(s);` +
                ` created ${fmt(sf.created)}, duplicates ${fmt(sf.duplicates)}; store backends ${(((cpu[`pg:${STORE_FLOOR_DB}`] ?? 0) * 1e6) / sf.rows).toFixed(1)} CPU-µs per row`,
            );
          }
          const sf1 = storeFloors.get(1)!;
          outcome.line += ` store_floor_rows_per_s=${Math.round(sf1)} store_ratio=${(outcome.rate! / sf1).toFixed(3)}`;
        }
        if (opts.peer === 'dlt') {
          log('[events-dlt] the same source rows through a tuned dlt pipeline into bench_dlt');
          const peer = await runDltPeer({
            adminUrl: admin,
            sourceUrl,
            table: scenarios.events.table,
            dataDir: dir,
            postmasterPid,
            log,
          });
          const peerRate = opts.rows / peer.seconds;
          const per = cpuPerRow(peer.cpu, opts.rows, { store: 'bench_dlt', source: SOURCE_DB }, 'peer');
          const ok = peer.rowsInDestination === opts.rows;
          if (!ok)
            process.stderr.write(
              `[events-dlt] BENCH RESULT IS WRONG: bench_dlt holds ${peer.rowsInDestination} rows, expected ${opts.rows}\n`,
            );
          log(
            `[events-dlt] cpu seconds: ${Object.entries(peer.cpu)
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => `${k} ${v.toFixed(1)}`)
              .join(', ')}`,
          );
          const versions = Object.entries(peer.versions)
            .map(([n, v]) => `${n}==${v}`)
            .join(',');
          peerOutcome = {
            ok,
            line:
              `bench: scenario=events-dlt rows=${opts.rows} seconds=${peer.seconds.toFixed(2)} rows_per_s=${Math.round(peerRate)}` +
              ` floor_rows_per_s=${Math.round(outcome.floorRate!)} ratio=${(peerRate / outcome.floorRate!).toFixed(3)}` +
              ` worker_peak_rss_mb=${Math.round(peer.peakRssMb)} ${per.fields} versions=${versions}` +
              (peer.substitutions.length > 0 ? ` NOT_AS_PINNED="${peer.substitutions.join('; ')}"` : '') +
              ` loaded_files=${peer.loadedFormats.join(',')}`,
          };
          outcome.line += ` peer_ratio=${(outcome.rate! / peerRate).toFixed(3)}`;
        }
      } else if (name === 'csv' && storeFloors.has(1)) {
        outcome.line += ` store_floor_rows_per_s=${Math.round(storeFloors.get(1)!)} store_ratio=${(outcome.rate! / storeFloors.get(1)!).toFixed(3)}`;
      }
      outcomes.push(outcome);
      if (peerOutcome) outcomes.push(peerOutcome);
    }
    if (opts.backfill) {
      if (eventsFloor === undefined) {
        // Run alone: the events table and its floor first, as the events scenario makes them.
        log(`[backfill] generating ${fmt(opts.rows)} source rows in ${SOURCE_DB}.${scenarios.events.table}`);
        await scenarios.events.generate(source, opts.rows);
        await source.query(`VACUUM (ANALYZE) ${scenarios.events.table}`);
        const floor = await measureFloor(sourceUrl, storeUrl, scenarios.events.table);
        eventsFloor = floor.rows / floor.seconds;
        log(`[backfill] floor: ${fmt(floor.rows)} rows in ${floor.seconds.toFixed(2)} s = ${fmt(eventsFloor)} rows/s`);
      }
      for (const concurrency of [1, 4]) {
        outcomes.push(
          await runBackfillScenario({
            concurrency,
            rows: opts.rows,
            batchSize: opts.batchSize,
            sourceUrl,
            storeUrl,
            source,
            store,
            temporal: client,
            temporalAddress: temporal.address,
            floorRowsPerSecond: eventsFloor,
            verbose: opts.verbose,
            workerNodeArgs: opts.workerNodeArgs,
            workerEntry: opts.workerEntry,
            log,
            postmasterPid,
            temporalPid: temporal.process.pid ?? -1,
            ...(storeFloors.has(Math.min(concurrency, 4))
              ? { storeFloorRowsPerSecond: storeFloors.get(Math.min(concurrency, 4))! }
              : {}),
          }),
        );
      }
    }
    if (opts.clickhouse) {
      outcomes.push(
        await runClickHouseScenario({
          rows: opts.rows,
          batchSize: opts.batchSize,
          adminUrl: admin,
          temporal: client,
          temporalAddress: temporal.address,
          temporalPid: temporal.process.pid ?? -1,
          postmasterPid,
          workerNodeArgs: opts.workerNodeArgs,
          ...(opts.workerEntry ? { workerEntry: opts.workerEntry } : {}),
          verbose: opts.verbose,
          log,
        }),
      );
    }
  } finally {
    for (const c of cleanups) await c().catch((e) => log(`cleanup: ${(e as Error).message}`));
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  for (const o of outcomes) process.stdout.write(`${o.line}\n`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
