/**
 * The backfill scenarios of `npm run bench`: the events scenario's source table loaded by a backfill of
 * BACKFILL_PARTITIONS partitions, `concurrency` at a time (backfill-c1, backfill-c4), through the real
 * backfill workflow and the real worker process. The store's event data is emptied first (event dedup is
 * per user across imports, so an earlier scenario's events would turn these into duplicates), and the
 * counts summed over the partitions' runs must match the events scenario's. The machine's load average is
 * logged before and after: the machine is shared, and a busy neighbour shows in the figure.
 */
import os from 'node:os';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { startBackfill } from '../api/backfills';
import { parseImportSpec } from '../domain/importSpec';
import { type BackfillProgress, backfillProgressQuery } from '../workflows/backfillDefinitions';
import { eventsScenario } from './scenarios';
import { spawnBenchWorker } from './workerProcess';
import { CpuMeter, cpuPerRow } from './cpu';

export const BACKFILL_PARTITIONS = 8;

export interface BackfillBenchContext {
  concurrency: number;
  rows: number;
  batchSize: number;
  sourceUrl: string;
  storeUrl: string;
  source: pg.Pool;
  store: pg.Pool;
  temporal: Client;
  temporalAddress: string;
  /** Raw COPY floor of the events table, measured by the caller (or by the events scenario). */
  floorRowsPerSecond: number;
  verbose: boolean;
  workerNodeArgs: string[];
  workerEntry: string | undefined;
  log(line: string): void;
  postmasterPid: number;
  temporalPid: number;
  /** Store floor of the events rows on as many backends as this backfill uses at once, when measured. */
  storeFloorRowsPerSecond?: number;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export async function runBackfillScenario(ctx: BackfillBenchContext): Promise<{ line: string; ok: boolean }> {
  const name = `backfill-c${ctx.concurrency}`;
  const tag = `[${name}]`;
  const { store, rows } = ctx;
  await store.query('TRUNCATE events, event_dedup, identities CASCADE');
  await store.query('CHECKPOINT');

  const taskQueue = `bench-${name}-${process.pid}-${Date.now().toString(36)}`;
  const worker = await spawnBenchWorker({
    env: {
      DATABASE_URL: ctx.storeUrl,
      TEMPORAL_ADDRESS: ctx.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TRIBUTARY_TASK_QUEUE: taskQueue,
      TRIBUTARY_CONNECTION_WAREHOUSE: ctx.sourceUrl,
    },
    nodeArgs: ctx.workerNodeArgs,
    entry: ctx.workerEntry,
    verbose: ctx.verbose,
  });
  let stopped = false;
  try {
    const importId = `bench-${name}-${Date.now().toString(36)}`;
    const spec = parseImportSpec(eventsScenario.spec(importId, ctx.batchSize));
    ctx.log(
      `${tag} backfill of ${fmt(rows)} rows: ${BACKFILL_PARTITIONS} partitions, ${ctx.concurrency} at a time, batch size ${fmt(ctx.batchSize)}; load average ${load()}`,
    );
    const t = Date.now();
    const meter = new CpuMeter({
      worker: worker.pid,
      temporal: ctx.temporalPid,
      postmaster: ctx.postmasterPid,
    }).start();
    const started = process.hrtime.bigint();
    const handle = await startBackfill(ctx.temporal, taskQueue, {
      backfillId: 'bench',
      spec,
      from: null,
      to: null,
      partitions: BACKFILL_PARTITIONS,
      throttle: { rowsPerSecond: null, concurrency: ctx.concurrency },
    });
    let finished = false;
    const result = handle.result().finally(() => {
      finished = true;
    });
    result.catch(() => undefined);
    while (!finished) {
      await Promise.race([result.catch(() => undefined), sleep(5_000)]);
      if (finished) break;
      const p = await handle.query(backfillProgressQuery).catch(() => null as BackfillProgress | null);
      const mem = worker.memory();
      ctx.log(
        `${tag}   ${((Date.now() - t) / 1000).toFixed(0)} s: ${p ? `${p.partitionsDone}/${p.partitions} partitions, ${fmt(p.rowsRead)} rows, ${fmt(p.rowsPerSecond)} rows/s` : '(no progress yet)'}; worker rss ${mem.rssMb.toFixed(0)} MB`,
      );
    }
    const outcome = await result;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = meter.stop();
    const mem = worker.memory();
    await worker.stop();
    stopped = true;
    const rate = rows / seconds;
    ctx.log(
      `${tag} ${fmt(outcome.rowsRead)} rows in ${seconds.toFixed(2)} s = ${fmt(rate)} rows/s; status ${outcome.status}; load average ${load()}`,
    );

    // The partitions' runs together must count what one run of the events scenario counts.
    const expected = eventsScenario.expected(rows);
    const sums = (
      await store.query(
        `SELECT count(*)::int AS runs, sum(rows_read)::bigint AS "rowsRead", sum(created)::bigint AS created,
              sum(duplicates)::bigint AS duplicates, sum(rejected)::bigint AS rejected
       FROM runs WHERE import_id = $1 AND status = 'succeeded'`,
        [importId],
      )
    ).rows[0] as Record<string, string | number>;
    const problems: string[] = [];
    if (outcome.status !== 'succeeded') problems.push(`backfill status ${outcome.status}`);
    if (Number(sums.runs) !== BACKFILL_PARTITIONS)
      problems.push(`${sums.runs} succeeded partition runs, expected ${BACKFILL_PARTITIONS}`);
    for (const [field, want] of Object.entries(expected.run)) {
      if (Number(sums[field]) !== want) problems.push(`sum of runs' ${field} = ${sums[field]}, expected ${want}`);
    }
    const inStore = await eventsScenario.countStore(store, importId);
    if (inStore !== expected.storeRows)
      problems.push(`the store holds ${inStore} rows for ${importId}, expected ${expected.storeRows}`);
    if (problems.length > 0) {
      const banner = '!'.repeat(100);
      process.stderr.write(
        `\n${banner}\n${tag} BENCH RESULT IS WRONG:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${banner}\n\n`,
      );
    } else {
      ctx.log(`${tag} verified: ${fmt(inStore)} rows in the store, partition counts as expected`);
    }
    const dbOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));
    const perRow = cpuPerRow(cpu, rows, { store: dbOf(ctx.storeUrl), source: dbOf(ctx.sourceUrl) });
    ctx.log(
      `${tag} cpu seconds: ${Object.entries(cpu)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
    const sf = ctx.storeFloorRowsPerSecond;
    const line =
      `bench: scenario=${name} rows=${rows} seconds=${seconds.toFixed(2)} rows_per_s=${Math.round(rate)}` +
      ` floor_rows_per_s=${Math.round(ctx.floorRowsPerSecond)} ratio=${(rate / ctx.floorRowsPerSecond).toFixed(3)} worker_peak_rss_mb=${Math.round(mem.peakMb)}` +
      ` ${perRow.fields}${sf ? ` store_floor_rows_per_s=${Math.round(sf)} store_ratio=${(rate / sf).toFixed(3)}` : ''}`;
    ctx.log(`${tag} ${line}${problems.length > 0 ? ' (WRONG RESULT)' : ''}`);
    return { line, ok: problems.length === 0 };
  } catch (err) {
    process.stderr.write(`${tag} worker output (last lines):\n${worker.tail()}\n`);
    throw err;
  } finally {
    if (!stopped) await worker.stop();
  }
}
