/**
 * The incremental import and a backfill over an overlapping range run at the same time: the backfill takes
 * over the stretch the incremental import has not reached yet, the incremental import continues after it,
 * and every row is read and loaded exactly once (count, checksum, and rows read summed over every run).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../activities';
import { backfillProgressQuery } from '../workflows/backfillDefinitions';
import { progressQuery } from '../workflows/definitions';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../workflows/definitions';
import {
  backfillInput,
  createEventSource,
  eventSpec,
  runBackfill,
  sourceChecksum,
  STORE_CHECKSUM,
  waitFor,
} from './helpers/backfill';

const ROWS = 60_000;

let h: Harness;
beforeAll(async () => {
  h = await createHarness('bfoverlap');
});
afterAll(async () => {
  await h?.close();
});

it('runs beside the incremental import over an overlapping range and loads every row once', async () => {
  await createEventSource(h.source, ROWS);
  const expected = (await h.source.query(sourceChecksum())).rows[0];
  const spec = eventSpec(uniqueId('overlap'), 'events_src', 1000);

  // The incremental import, throttled so it is still running when the backfill starts.
  const incremental = await h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [{ spec, control: { rowsPerSecond: 4000 } }],
  });
  const reached = await waitFor(
    'the incremental import under way',
    () => incremental.query(progressQuery),
    (p) => p.rowsRead >= 5000,
  );
  expect(reached.stage).not.toBe('completed');

  // Rows with updated_at < 2023-01-01 00:07:00 are g < 42,000: the incremental import is inside that range.
  const backfill = await runBackfill(
    h.client,
    h.taskQueue,
    backfillInput(spec, {
      backfillId: 'overlap',
      to: '2023-01-01 00:07:00+00',
      partitions: 6,
      throttle: { rowsPerSecond: null, concurrency: 3 },
    }),
  );
  const result = await backfill.result();
  const progress = await backfill.query(backfillProgressQuery);
  expect(result.status).toBe('succeeded');
  expect(progress).toMatchObject({ partitions: 6, partitionsDone: 6, partitionsFailed: [] });

  // The incremental import ran all along and finishes after the backfill's stretch.
  await incremental.signal('throttle', { rowsPerSecond: null });
  const run = (await incremental.result()) as RunRecord;
  expect(run.status).toBe('succeeded');

  const got = (await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0];
  expect(got).toEqual(expected);
  // Read once: the rows read by every run (the incremental one and each partition's) add up to the source.
  const runs = await h.store.query(
    'SELECT stream, status, rows_read, duplicates FROM runs WHERE import_id = $1 ORDER BY stream',
    [spec.id],
  );
  expect(runs.rows.reduce((a, r) => a + Number(r.rows_read), 0)).toBe(ROWS);
  expect(runs.rows.every((r) => Number(r.duplicates) === 0 && r.status === 'succeeded')).toBe(true);
  expect(runs.rows.map((r) => r.stream)).toEqual(['', ...[0, 1, 2, 3, 4, 5].map((n) => `backfill:overlap:${n}`)]);
  // The backfill covered exactly the stretch from where the incremental import stood to the end of its range.
  const planned = await h.store.query(
    'SELECT total_rows, end_cursor, incremental_moved FROM backfills WHERE import_id = $1',
    [spec.id],
  );
  expect(planned.rows[0]).toMatchObject({ incremental_moved: true });
  const backfilled = await count(
    h.store,
    "SELECT coalesce(sum(rows_read), 0) FROM runs WHERE import_id = $1 AND stream LIKE 'backfill:%'",
    [spec.id],
  );
  expect(backfilled).toBe(Number(planned.rows[0].total_rows));
  expect(backfilled).toBeGreaterThan(10_000);
  // Every row below the range's end was read by the incremental import before the hand-over or by the backfill.
  expect(await count(h.source, "SELECT count(*) FROM events_src WHERE updated_at < '2023-01-01 00:07:00+00'")).toBe(
    41_999,
  );
  expect(run.rowsRead + backfilled).toBe(ROWS);
  expect(run.rowsRead).toBeGreaterThanOrEqual(reached.rowsRead + (ROWS - 41_999));
});
