/**
 * Database sources reach only what the operator allows, as file sources do: Postgres (source and
 * discovery), MySQL/MariaDB and ClickHouse connect through the policy's check on the address connected to
 * (so a name resolving to 127.0.0.1 is refused at connect time), a Postgres Unix socket is refused, and
 * Snowflake's and BigQuery's endpoints are judged as they resolve when a session opens. Connections the
 * operator defined (the environment's) are the operator's choice of host and are not checked. The same real
 * servers on loopback answer under a policy that allows loopback (the control).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBigQueryConnector } from '../../connectors/bigquery/bigquerySource';
import { envConnections } from '../../connectors/connections';
import { createClickHouseConnector } from '../../connectors/clickhouse/clickhouseSource';
import { createMysqlConnector } from '../../connectors/mysql/mysqlSource';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../../connectors/common/operatorPolicy';
import { createPostgresDiscovery } from '../../connectors/postgres/postgresDiscovery';
import { createPostgresConnector } from '../../connectors/postgres/postgresSource';
import { createSnowflakeConnector } from '../../connectors/snowflake/snowflakeSource';
import type { SourceConnector } from '../../connectors/source';
import { type ClickHouse, startClickHouse } from '../helpers/clickhouse';
import { createHarness, type Harness } from '../helpers/harness';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import { reachingLoopback } from '../helpers/testPolicy';

/** The operator's default, but superuser roles allowed: the test servers' roles are. */
const strict: OperatorPolicy = { ...operatorPolicyFromEnv({}), allowSuperuserSources: true };
const loopback = reachingLoopback(strict);
const LOOPBACK =
  /is a loopback address, which sources may not reach; the operator can allow it with TRIBUTARY_ALLOW_PRIVATE_HOSTS/;

let h: Harness;
let maria: MariaDb;
let ch: ClickHouse;
beforeAll(async () => {
  [h, maria, ch] = await Promise.all([
    createHarness('dbreach', { inProcessWorker: false }),
    startMariaDb(),
    startClickHouse(),
  ]);
  await h.source.query('CREATE TABLE reach_t (id int)');
  await maria.createDatabase('reach');
  await maria.exec('CREATE TABLE reach.reach_t (id INT)');
  await ch.exec('CREATE TABLE default.reach_t (id UInt32) ENGINE = Memory');
});
afterAll(async () => {
  await Promise.all([h?.close(), maria?.stop(), ch?.stop()]);
});

const asName = (url: string) => url.replace('127.0.0.1', 'localhost');

/** The columns of reach_t through `connector`, or the error it fails with. */
async function columns(
  connector: SourceConnector & { closeAll(): Promise<void> },
  kind: string,
  url: string,
): Promise<string> {
  try {
    const session = await connector.open({ kind, url });
    try {
      return (await session.columns({ table: 'reach_t' })).map((c) => c.name).join(',');
    } finally {
      await session.close();
    }
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  } finally {
    await connector.closeAll();
  }
}

describe.each([
  ['postgres', () => h.sourceUrl, (p: OperatorPolicy) => createPostgresConnector({ policy: p })],
  ['mysql', () => maria.url('reach'), (p: OperatorPolicy) => createMysqlConnector(p)],
  ['clickhouse', () => ch.url('default'), (p: OperatorPolicy) => createClickHouseConnector(p)],
] as const)('%s', (kind, url, make) => {
  it('refuses its loopback server by IP and by a name resolving to it, under the default policy', async () => {
    for (const u of [url(), asName(url())]) {
      const answer = await columns(make(strict), kind, u);
      expect(answer).toMatch(/^RefusedAddressError: /);
      expect(answer).toMatch(LOOPBACK);
    }
  });
  it('reads from it where the operator allows loopback', async () => {
    expect(await columns(make(loopback), kind, url())).toBe('id');
    expect(await columns(make(loopback), kind, asName(url()))).toBe('id');
  });
});

describe('postgres, besides', () => {
  it('refuses a Unix socket on this machine', async () => {
    const u = new URL(h.sourceUrl);
    const socketUrl = `postgres://${u.username}@${encodeURIComponent('/tmp')}:${u.port}${u.pathname}`;
    expect(await columns(createPostgresConnector({ policy: loopback }), 'postgres', socketUrl)).toMatch(
      /RefusedAddressError: the Unix socket \/tmp\/\.s\.PGSQL\.\d+ is on this machine/,
    );
  });
  it('refuses the connection test of discovery too', async () => {
    await expect(
      createPostgresDiscovery({ policy: strict }).test({ kind: 'postgres', url: h.sourceUrl }),
    ).rejects.toThrow(LOOPBACK);
    await expect(
      createPostgresDiscovery({ policy: loopback }).test({ kind: 'postgres', url: h.sourceUrl }),
    ).resolves.toMatchObject({ server: expect.stringMatching(/PostgreSQL/) });
  });
});

describe("the operator's own connections", () => {
  it('reach their host under the default policy; the same URL from the API is still refused, on the same connector', async () => {
    const own = await envConnections({ TRIBUTARY_CONNECTION_OPS_DB: h.sourceUrl })('ops-db');
    expect(own.operatorDefined).toBe(true);
    const connector = createPostgresConnector({ policy: strict });
    const session = await connector.open(own);
    try {
      expect((await session.columns({ table: 'reach_t' })).map((c) => c.name)).toEqual(['id']);
      // A stored connection's config: no operatorDefined. A pool of its own, through the check.
      await expect(
        connector.open({ kind: 'postgres', url: h.sourceUrl }).then((s) => s.columns({ table: 'reach_t' })),
      ).rejects.toThrow(LOOPBACK);
    } finally {
      await session.close();
      await connector.closeAll();
    }
  });
});

describe('snowflake and bigquery endpoints', () => {
  it('are refused on loopback (by IP or name) before any request', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const sf = `snowflake://reader:pw@acct/DB/PUBLIC?warehouse=WH&access_url=${encodeURIComponent(`http://${host}:9`)}`;
      expect(await columns(createSnowflakeConnector(strict), 'snowflake', sf)).toMatch(LOOPBACK);
      const bq = `bigquery://proj/ds?api_endpoint=${encodeURIComponent(`http://${host}:9`)}`;
      expect(await columns(createBigQueryConnector(strict), 'bigquery', bq)).toMatch(LOOPBACK);
    }
    const meta = `bigquery://proj/ds?api_endpoint=${encodeURIComponent('http://169.254.169.254')}`;
    expect(await columns(createBigQueryConnector(strict), 'bigquery', meta)).toMatch(
      /169\.254\.169\.254 is a link-local address/,
    );
  });
});
