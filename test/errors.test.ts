/** Bad input: row errors land in the error table; configuration errors fail the run at once. */
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('errors');
});
afterAll(async () => {
  await h?.close();
});

it('bad rows go to the error table with reasons; the rest loads; the run is partially succeeded', async () => {
  await h.source.query(
    `CREATE TABLE raw_events (id int PRIMARY KEY, uid text, kind text, at text, amount text, updated_at timestamptz)`,
  );
  await h.source.query(`INSERT INTO raw_events VALUES
    (1, 'u1', 'buy', '2026-01-01T00:00:00Z', '10.5', '2026-01-01'),
    (2, 'NULL', 'buy', '2026-01-01T00:00:00Z', '1', '2026-01-01'),
    (3, ' test ', 'buy', '2026-01-01T00:00:00Z', '1', '2026-01-01'),
    (4, '   ', 'buy', '2026-01-01T00:00:00Z', '1', '2026-01-01'),
    (5, 'u2', 'buy', 'yesterday-ish', '1', '2026-01-01'),
    (6, 'u3', 'buy', '2026-01-01T00:00:00Z', 'ten', '2026-01-01'),
    (7, 'u4', 'buy', '2026-02-30 10:00:00', '1', '2026-01-01'),
    (8, 'u5', 'buy', '2026-01-01T00:00:00Z', '2', '2026-01-01'),
    (9, 'u6', 'buy', '20260102', '1', '2026-01-01'),
    (10, 'u7', 'buy', '1767225600000000', '1', '2026-01-01'),
    (11, 'u8', 'buy', '2026-01-02T03:04:05+99:99', '1', '2026-01-01')`);
  const spec = {
    id: uniqueId('bad'),
    name: 'bad rows',
    dataType: 'activity' as const,
    source: { connection: 'warehouse', table: 'raw_events' },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: {
      userId: { column: 'uid' },
      eventType: { column: 'kind' },
      timestamp: { column: 'at' },
      properties: [{ column: 'amount', type: 'number' as const }],
    },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'partially_succeeded', rowsRead: 11, created: 2, rejected: 9 });
  const errors = await h.store.query(
    `SELECT source_key, column_name, value, reason FROM row_errors WHERE run_id = $1 ORDER BY source_key::int`,
    [run.runId],
  );
  expect(errors.rows).toEqual([
    { source_key: '2', column_name: 'uid', value: 'NULL', reason: 'identifier "NULL" is a reserved value' },
    { source_key: '3', column_name: 'uid', value: ' test ', reason: 'identifier "test" is a reserved value' },
    { source_key: '4', column_name: 'uid', value: '   ', reason: 'identifier is empty or blank' },
    { source_key: '5', column_name: 'at', value: 'yesterday-ish', reason: 'unparseable timestamp' },
    { source_key: '6', column_name: 'amount', value: 'ten', reason: 'expected a number, got "ten"' },
    { source_key: '7', column_name: 'at', value: '2026-02-30 10:00:00', reason: 'unparseable timestamp' },
    // Without a format: an 8-digit date is not guessed as epoch seconds (1970), a count of microseconds lands
    // past the year 9999 as milliseconds, and no zone is 99 hours from UTC.
    { source_key: '9', column_name: 'at', value: '20260102', reason: 'unparseable timestamp' },
    { source_key: '10', column_name: 'at', value: '1767225600000000', reason: 'unparseable timestamp' },
    { source_key: '11', column_name: 'at', value: '2026-01-02T03:04:05+99:99', reason: 'unparseable timestamp' },
  ]);
  expect(await count(h.store, 'SELECT count(*) FROM events WHERE import_id = $1', [spec.id])).toBe(2);
});

