/** ClickHouse → store through the real import workflow, against a real clickhouse-server on loopback. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { type ClickHouse, startClickHouse } from './helpers/clickhouse';

let ch: ClickHouse;
let h: Harness;
beforeAll(async () => {
  ch = await startClickHouse();
  h = await createHarness('clickhouse', { connections: { lake: ch.url() } });
});
afterAll(async () => {
  await h?.close();
  await ch?.stop();
});

it('events: 5,000 rows in ties on a DateTime cursor, batch size 333, exact Decimal128; a re-run reads nothing', async () => {
  await ch.exec(`CREATE TABLE clicks (id UInt64, uid String, amount Decimal128(4), at DateTime, updated_at DateTime)
    ENGINE = MergeTree ORDER BY (updated_at, id)`);
  // Five cursor values, 1,000 rows each; id 7 carries a decimal beyond 2^53.
  await ch.exec(`INSERT INTO clicks SELECT number + 1, concat('u', toString((number + 1) % 97)),
      if(number + 1 = 7, toDecimal128('123456789012345678901234.5678', 4), toDecimal128(toString(number + 1), 4)),
      toDateTime('2024-02-29 12:00:00', 'UTC') + number, toDateTime('2024-03-01 00:00:00', 'UTC') + intDiv(number, 1000)
    FROM system.numbers LIMIT 5000`);
  const spec = {
    id: uniqueId('ch-clicks'), name: 'clicks', dataType: 'activity' as const, batchSize: 333,
    source: { connection: 'lake', table: 'clicks' },
    cursor: { column: 'updated_at', key: 'id', lag: 0 },
    mapping: {
      userId: { column: 'uid' }, eventType: { value: 'click' }, timestamp: { column: 'at' },
      properties: [{ column: 'id', property: 'click_id', type: 'number' as const }, { column: 'amount', type: 'number' as const }],
    },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 5000, created: 5000, rejected: 0, duplicates: 0, batches: 16 });
  const ids = await h.store.query<{ id: string; amount: string; at: string }>(
    `SELECT properties->>'click_id' AS id, properties->>'amount' AS amount, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at
     FROM events WHERE import_id = $1 ORDER BY (properties->>'click_id')::bigint`, [spec.id]);
  expect(new Set(ids.rows.map((r) => r.id)).size).toBe(5000);
  expect(ids.rows[6]).toEqual({ id: '7', amount: '123456789012345678901234.5678', at: '2024-02-29 12:00:06' });
  expect(await h.runImport(spec)).toMatchObject({ status: 'succeeded', rowsRead: 0 });
});

it('segments from an Array(String) column; NULL cursors in a Nullable column are counted', async () => {
  await ch.exec(`CREATE TABLE audiences (id UInt32, uid String, segs Array(String), seq Nullable(UInt64)) ENGINE = MergeTree ORDER BY id`);
  await ch.insert('audiences', [
    { id: 1, uid: 'u1', segs: ['vip', "big 'spenders'"], seq: 10 },
    { id: 2, uid: 'u2', segs: ['vip'], seq: 10 },
    { id: 3, uid: 'u3', segs: ['churn'], seq: null },
  ]);
  const spec = {
    id: uniqueId('ch-seg'), name: 'audiences', dataType: 'segments' as const,
    source: { connection: 'lake', table: 'audiences' },
    cursor: { column: 'seq', key: 'id', lag: 0 },
    mapping: { userId: { column: 'uid' }, segment: { column: 'segs', array: true } },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 2, created: 3, nullCursor: 1 });
  const members = await h.store.query(`SELECT segment, id_value FROM segment_memberships WHERE import_id = $1 ORDER BY 1, 2`, [spec.id]);
  expect(members.rows).toEqual([{ segment: "big 'spenders'", id_value: 'u1' }, { segment: 'vip', id_value: 'u1' }, { segment: 'vip', id_value: 'u2' }]);
});
