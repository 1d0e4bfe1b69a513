/**
 * One throttle rule (domain/throttle.ts) for the API's bodies, the backfill's update validator, both
 * workflows' throttle signal and the client's startImport.
 */
import type { Client } from '@temporalio/client';
import { expect, it } from 'vitest';
import { startImport } from '../../client/imports';
import { throttleChangeSchema, throttledBatchRows, throttleProblem } from '../../domain/throttle';

const RATE = 'rowsPerSecond must be a number from 1 to 10000000, or null';
const CONCURRENCY = 'concurrency must be an integer from 1 to 64';

it('names the field a throttle change breaks, and takes every valid one', () => {
  const cases: [unknown, string | null][] = [
    [{}, null],
    [{ rowsPerSecond: null }, null],
    [{ rowsPerSecond: 1 }, null],
    [{ rowsPerSecond: 0.5 }, RATE],
    [{ rowsPerSecond: 0 }, RATE],
    [{ rowsPerSecond: 750.5 }, null],
    [{ rowsPerSecond: 10_000_000 }, null],
    [{ rowsPerSecond: 10_000_001 }, RATE],
    [{ rowsPerSecond: Number.NaN }, RATE],
    [{ rowsPerSecond: Number.POSITIVE_INFINITY }, RATE],
    [{ rowsPerSecond: '500' }, RATE],
    [{ concurrency: 1 }, null],
    [{ concurrency: 64 }, null],
    [{ concurrency: 0 }, CONCURRENCY],
    [{ concurrency: 65 }, CONCURRENCY],
    [{ concurrency: 1.5 }, CONCURRENCY],
    [{ concurrency: null }, CONCURRENCY],
    [{ rowsPerSecond: -1, concurrency: 0 }, RATE],
    [null, 'the throttle must be an object such as {"rowsPerSecond": 500}'],
    ['fast', 'the throttle must be an object such as {"rowsPerSecond": 500}'],
  ];
  for (const [change, problem] of cases) {
    expect(throttleProblem(change), JSON.stringify(change)).toBe(problem);
    // The API's body schema is the same rule: it takes exactly what the workflows take.
    expect(throttleChangeSchema.safeParse(change).success, JSON.stringify(change)).toBe(problem === null);
  }
});

it("sizes a throttled run's batches at about two seconds of rows, within the spec's batch size", () => {
  expect(throttledBatchRows(null, 10_000)).toBe(10_000);
  expect(throttledBatchRows(1000, 10_000)).toBe(2000);
  expect(throttledBatchRows(10, 10_000)).toBe(100);
  expect(throttledBatchRows(1_000_000, 10_000)).toBe(10_000);
});

it('startImport refuses a throttle the run would refuse, before it starts anything', async () => {
  const started: unknown[] = [];
  const client = {
    workflow: {
      start: async (...args: unknown[]) => {
        started.push(args);
        return {};
      },
    },
  } as unknown as Client;
  const spec = {
    id: 'people',
    name: 'People',
    dataType: 'profile' as const,
    source: { connection: 'warehouse', table: 'people' },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: { userId: { column: 'email' }, idType: { value: 'email' } },
  };
  await expect(startImport(client, spec, { rowsPerSecond: -5 })).rejects.toThrow(`startImport: ${RATE} (got -5)`);
  await expect(startImport(client, spec, { rowsPerSecond: 20_000_000 })).rejects.toThrow(RATE);
  expect(started).toEqual([]);
  await startImport(client, spec, { rowsPerSecond: 500 });
  expect(started).toHaveLength(1);
});
