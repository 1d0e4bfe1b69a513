/**
 * Custom SQL on ClickHouse can only read: the settings every query carrying user SQL is sent with make the
 * real server (18.16) refuse INSERT, ALTER and DROP, table functions and setting changes; second statements
 * and escapes out of the wrapping subquery are refused before they reach it; the table is unchanged
 * (counted on the server). Queries the old lexical guard refused for no reason run.
 */
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseConnector, readOnlySettings } from '../../connectors/clickhouse/clickhouseSource';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../../connectors/common/operatorPolicy';
import { isExplorable, type SourceExplorer, type SourceSession } from '../../connectors/source';
import { type ClickHouse, startClickHouse } from '../helpers/clickhouse';
import { reachingLoopback } from '../helpers/testPolicy';

let ch: ClickHouse;
let admin: ClickHouseClient;
const connectors: ReturnType<typeof createClickHouseConnector>[] = [];

async function session(over: Partial<OperatorPolicy> = {}): Promise<SourceSession & SourceExplorer> {
  const connector = createClickHouseConnector(reachingLoopback({ ...operatorPolicyFromEnv({}), ...over }));
  connectors.push(connector);
  // The default user may write: only the settings the connector sends stop it.
  const s = await connector.open({ kind: 'clickhouse', url: ch.url() });
  if (!isExplorable(s)) throw new Error('clickhouse session is not explorable');
  return s;
}

async function rowCount(): Promise<number> {
  const rs = await admin.query({ query: 'SELECT count() AS n FROM t', format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error('expected a failure, it succeeded'),
    (e: unknown) => e as Error,
  );

beforeAll(async () => {
  ch = await startClickHouse();
  admin = createClient({ url: `http://127.0.0.1:${ch.httpPort}`, log: { level: ClickHouseLogLevel.OFF } });
  await ch.exec(`CREATE TABLE t (id UInt64, comment String, set Int32, copy Int32, do Int32, lock Int32, call Int32, note String)
    ENGINE = MergeTree ORDER BY id`);
  await ch.insert('t', [
    { id: 1, comment: 'first', set: 10, copy: 11, do: 12, lock: 13, call: 14, note: "it's" },
    { id: 2, comment: 'second', set: 20, copy: 21, do: 22, lock: 23, call: 24, note: 'back\\slash' },
    { id: 3, comment: 'third', set: 30, copy: 31, do: 32, lock: 33, call: 34, note: 'plain' },
  ]);
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.closeAll()));
  await admin?.close();
  await ch?.stop();
});

describe('the real server refuses writes under the settings sent with user SQL', () => {
  for (const sql of [
    'INSERT INTO t (id) VALUES (99)',
    'ALTER TABLE t DELETE WHERE 1 = 1',
    'DROP TABLE t',
    'TRUNCATE TABLE t',
  ]) {
    it(sql, async () => {
      const before = await rowCount();
      const err = await failure(admin.command({ query: sql, clickhouse_settings: readOnlySettings('0', 60) }));
      expect(err.message).toMatch(/Code: 164|readonly/i);
      expect(await rowCount()).toBe(before);
    });
  }
});

describe('refused through a custom query, and the table is unchanged', () => {
  const attempts: [string, string, RegExp][] = [
    ['an INSERT', 'INSERT INTO t (id) VALUES (99)', /must be a SELECT/],
    ['a second statement', 'SELECT 1 AS id; DROP TABLE t', /second statement/],
    [
      'a backslash-escaped quote hiding a second statement',
      "SELECT 1 AS id WHERE '\\'' = ''; DROP TABLE t; -- '",
      /second statement/,
    ],
    [
      'closing the wrapping subquery',
      'SELECT 1 AS id) AS src; ALTER TABLE t DELETE WHERE 1 = 1; SELECT * FROM (SELECT 1',
      /closes a parenthesis|second statement/,
    ],
    // Table functions reach other hosts and the server's files; readonly=1 refuses them on the server.
    ['a url() table function', "SELECT * FROM url('http://127.0.0.1:9/', 'TSV', 'x String')", /Code: 164|readonly/i],
    ['a file() table function', "SELECT * FROM file('data.csv', 'CSV', 'x String')", /Code: 164|readonly/i],
    ['lifting readonly in the query', 'SELECT id FROM t SETTINGS readonly = 0', /Code: 164|readonly/i],
  ];
  for (const [what, sql, message] of attempts) {
    it(what, async () => {
      const s = await session();
      const before = await rowCount();
      const err = await failure(s.preview({ query: sql }, 10));
      expect(err.message).toMatch(/^clickhouse: /);
      expect(err.message).toMatch(message);
      expect(await rowCount()).toBe(before);
    });
  }
});

describe('accepted, with the rows the server returns', () => {
  it('columns named comment, set, copy, do, lock and call', async () => {
    const s = await session();
    const r = await s.preview({ query: 'SELECT id, comment, set, copy, do, lock, call FROM t ORDER BY id' }, 10);
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'comment', 'set', 'copy', 'do', 'lock', 'call']);
    expect(r.rows).toEqual([
      ['1', 'first', '10', '11', '12', '13', '14'],
      ['2', 'second', '20', '21', '22', '23', '24'],
      ['3', 'third', '30', '31', '32', '33', '34'],
    ]);
  });

  it('backslash escapes, a ; inside a string and a comment, and a trailing ;', async () => {
    const s = await session();
    const r = await s.preview(
      {
        query:
          "SELECT id, note FROM t -- ; DROP TABLE t\nWHERE note IN ('it\\'s', 'back\\\\slash') AND note != 'x\\'; DROP TABLE t' ORDER BY id;",
      },
      10,
    );
    expect(r.rows).toEqual([
      ['1', "it's"],
      ['2', 'back\\slash'],
    ]);
  });
});

it('a statement runs at most the operator bound (max_execution_time)', async () => {
  const s = await session({ sourceStatementTimeoutSeconds: 1 });
  const started = Date.now();
  // Tens of seconds of work unbounded; the bound stops it after one.
  const err = await failure(
    s.preview(
      { query: 'SELECT sum(sipHash64(number)) AS n FROM (SELECT number FROM system.numbers LIMIT 2000000000)' },
      1,
    ),
  );
  expect(err.message).toMatch(/Timeout exceeded|Code: 159/);
  expect(Date.now() - started).toBeLessThan(15_000);
}, 180_000);
