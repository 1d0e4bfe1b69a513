/** ClickHouse → store through the real import workflow, against a real clickhouse-server on loopback. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { type ClickHouse, startClickHouse } from './helpers/clickhouse';

let ch: ClickHouse;
let h: Harness;
beforeAll(async () => {
  ch = await startClickHouse();
  // `reader` has the read-only profile (readonly=1): it may change no setting, so exactness cannot rest on one.
  h = await createHarness('clickhouse', {
    connections: { lake: ch.url(), lakeReader: ch.url('default', 'reader', 'secret') },
  });
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
    id: uniqueId('ch-clicks'),
    name: 'clicks',
    dataType: 'activity' as const,
    batchSize: 333,
    source: { connection: 'lake', table: 'clicks' },
    cursor: { column: 'updated_at', key: 'id', lag: 0 },
    mapping: {
      userId: { column: 'uid' },
      eventType: { value: 'click' },
      timestamp: { column: 'at' },
      properties: [
        { column: 'id', property: 'click_id', type: 'number' as const },
        { column: 'amount', type: 'number' as const },
      ],
    },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({
    status: 'succeeded',
    rowsRead: 5000,
    created: 5000,
    rejected: 0,
    duplicates: 0,
    batches: 16,
  });
  const ids = await h.store.query<{ id: string; amount: string; at: string }>(
    `SELECT properties->>'click_id' AS id, properties->>'amount' AS amount, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at
     FROM events WHERE import_id = $1 ORDER BY (properties->>'click_id')::bigint`,
    [spec.id],
  );
  expect(new Set(ids.rows.map((r) => r.id)).size).toBe(5000);
  expect(ids.rows[6]).toEqual({ id: '7', amount: '123456789012345678901234.5678', at: '2024-02-29 12:00:06' });
  expect(await h.runImport(spec)).toMatchObject({ status: 'succeeded', rowsRead: 0 });
});

it('segments from an Array(String) column; NULL cursors in a Nullable column are counted', async () => {
  await ch.exec(
    `CREATE TABLE audiences (id UInt32, uid String, segs Array(String), seq Nullable(UInt64)) ENGINE = MergeTree ORDER BY id`,
  );
  await ch.insert('audiences', [
    { id: 1, uid: 'u1', segs: ['vip', "big 'spenders'"], seq: 10 },
    { id: 2, uid: 'u2', segs: ['vip'], seq: 10 },
    { id: 3, uid: 'u3', segs: ['churn'], seq: null },
  ]);
  const spec = {
    id: uniqueId('ch-seg'),
    name: 'audiences',
    dataType: 'segments' as const,
    source: { connection: 'lake', table: 'audiences' },
    cursor: { column: 'seq', key: 'id', lag: 0 },
    mapping: { userId: { column: 'uid' }, segment: { column: 'segs', array: true } },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 2, created: 3, nullCursor: 1 });
  const members = await h.store.query(
    `SELECT segment, id_value FROM segment_memberships WHERE import_id = $1 ORDER BY 1, 2`,
    [spec.id],
  );
  expect(members.rows).toEqual([
    { segment: "big 'spenders'", id_value: 'u1' },
    { segment: 'vip', id_value: 'u1' },
    { segment: 'vip', id_value: 'u2' },
  ]);
});

it('64-bit integers inside arrays and tuples stay numbers; NaN and infinite floats, alone or inside arrays, are row errors (not NULL)', async () => {
  await ch.exec(`CREATE TABLE measures (id UInt32, uid String, f Float64, nf Nullable(Float64), af Array(Nullable(Float64)),
    ai Array(Int64), ti Tuple(UInt64, String), seq UInt64) ENGINE = MergeTree ORDER BY id`);
  await ch.exec(`INSERT INTO measures VALUES
    (1, 'u1', 0.1, NULL, [1.5, NULL, 0.1], [-9223372036854775808, 9223372036854775807], (18446744073709551615, 'x'), 1),
    (2, 'u2', nan, 1, [], [], (0, ''), 1),
    (3, 'u3', 1e300, -inf, [2], [1], (1, 'y'), 1),
    (4, 'u4', 2, 2, [1, nan, inf], [2], (2, 'z'), 1),
    (5, 'u5', -0.5, NULL, [], [3], (3, 'nan'), 1)`);
  const spec = {
    id: uniqueId('ch-measures'),
    name: 'measures',
    dataType: 'profile' as const,
    source: { connection: 'lakeReader', table: 'measures' },
    cursor: { column: 'seq', key: 'id', lag: 0 },
    mapping: {
      userId: { column: 'uid' },
      idType: { value: 'uid' },
      attributes: [
        { column: 'f', type: 'number' as const },
        { column: 'nf', type: 'number' as const },
        ...['af', 'ai', 'ti'].map((column) => ({ column, type: 'json' as const })),
      ],
    },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'partially_succeeded', rowsRead: 5, created: 2, rejected: 3 });
  const stored = await h.store.query(
    'SELECT id_value, attributes::text AS a FROM profile_attributes WHERE import_id = $1 ORDER BY 1',
    [spec.id],
  );
  expect(stored.rows).toEqual([
    {
      id_value: 'u1',
      a: '{"f": 0.1, "af": [1.5, null, 0.1], "ai": [-9223372036854775808, 9223372036854775807], "nf": null, "ti": [18446744073709551615, "x"]}',
    },
    { id_value: 'u5', a: '{"f": -0.5, "af": [], "ai": [3], "nf": null, "ti": [3, "nan"]}' },
  ]);
  const errors = await h.store.query(
    'SELECT source_key, column_name, reason FROM row_errors WHERE run_id = $1 ORDER BY source_key',
    [run.runId],
  );
  expect(errors.rows).toEqual([
    { source_key: '2', column_name: 'f', reason: 'expected a number, got "nan"' },
    { source_key: '3', column_name: 'nf', reason: 'expected a number, got "-inf"' },
    { source_key: '4', column_name: 'af', reason: 'expected JSON, got "[1,nan,inf]"' },
  ]);
});
