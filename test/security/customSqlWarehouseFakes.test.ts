/**
 * Custom SQL on Snowflake and BigQuery can only read, against the protocol fakes, which apply the services'
 * own rules: Snowflake's MULTI_STATEMENT_COUNT (here the account allows any number, the worst case, so only
 * what the connector sends stops a second statement) and BigQuery's dry-run statementType. Both fakes run
 * what they are sent, writes included, as the services would; the tables are counted after every attempt.
 */
import { BigQuery } from '@google-cloud/bigquery';
import pg from 'pg';
import snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigqueryEndpoint, createBigQueryConnector } from '../../connectors/bigquery/bigquerySource';
import { createSnowflakeConnector, snowflakeOptions } from '../../connectors/snowflake/snowflakeSource';
import { statementParameters } from '../../connectors/snowflake/snowflakeSqlGuard';
import { isExplorable, type SourceExplorer, type SourceSession } from '../../connectors/source';
import { type BigQueryFake, startBigQueryFake } from '../fakes/bigqueryFake';
import { type SnowflakeFake, startSnowflakeFake } from '../fakes/snowflakeFake';
import { bigqueryBackingDb, bqUrl, serviceAccount } from '../conformance/bigqueryTarget';
import { sfUrl, snowflakeBackingDb } from '../conformance/snowflakeTarget';
import { reachingLoopback } from '../helpers/testPolicy';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error('expected a failure, it succeeded'),
    (e: unknown) => e as Error,
  );
const explorable = (s: SourceSession): SourceSession & SourceExplorer => {
  if (!isExplorable(s)) throw new Error('session is not explorable');
  return s;
};
const ROWS = `(1, 'first', 10, 11, 12, 13, 14, 'it''s'), (2, 'second', 20, 21, 22, 23, 24, 'back\\slash'), (3, 'third', 30, 31, 32, 33, 34, 'plain')`;
const EXPECTED = [
  ['1', 'first', '10', '11', '12', '13', '14'],
  ['2', 'second', '20', '21', '22', '23', '24'],
  ['3', 'third', '30', '31', '32', '33', '34'],
];

describe('snowflake', () => {
  let db: { url: string; admin: pg.Pool; schema: string };
  let fake: SnowflakeFake;
  const connector = createSnowflakeConnector(reachingLoopback(operatorPolicyFromEnv()));
  let s: SourceSession & SourceExplorer;
  const count = async (table: string) =>
    Number((await db.admin.query(`SELECT count(*) AS n FROM "PUBLIC"."${table}"`)).rows[0].n);

  beforeAll(async () => {
    db = await snowflakeBackingDb();
    for (const table of ['T', 'SCRATCH']) {
      await db.admin
        .query(`CREATE TABLE "PUBLIC"."${table}" ("ID" numeric(38,0), "COMMENT" text, "SET" int, "COPY" int, "DO" int, "LOCK" int,
        "CALL" int, "NOTE" text)`);
      await db.admin.query(`INSERT INTO "PUBLIC"."${table}" VALUES ${ROWS}`);
    }
    fake = await startSnowflakeFake({
      postgresUrl: db.url,
      schema: db.schema,
      users: { tributary: { password: 'pw', roles: ['READER'] } },
      multiStatementCount: 0,
    });
    s = explorable(await connector.open({ kind: 'snowflake', url: sfUrl(fake, 'tributary', 'pw') }));
  });
  afterAll(async () => {
    await connector.closeAll();
    await fake?.close();
    await db?.admin.end();
  });

  it('the fake, like Snowflake, runs every statement when the count allows it, and refuses a second under MULTI_STATEMENT_COUNT=1', async () => {
    const conn = snowflake.createConnection(snowflakeOptions(sfUrl(fake, 'tributary', 'pw')).options);
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    const run = (sqlText: string, parameters?: Record<string, number>) =>
      new Promise<void>((resolve, reject) => {
        conn.execute({
          sqlText,
          ...(parameters ? { parameters } : {}),
          complete: (err) => (err ? reject(err) : resolve()),
        });
      });
    const refused = await failure(run('SELECT 1 AS X; DELETE FROM SCRATCH WHERE ID = 3', statementParameters(60)));
    expect(refused.message).toMatch(/Actual statement count 2 did not match the desired statement count 1/);
    expect(await count('SCRATCH')).toBe(3);
    await run('SELECT 1 AS X; DELETE FROM SCRATCH WHERE ID = 3');
    expect(await count('SCRATCH')).toBe(2);
    await new Promise<void>((resolve) => conn.destroy(() => resolve()));
  });

  const attempts: [string, string, RegExp][] = [
    [
      'a backslash-escaped quote hiding a second statement that closes the subquery',
      "SELECT '\\'' AS X) AS SRC; DELETE FROM T; SELECT * FROM (SELECT '\\'' AS X",
      /closes a parenthesis|second statement/,
    ],
    ['a second statement', 'SELECT 1 AS ID; DELETE FROM T', /second statement/],
    ['a DELETE', 'DELETE FROM T', /must be a SELECT/],
  ];
  for (const [what, sql, message] of attempts) {
    it(`refused, the table unchanged: ${what}`, async () => {
      const err = await failure(s.preview({ query: sql }, 10));
      expect(err.name).toBe('ConfigurationError');
      expect(err.message).toMatch(/^snowflake: the custom query must only read: /);
      expect(err.message).toMatch(message);
      expect(await count('T')).toBe(3);
    });
  }

  it('accepted: columns named comment, set, copy, do, lock and call', async () => {
    const r = await s.preview({ query: 'SELECT ID, COMMENT, "SET", COPY, "DO", LOCK, CALL FROM T ORDER BY ID' }, 10);
    expect(r.rows).toEqual(EXPECTED);
  });

  it('accepted: backslash escapes, $$ strings, and a ; inside a string or a // comment', async () => {
    const r = await s.preview(
      {
        query:
          "SELECT ID, NOTE, $$a;b$$ AS \"Q\" FROM T // ; DELETE FROM T\nWHERE NOTE <> 'x\\'; DELETE FROM T' AND ID < 3 ORDER BY ID;",
      },
      10,
    );
    expect(r.rows).toEqual([
      ['1', "it's", 'a;b'],
      ['2', 'back\\slash', 'a;b'],
    ]);
  });
});

