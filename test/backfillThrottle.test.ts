/**
 * The throttle of a running backfill: lowering it through the setThrottle update measurably lowers the
 * rate of committed rows (counted in the store over observed windows), and lifting it lets the backfill
 * finish with every row loaded once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backfillProgressQuery, setThrottleUpdate } from '../workflows/backfillDefinitions';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import {
  backfillInput,
  createEventSource,
  eventSpec,
  runBackfill,
  sleep,
  sourceChecksum,
  STORE_CHECKSUM,
  waitFor,
} from './helpers/backfill';

const ROWS = 300_000;

let h: Harness;
beforeAll(async () => {
  h = await createHarness('bfthrottle');
});
afterAll(async () => {
  await h?.close();
});

it('lowering the throttle while the backfill runs lowers its rate; lifting it lets it finish', async () => {
  await createEventSource(h.source, ROWS);
  const expected = (await h.source.query(sourceChecksum())).rows[0];
  const spec = eventSpec(uniqueId('throttle'), 'events_src', 10_000);
  const handle = await runBackfill(
    h.client,
    h.taskQueue,
    backfillInput(spec, {
      backfillId: 'throttle',
      partitions: 4,
      throttle: { rowsPerSecond: 20_000, concurrency: 2 },
    }),
  );
  const committed = () =>
    count(h.store, "SELECT coalesce(sum(rows_read), 0) FROM runs WHERE import_id = $1 AND stream LIKE 'backfill:%'", [
      spec.id,
    ]);
  /** Rows committed per second over a window of `ms`, measured on the store's own counts. */
  const rateOver = async (ms: number) => {
    const r0 = await committed();
    const t0 = Date.now();
    await sleep(ms);
    return ((await committed()) - r0) / ((Date.now() - t0) / 1000);
  };

  await waitFor('the first partition batches', committed, (n) => n > 0, 60_000);
  const fast = await rateOver(8000);

  expect(await handle.executeUpdate(setThrottleUpdate, { args: [{ rowsPerSecond: 3000 }] })).toEqual({
    rowsPerSecond: 3000,
    concurrency: 2,
  });
  // Batches already under way finish at the old size: let them go before measuring.
  await sleep(5000);
  const slow = await rateOver(12_000);
  const progress = await handle.query(backfillProgressQuery);
  expect(progress.throttle).toEqual({ rowsPerSecond: 3000, concurrency: 2 });
  expect(progress.rowsRead).toBeLessThan(ROWS);

  // The lower throttle holds (batch boundaries allow some slack) and is well below the rate before it.
  expect(slow).toBeLessThan(3000 * 1.6);
  expect(slow).toBeLessThan(fast / 2);
  expect(slow).toBeGreaterThan(0);

  // An invalid throttle is rejected by the update's validator and changes nothing.
  const rejected = await handle.executeUpdate(setThrottleUpdate, { args: [{ concurrency: 0 }] }).then(
    () => null,
    (e: Error) => e,
  );
  expect((rejected?.cause as Error | undefined)?.message).toMatch(/concurrency must be/);
  expect((await handle.query(backfillProgressQuery)).throttle).toEqual({ rowsPerSecond: 3000, concurrency: 2 });

  await handle.executeUpdate(setThrottleUpdate, { args: [{ rowsPerSecond: null, concurrency: 4 }] });
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'succeeded', rowsRead: ROWS });
  expect((await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0]).toEqual(expected);
  console.log(
    `backfill throttle: ${Math.round(fast)} rows/s at 20,000 rows/s, ${Math.round(slow)} rows/s at 3,000 rows/s`,
  );
}, 300_000);
