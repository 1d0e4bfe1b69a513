/** mapBounded, which renders GET /imports: never more than its limit in flight, lanes never idle behind a slow item, order kept. */
import { expect, it } from 'vitest';
import { mapBounded } from '../../api/mapBounded';
import { sleep } from '../helpers/wait';

it('keeps at most the limit in flight, starts the next item as soon as a lane is free, and keeps the order', async () => {
  let inFlight = 0;
  let most = 0;
  const started: number[] = [];
  const finished: number[] = [];
  // Item 0 is slow; the other 19 are quick and must all get through the other lanes meanwhile.
  const out = await mapBounded(
    Array.from({ length: 20 }, (_, i) => i),
    8,
    async (i) => {
      started.push(i);
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(i === 0 ? 300 : 10);
      inFlight--;
      finished.push(i);
      return i * 2;
    },
  );
  expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  expect(most).toBe(8);
  expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  // In batches of 8, items 8-19 would wait for the slow item 0; in lanes they are all done before it.
  expect(finished.at(-1)).toBe(0);
  expect(await mapBounded([], 8, async () => 1)).toEqual([]);
});

it('passes on the first failure', async () => {
  await expect(
    mapBounded([1, 2, 3], 2, async (i) => {
      if (i === 2) throw new Error('two');
      return i;
    }),
  ).rejects.toThrow('two');
});
