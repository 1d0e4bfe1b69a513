/**
 * A ClickHouse source connection cut in the middle of a batch's response (a TCP proxy between the worker
 * and the real server destroys the connection after part of the rows arrived): the batch fails, is retried
 * from the committed position, every row is loaded exactly once, and the worker stays up and imports again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../activities';
import { type ClickHouse, startClickHouse } from './helpers/clickhouse';
import { type CuttingProxy, startCuttingProxy } from './helpers/cuttingProxy';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { sleep } from './helpers/wait';

const ROWS = 40_000;
const CUTS = 3;

let ch: ClickHouse;
let proxy: CuttingProxy;
let h: Harness;
beforeAll(async () => {
  ch = await startClickHouse();
  proxy = await startCuttingProxy(ch.httpPort);
  await ch.exec(`CREATE TABLE events_src (id UInt64, user_id String, kind String, at DateTime, updated_at DateTime)
    ENGINE = MergeTree ORDER BY (updated_at, id)`);
  await ch.exec(`INSERT INTO events_src SELECT number + 1, concat('user-', toString((number + 1) % 5000)),
      ['view', 'click', 'buy'][1 + (number + 1) % 3], toDateTime('2026-01-01 00:00:00', 'UTC') + number,
      toDateTime('2026-01-01 00:00:00', 'UTC') + intDiv(number + 1, 10)
    FROM system.numbers LIMIT ${ROWS}`);
  const viaProxy = ch.url().replace(`:${ch.httpPort}/`, `:${proxy.port}/`);
  h = await createHarness('dropch', { connections: { lake: viaProxy } });
});
afterAll(async () => {
  await h?.close();
  await proxy?.close();
  await ch?.stop();
});

const committedRows = async (importId: string): Promise<number> =>
  Number(
    (await h.store.query('SELECT coalesce(sum(rows_read), 0) AS n FROM runs WHERE import_id = $1', [importId])).rows[0]
      .n,
  );

async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`waited 120 s for ${what}`);
    await sleep(20);
  }
}

const specOf = (id: string) => ({
  id,
  name: 'dropped clickhouse',
  dataType: 'activity' as const,
  source: { connection: 'lake', table: 'events_src' },
  cursor: { column: 'updated_at', key: 'id', lag: 0 },
  batchSize: 2000,
  mapping: {
    userId: { column: 'user_id' },
    eventType: { column: 'kind' },
    timestamp: { column: 'at' },
    properties: [{ column: 'id', property: 'n', type: 'number' as const }],
  },
});

it(`a ClickHouse response cut mid-batch ${CUTS} times: the batches are retried, every row loaded exactly once, the worker stays up`, async () => {
  const spec = specOf(uniqueId('dropch'));
  const handle = await h.startImport(spec);
  const result = handle.result() as Promise<RunRecord>;
  let finished = false;
  void result.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  // One cut at a time, each in a later batch: the next is armed once a batch committed after the last cut.
  for (let i = 0; i < CUTS && !finished; i++) {
    // A batch of 2,000 rows is far beyond 32 KB of JSON; metadata answers (columns, bounds, counts) are far below.
    proxy.arm(1, 32_768);
    await until(() => finished || proxy.cuts() > i, 'a batch response to cut');
    const last = await committedRows(spec.id);
    await until(async () => finished || (await committedRows(spec.id)) > last, 'a commit after the cut');
  }
  const run = await result;
  expect(proxy.cuts(), 'the import finished before every cut; slow it down').toBe(CUTS);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS, duplicates: 0, rejected: 0 });

  // Exactly the source's rows: what ClickHouse holds, line for line, against what the store holds.
  const source = await (
    await fetch(
      `http://127.0.0.1:${ch.httpPort}/?query=${encodeURIComponent(
        `SELECT concat(toString(id), '|', user_id, '|', kind, '|', formatDateTime(at, '%Y-%m-%d %H:%M:%S', 'UTC')) AS line
     FROM events_src ORDER BY line FORMAT TabSeparated`,
      )}`,
    )
  ).text();
  const stored = await h.store.query<{ line: string }>(
    `SELECT (properties->>'n') || '|' || id_value || '|' || event_type || '|' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS line
     FROM events WHERE import_id = $1`,
    [spec.id],
  );
  const storeLines = stored.rows.map((r) => r.line).sort();
  const sourceLines = source.trim().split('\n').sort();
  expect(storeLines.length).toBe(ROWS);
  expect(storeLines).toEqual(sourceLines);

  // The cut batches failed and Temporal ran each of them again.
  const { events } = await handle.fetchHistory();
  const retried = events!.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
  expect(retried.length).toBe(CUTS);

  // The worker (this process) is still up and imports.
  expect(
    await h.runImport({
      ...specOf(uniqueId('after')),
      source: { connection: 'lake', query: 'SELECT * FROM events_src WHERE id <= 100' },
    }),
  ).toMatchObject({ status: 'succeeded', rowsRead: 100 });
});