describe('bigquery', () => {
  let db: { url: string; admin: pg.Pool };
  let fake: BigQueryFake;
  const reader = serviceAccount('reader@proj.iam.gserviceaccount.com');
  const connector = createBigQueryConnector(reachingLoopback(operatorPolicyFromEnv()));
  let s: SourceSession & SourceExplorer;
  let bq: BigQuery;
  const count = async (table: string) =>
    Number((await db.admin.query(`SELECT count(*) AS n FROM conf.${table}`)).rows[0].n);

  beforeAll(async () => {
    db = await bigqueryBackingDb();
    for (const table of ['t', 'scratch']) {
      await db.admin.query(
        `CREATE TABLE conf.${table} (id bigint, comment text, set int, copy int, "do" int, lock int, call int, note text)`,
      );
      await db.admin.query(`INSERT INTO conf.${table} VALUES ${ROWS}`);
    }
    fake = await startBigQueryFake({
      postgresUrl: db.url,
      project: 'proj',
      accounts: { [reader.email]: { publicKey: reader.publicKey, canQuery: true } },
    });
    s = explorable(await connector.open({ kind: 'bigquery', url: bqUrl(fake.apiEndpoint, reader.credentials) }));
    bq = bigqueryEndpoint(bqUrl(fake.apiEndpoint, reader.credentials)).bq;
  });
  afterAll(async () => {
    await connector.closeAll();
    await fake?.close();
    await db?.admin.end();
  });

  it('the fake, like BigQuery, reports the statement type of a dry run and runs a write when asked', async () => {
    const typeOf = async (query: string) => {
      const [, response] = await bq.createQueryJob({ query, dryRun: true, useLegacySql: false });
      return (response as { statistics: { query: { statementType: string } } }).statistics.query.statementType;
    };
    expect(await typeOf('SELECT 1;')).toBe('SELECT');
    expect(await typeOf('DELETE FROM scratch WHERE true')).toBe('DELETE');
    expect(await typeOf('BEGIN SELECT 1; END')).toBe('SCRIPT');
    expect(await typeOf("SELECT ';'; SELECT 2")).toBe('SCRIPT');
    expect(await typeOf("SELECT '\\'; DELETE'")).toBe('SELECT');
    expect(await count('scratch')).toBe(3);
    await bq.createQueryJob({ query: 'DELETE FROM scratch WHERE id = 3', useLegacySql: false });
    expect(await count('scratch')).toBe(2);
  });

  const attempts: [string, string, RegExp][] = [
    ['a DELETE', 'DELETE FROM t WHERE true', /reads it as DELETE statement/],
    ['an INSERT', 'INSERT INTO t (id) VALUES (99)', /reads it as INSERT statement/],
    ['a BEGIN … END script', 'BEGIN DELETE FROM t WHERE true; END', /reads it as SCRIPT statement/],
    ['two statements', 'SELECT 1 AS id; DELETE FROM t WHERE true', /reads it as SCRIPT statement/],
    [
      'a backslash-escaped quote hiding statements that close the subquery',
      "SELECT '\\'' AS x) AS src; DELETE FROM t WHERE true; SELECT * FROM (SELECT '\\'' AS x",
      /reads it as SCRIPT statement/,
    ],
  ];
  for (const [what, sql, message] of attempts) {
    it(`refused, the table unchanged: ${what}`, async () => {
      const err = await failure(s.preview({ query: sql }, 10));
      expect(err.name).toBe('ConfigurationError');
      expect(err.message).toMatch(/^bigquery: the custom query must only read: /);
      expect(err.message).toMatch(message);
      expect(await count('t')).toBe(3);
      // The dry run of an import refuses it the same way.
      expect((await failure(s.estimateScan!({ query: sql }))).message).toMatch(message);
    });
  }

  it('accepted: columns named comment, set, copy, do, lock and call; a trailing ;', async () => {
    const r = await s.preview({ query: 'SELECT id, comment, `set`, copy, `do`, lock, call FROM t ORDER BY id;' }, 10);
    expect(r.rows).toEqual(EXPECTED);
  });

  it('accepted: backslash escapes and a ; inside a string or a # comment', async () => {
    const r = await s.preview(
      { query: "SELECT id, note FROM t # ; DELETE FROM t\nWHERE note <> 'x\\'; DELETE FROM t' AND id < 3 ORDER BY id" },
      10,
    );
    expect(r.rows).toEqual([
      ['1', "it's"],
      ['2', 'back\\slash'],
    ]);
  });
});