it('JSON the store cannot hold (NUL, unpaired surrogate, huge number) is a row error; the batch still loads', async () => {
  // Left to the store, jsonb refuses these values, and with them the batch's whole COPY: the run would be
  // retried without end. They are row errors in the worker.
  await h.source.query(`CREATE TABLE json_raw (id int PRIMARY KEY, uid text, ctx text, updated_at timestamptz)`);
  await h.source.query(`INSERT INTO json_raw VALUES
    (1, 'u1', '{"a": 1}', '2026-01-01'),
    (2, 'u1', '{"k": "a\\u0000b"}', '2026-01-01'),
    (3, 'u1', '["\\ud800"]', '2026-01-01'),
    (4, 'u1', '[1e200000]', '2026-01-01'),
    (5, 'u2', '{"b": 2}', '2026-01-01')`);
  const spec = {
    id: uniqueId('json-bad'),
    name: 'unstorable json',
    dataType: 'activity' as const,
    source: { connection: 'warehouse', table: 'json_raw' },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: {
      userId: { column: 'uid' },
      eventType: { value: 'e' },
      timestamp: { column: 'updated_at' },
      properties: [{ column: 'ctx', type: 'json' as const }],
    },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'partially_succeeded', rowsRead: 5, created: 2, rejected: 3 });
  const errors = await h.store.query(
    'SELECT source_key, column_name, reason FROM row_errors WHERE run_id = $1 ORDER BY source_key::int',
    [run.runId],
  );
  expect(errors.rows).toEqual([
    { source_key: '2', column_name: 'ctx', reason: 'JSON holds a string with a NUL character' },
    {
      source_key: '3',
      column_name: 'ctx',
      reason: 'JSON holds a string with an unpaired surrogate (not valid Unicode)',
    },
    {
      source_key: '4',
      column_name: 'ctx',
      reason:
        "JSON holds a number out of the store's range (at most 131,072 digits before the point, 16,383 after): 1e200000",
    },
  ]);
  const stored = await h.store.query(
    'SELECT properties::text AS p FROM events WHERE import_id = $1 ORDER BY id_value',
    [spec.id],
  );
  expect(stored.rows.map((r) => r.p)).toEqual(['{"ctx": {"a": 1}}', '{"ctx": {"b": 2}}']);
});

it('a mapped column missing from the source fails the run at once, without retries, naming the column', async () => {
  await h.source.query(`CREATE TABLE people (id int PRIMARY KEY, email text, updated_at timestamptz)`);
  await h.source.query(`INSERT INTO people VALUES (1, 'a@x.com', now())`);
  const spec = {
    id: uniqueId('missing'),
    name: 'missing column',
    dataType: 'profile' as const,
    source: { connection: 'warehouse', table: 'people' },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: { userId: { column: 'email' }, attributes: [{ column: 'loyalty_tier' }] },
  };
  const handle = await h.startImport(spec);
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const message = String(((err as WorkflowFailedError).cause?.cause as Error | undefined)?.message);
  expect(message).toContain('mapped column "loyalty_tier" (mapping.attributes.0) does not exist in table people');
  const history = await handle.fetchHistory();
  const failures = history.events!.filter((e) => e.activityTaskFailedEventAttributes);
  const beginAttempts = history
    .events!.filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt);
  expect(failures).toHaveLength(1);
  expect(beginAttempts[0]).toBe(1);
  // Recorded all the same, as failed with its error (test/failedStart.test.ts covers the rest).
  const run = await h.store.query('SELECT status, error FROM runs WHERE import_id = $1', [spec.id]);
  expect(run.rows).toEqual([{ status: 'failed', error: expect.stringContaining('mapped column "loyalty_tier"') }]);
});

it('a missing table fails at once naming the table', async () => {
  const handle = await h.startImport({
    id: uniqueId('notable'),
    name: 'no table',
    dataType: 'profile',
    source: { connection: 'warehouse', table: 'nope.users' },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: { userId: { column: 'email' } },
  });
  const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
  expect(String((err.cause?.cause as Error | undefined)?.message)).toMatch(/nope/);
});

it('a spec that is not valid fails the workflow at once, naming each field; a non-SELECT query is rejected', async () => {
  const handle = await h.startImport({
    id: uniqueId('invalid'),
    name: 'invalid',
    dataType: 'activity',
    source: { connection: 'warehouse', query: 'DELETE FROM people; SELECT 1' },
    cursor: { column: 'updated at', key: 'id' },
    mapping: { userId: { column: 'email' }, timestamp: { column: 'ts' } },
  } as never);
  const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
  const message = String(err.cause?.message);
  expect(message).toContain('source.query: custom query must be a single statement');
  expect(message).toContain('cursor.column: must be a plain column name');
  expect(message).toContain('mapping.eventType');
  expect(await count(h.source, 'SELECT count(*) FROM people')).toBe(1);
});

it('a custom query that writes is refused by the read-only transaction', async () => {
  await h.source.query(`CREATE TABLE w (id int PRIMARY KEY, email text, updated_at timestamptz)`);
  await h.source.query(`INSERT INTO w VALUES (1, 'a@x.com', now())`);
  await h.source.query(
    `CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS 'INSERT INTO w VALUES (2, ''b@x.com'', now()) RETURNING 1'`,
  );
  const handle = await h.startImport({
    id: uniqueId('sneaky'),
    name: 'sneaky',
    dataType: 'profile',
    source: { connection: 'warehouse', query: 'SELECT id, email, updated_at, sneaky() AS s FROM w' },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: { userId: { column: 'email' } },
  });
  const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
  expect(String((err.cause?.cause as Error | undefined)?.message)).toMatch(/read-only transaction/);
  expect(await count(h.source, 'SELECT count(*) FROM w')).toBe(1);
});
