/**
 * The operator's source statement time limit (TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS) on every database
 * source: a statement that runs longer is stopped by the source itself (real Postgres, MariaDB, ClickHouse;
 * the Snowflake and BigQuery protocol fakes, which apply STATEMENT_TIMEOUT_IN_SECONDS and jobTimeoutMs as
 * the services do), and the failure is a configuration error naming the limit and the setting, which the
 * activities never retry. The drivers' raw errors are classified the same way.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classified, failureKind } from '../../activities/failures';
import { createBigQueryConnector } from '../../connectors/bigquery/bigquerySource';
import { createClickHouseConnector } from '../../connectors/clickhouse/clickhouseSource';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../../connectors/common/operatorPolicy';
import { createMysqlConnector } from '../../connectors/mysql/mysqlSource';
import { createPostgresConnector } from '../../connectors/postgres/postgresSource';
import { createSnowflakeConnector } from '../../connectors/snowflake/snowflakeSource';
import { isExplorable, type SourceConnector, type SourceExplorer } from '../../connectors/source';
import { bigqueryBackingDb, bqUrl, serviceAccount } from '../conformance/bigqueryTarget';
import { sfUrl, snowflakeBackingDb } from '../conformance/snowflakeTarget';
import { type BigQueryFake, startBigQueryFake } from '../fakes/bigqueryFake';
import { type SnowflakeFake, startSnowflakeFake } from '../fakes/snowflakeFake';
import { type ClickHouse, startClickHouse } from '../helpers/clickhouse';
import { freshDatabase } from '../helpers/harness';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import { reachingLoopback } from '../helpers/testPolicy';

const policy = (seconds: number, over: Partial<OperatorPolicy> = {}): OperatorPolicy =>
  reachingLoopback({ ...operatorPolicyFromEnv({}), sourceStatementTimeoutSeconds: seconds, ...over });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error('expected a failure, it succeeded'),
    (e: unknown) => e as Error,
  );
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

async function explorer(
  connector: SourceConnector & { closeAll(): Promise<void> },
  kind: string,
  url: string,
): Promise<SourceExplorer> {
  closers.push(() => connector.closeAll());
  const s = await connector.open({ kind, url });
  if (!isExplorable(s)) throw new Error(`${kind} session is not explorable`);
  return s;
}

/** The error of a slow query under a 1 s limit, and how long it took to come. */
async function timedOut(s: SourceExplorer, query: string): Promise<{ err: Error; ms: number }> {
  const started = Date.now();
  const err = await failure(s.preview({ query }, 1));
  return { err, ms: Date.now() - started };
}

function expectClearTimeout(err: Error, kind: string, ms: number): void {
  expect(err.name).toBe('ConfigurationError');
  expect(err.message).toMatch(
    new RegExp(`^${kind}: a statement ran longer than the source statement time limit of 1 s and was stopped`),
  );
  expect(err.message).toMatch(/TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS/);
  expect(failureKind(err)).toBe('configuration');
  // Unbounded, each of these queries runs for minutes.
  expect(ms).toBeLessThan(30_000);
}

describe('postgres (statement_timeout)', () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase('stmt');
  });

  it('a slow custom query fails at the limit, with the limit and the setting named', async () => {
    const s = await explorer(
      createPostgresConnector({ policy: policy(1, { allowSuperuserSources: true }) }),
      'postgres',
      url,
    );
    const { err, ms } = await timedOut(s, 'SELECT pg_sleep(60) AS x');
    expectClearTimeout(err, 'postgres', ms);
  });

  it('raw: 57014 from statement_timeout is configuration; 57014 from a cancel request is not', async () => {
    const client = new pg.Client({ connectionString: url, statement_timeout: 500 });
    await client.connect();
    closers.push(() => client.end());
    const timeout = await failure(client.query('SELECT pg_sleep(30)'));
    expect((timeout as { code?: string }).code).toBe('57014');
    expect(failureKind(timeout)).toBe('configuration');
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    closers.push(() => other.end());
    const pid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const sleeping = failure(other.query('SELECT pg_sleep(30)'));
    await new Promise((r) => setTimeout(r, 500));
    await client.query('SELECT pg_cancel_backend($1)', [pid]);
    const cancelled = await sleeping;
    expect((cancelled as { code?: string }).code).toBe('57014');
    expect(failureKind(cancelled)).toBe('unknown');
  });
});

describe('mariadb (max_statement_time)', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
    closers.push(() => db.stop());
    await db.createDatabase('shop');
    await db.exec("CREATE USER 'reader'@'%' IDENTIFIED BY 'secret'");
    await db.exec("GRANT SELECT ON shop.* TO 'reader'@'%'");
  });

  it('a slow custom query fails at the limit, with the limit and the setting named', async () => {
    const s = await explorer(createMysqlConnector(policy(1)), 'mysql', db.url('shop', 'reader', 'secret'));
    const { err, ms } = await timedOut(s, "SELECT BENCHMARK(2000000000, MD5('x')) AS b");
    expectClearTimeout(err, 'mysql', ms);
    expect(err.message).toMatch(/max_statement_time/); // the server's own words are kept
  });

  it("raw: the server's error 1969 is configuration, and an activity fails with it at once, not retried", async () => {
    const conn = await mysql.createConnection({
      host: '127.0.0.1',
      port: db.port,
      user: 'reader',
      password: 'secret',
      database: 'shop',
    });
    closers.push(() => conn.end());
    await conn.query('SET SESSION max_statement_time = 1');
    // As a derived table: a bare BENCHMARK() that is interrupted returns 0 instead of failing.
    const raw = await failure(conn.query("SELECT * FROM (SELECT BENCHMARK(2000000000, MD5('x')) AS b) AS src"));
    expect((raw as { errno?: number }).errno).toBe(1969);
    expect(failureKind(raw)).toBe('configuration');
    const out = await failure(
      classified(async () => {
        throw raw;
      })(),
    );
    expect(out).toBeInstanceOf(ApplicationFailure);
    expect((out as ApplicationFailure).nonRetryable).toBe(true);
    expect((out as ApplicationFailure).type).toBe('ConfigurationError');
    expect(out.message).toMatch(/^source: a statement ran longer than the source statement time limit and was stopped/);
    expect(out.message).toMatch(/TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS/);
  });
});

describe('clickhouse (max_execution_time)', () => {
  let ch: ClickHouse;
  beforeAll(async () => {
    ch = await startClickHouse();
    closers.push(() => ch.stop());
  });

  it('a slow custom query fails at the limit, with the limit and the setting named', async () => {
    const s = await explorer(createClickHouseConnector(policy(1)), 'clickhouse', ch.url());
    const { err, ms } = await timedOut(
      s,
      'SELECT sum(sipHash64(number)) AS n FROM (SELECT number FROM system.numbers LIMIT 20000000000)',
    );
    expectClearTimeout(err, 'clickhouse', ms);
    expect(err.message).toMatch(/Code: 159/);
  });
});

describe('snowflake fake (STATEMENT_TIMEOUT_IN_SECONDS)', () => {
  let db: Awaited<ReturnType<typeof snowflakeBackingDb>>;
  let fake: SnowflakeFake;
  beforeAll(async () => {
    db = await snowflakeBackingDb();
    closers.push(() => db.admin.end());
    await db.admin.query('CREATE TABLE "PUBLIC"."N" ("X" int)');
    await db.admin.query('INSERT INTO "PUBLIC"."N" SELECT g FROM generate_series(1, 3000) g');
    fake = await startSnowflakeFake({
      postgresUrl: db.url,
      schema: db.schema,
      users: { tributary: { password: 'pw', roles: ['READER'] } },
    });
    closers.push(() => fake.close());
  });

  it('a slow custom query fails at the limit (000630), with the limit and the setting named', async () => {
    const s = await explorer(createSnowflakeConnector(policy(1)), 'snowflake', sfUrl(fake, 'tributary', 'pw'));
    const { err, ms } = await timedOut(s, 'SELECT MAX(A1.X) AS X FROM N A1, N A2, N A3');
    expectClearTimeout(err, 'snowflake', ms);
    expect(err.message).toMatch(/timeout of 1 second\(s\)/);
  });
});

describe('bigquery fake (jobTimeoutMs)', () => {
  let db: Awaited<ReturnType<typeof bigqueryBackingDb>>;
  let fake: BigQueryFake;
  const reader = serviceAccount('reader@proj.iam.gserviceaccount.com');
  beforeAll(async () => {
    db = await bigqueryBackingDb();
    closers.push(() => db.admin.end());
    await db.admin.query('CREATE TABLE conf.n (x bigint)');
    await db.admin.query('INSERT INTO conf.n SELECT g FROM generate_series(1, 3000) g');
    fake = await startBigQueryFake({
      postgresUrl: db.url,
      project: 'proj',
      accounts: { [reader.email]: { publicKey: reader.publicKey, canQuery: true } },
    });
    closers.push(() => fake.close());
  });

  it('a slow custom query fails at the limit (reason timeout), with the limit and the setting named', async () => {
    const s = await explorer(
      createBigQueryConnector(policy(1)),
      'bigquery',
      bqUrl(fake.apiEndpoint, reader.credentials),
    );
    const { err, ms } = await timedOut(s, 'SELECT COUNT(*) AS c FROM n a1 CROSS JOIN n a2 CROSS JOIN n a3');
    expectClearTimeout(err, 'bigquery', ms);
  });
});
