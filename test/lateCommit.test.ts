/**
 * A cursor without a zone (Postgres `timestamp`, MySQL DATETIME, Snowflake TIMESTAMP_NTZ, BigQuery DATETIME)
 * is written in the import's local time, so the run's upper bound must be the source's clock in that zone
 * less the lag. The scenario, on real servers with a real transaction held open: a row is inserted stamped
 * with the local time and held uncommitted; a second row with a later local stamp commits; a run reads to
 * its bound; the held row commits; once the lag has passed, a second run reads on from the first run's
 * position. Both rows must be loaded, by the second run. West of UTC a bound in UTC wall time is hours
 * ahead of the rows: the first run loads the committed row, and the held one, stamped earlier, is never
 * loaded. East of UTC it is hours behind: neither run loads anything.
 *
 * The writer's local clock is Postgres's `clock_timestamp() AT TIME ZONE` (not the code under test), and
 * each bound is checked against it too. ClickHouse has no transactions and its DateTime is an instant, so
 * its bound is checked against the server's own `toDateTime(now(), zone)`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBigQueryConnector } from '../connectors/bigquery/bigquerySource';
import { createClickHouseConnector } from '../connectors/clickhouse/clickhouseSource';
import { createMysqlConnector } from '../connectors/mysql/mysqlSource';
import { createPostgresConnector } from '../connectors/postgres/postgresSource';
import { testPolicy } from './helpers/testPolicy';
import { createSnowflakeConnector } from '../connectors/snowflake/snowflakeSource';
import type { Position, Relation, SourceSession } from '../connectors/source';
import { parseTimestamp } from '../domain/timestamps';
import { bigqueryBackingDb, bqUrl, serviceAccount } from './conformance/bigqueryTarget';
import { sfUrl, snowflakeBackingDb } from './conformance/snowflakeTarget';
import { startBigQueryFake } from './fakes/bigqueryFake';
import { startSnowflakeFake } from './fakes/snowflakeFake';
import { startClickHouse } from './helpers/clickhouse';
import { freshDatabase } from './helpers/harness';
import { startMariaDb } from './helpers/mariadb';

const ZONES = ['America/New_York', 'Asia/Kolkata'];
const LAG = 5; // seconds
const HOLD_MS = 3_000;

/** A source holding one table (cursor `stamp` without a zone, key `id`) that the scenario writes to. */
interface LateTarget {
  session: SourceSession;
  relation: Relation;
  /** Insert row `id` stamped `stamp` in a transaction left open; resolves once the row is written. */
  holdInsert(id: number, stamp: string): Promise<{ commit(): Promise<void> }>;
  insert(id: number, stamp: string): Promise<void>;
}

let clock: pg.Client;
/** The zone's wall clock now, by Postgres (the writer's clock): `YYYY-MM-DD HH:MM:SS.ffffff`. */
async function localNow(zone: string): Promise<string> {
  const r = await clock.query<{ t: string }>(
    `SELECT to_char(clock_timestamp() AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI:SS.US') AS t`,
    [zone],
  );
  return r.rows[0]!.t;
}
const wallMs = (text: string) => parseTimestamp(text, undefined, 'UTC')!.ms;

/** Rows to the bound from a position, in batches, as importBatch reads them; the last position. */
async function runTo(s: SourceSession, relation: Relation, after: Position | null, bound: string) {
  const ids: string[] = [];
  let position = after;
  for (;;) {
    const batch: (string | null)[][] = [];
    for await (const row of s.read(relation, ['stamp', 'id'], {
      cursor: 'stamp',
      key: 'id',
      after: position,
      upperBound: bound,
      limit: 100,
    }))
      batch.push(row);
    for (const r of batch) ids.push(r[1]!);
    if (batch.length) position = { cursor: batch[batch.length - 1]![0]!, key: batch[batch.length - 1]![1]! };
    if (batch.length < 100) return { ids, position };
  }
}

/** The bound the session gives, checked against the writer's wall clock less the lag. */
async function checkedBound(t: LateTarget, zone: string): Promise<string> {
  const cursor = (await t.session.columns(t.relation)).find((c) => c.name.toLowerCase() === 'stamp')!;
  expect(cursor.cursorKind).toBe('time');
  const before = wallMs(await localNow(zone));
  const bound = (await t.session.upperBound(t.relation, cursor, LAG, zone))!;
  const after = wallMs(await localNow(zone));
  // Soft, so that a wrong bound also shows what it does to the rows below.
  expect.soft(bound).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/); // a wall time: no zone
  expect.soft(wallMs(bound)).toBeGreaterThanOrEqual(before - LAG * 1000 - 1000); // whole seconds at most below
  expect.soft(wallMs(bound)).toBeLessThanOrEqual(after - LAG * 1000 + 1000);
  return bound;
}

async function lateCommit(t: LateTarget, zone: string): Promise<void> {
  const held = await t.holdInsert(1, await localNow(zone));
  const heldAt = Date.now();
  let first: Awaited<ReturnType<typeof runTo>>;
  try {
    await sleep(300);
    await t.insert(2, await localNow(zone));
    first = await runTo(t.session, t.relation, null, await checkedBound(t, zone));
    expect(first.ids).toEqual([]); // both rows are within the lag
    await sleep(Math.max(0, HOLD_MS - (Date.now() - heldAt)));
  } finally {
    await held.commit(); // a failure above must not leave the transaction (and the pool) held
  }
  await sleep(Math.max(0, (LAG + 1.5) * 1000 - (Date.now() - heldAt)));
  const second = await runTo(t.session, t.relation, first.position, await checkedBound(t, zone));
  expect(second.ids).toEqual(['1', '2']);
}

beforeAll(async () => {
  clock = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await clock.connect();
});
afterAll(async () => {
  await clock?.end();
});

describe('a late commit within the lag is loaded, with a cursor without a zone', () => {
  it('postgres timestamp', async () => {
    const url = await freshDatabase('late');
    const admin = new pg.Pool({ connectionString: url, max: 6 });
    const connector = createPostgresConnector({ policy: testPolicy() });
    try {
      await Promise.all(
        ZONES.map(async (zone, i) => {
          const table = `late_${i}`;
          await admin.query(`CREATE TABLE ${table} (id bigint, stamp timestamp)`);
          const target: LateTarget = {
            session: await connector.open({ kind: 'postgres', url }),
            relation: { table },
            async holdInsert(id, stamp) {
              const c = await admin.connect();
              await c.query('BEGIN');
              await c.query(`INSERT INTO ${table} VALUES ($1, $2)`, [id, stamp]);
              return {
                async commit() {
                  await c.query('COMMIT');
                  c.release();
                },
              };
            },
            async insert(id, stamp) {
              await admin.query(`INSERT INTO ${table} VALUES ($1, $2)`, [id, stamp]);
            },
          };
          await lateCommit(target, zone);
        }),
      );
    } finally {
      await connector.closeAll();
      await admin.end();
    }
  });

  it('mysql DATETIME (MariaDB)', async () => {
    const db = await startMariaDb();
    const connector = createMysqlConnector(testPolicy());
    try {
      await db.createDatabase('late');
      const url = db.url('late');
      await Promise.all(
        ZONES.map(async (zone, i) => {
          const table = `late_${i}`;
          await db.exec(`CREATE TABLE late.${table} (id BIGINT, stamp DATETIME(6))`);
          const target: LateTarget = {
            session: await connector.open({ kind: 'mysql', url }),
            relation: { table },
            async holdInsert(id, stamp) {
              const c = await mysql.createConnection(url);
              await c.beginTransaction();
              await c.query(`INSERT INTO ${table} VALUES (?, ?)`, [id, stamp]);
              return {
                async commit() {
                  await c.commit();
                  await c.end();
                },
              };
            },
            async insert(id, stamp) {
              await db.exec(`INSERT INTO late.${table} VALUES (?, ?)`, [id, stamp]);
            },
          };
          await lateCommit(target, zone);
        }),
      );
    } finally {
      await connector.closeAll();
      await db.stop();
    }
  });

  it('snowflake TIMESTAMP_NTZ (protocol fake)', async () => {
    const db = await snowflakeBackingDb();
    const fake = await startSnowflakeFake({
      postgresUrl: db.url,
      schema: db.schema,
      users: { tributary: { password: 'pw', roles: ['READER'] } },
    });
    const connector = createSnowflakeConnector(testPolicy());
    const writer = new pg.Pool({ connectionString: db.url, max: 4 });
    try {
      await Promise.all(
        ZONES.map(async (zone, i) => {
          const table = `LATE_${i}`;
          await db.admin.query(`CREATE TABLE "PUBLIC"."${table}" ("ID" numeric(38,0), "STAMP" timestamp)`);
          const target: LateTarget = {
            session: await connector.open({ kind: 'snowflake', url: sfUrl(fake, 'tributary', 'pw') }),
            relation: { table: table.toLowerCase() },
            async holdInsert(id, stamp) {
              const c = await writer.connect();
              await c.query('BEGIN');
              await c.query(`INSERT INTO "PUBLIC"."${table}" VALUES ($1, $2)`, [id, stamp]);
              return {
                async commit() {
                  await c.query('COMMIT');
                  c.release();
                },
              };
            },
            async insert(id, stamp) {
              await writer.query(`INSERT INTO "PUBLIC"."${table}" VALUES ($1, $2)`, [id, stamp]);
            },
          };
          await lateCommit(target, zone);
        }),
      );
    } finally {
      await connector.closeAll();
      await fake.close();
      await writer.end();
      await db.admin.end();
    }
  });

  it('bigquery DATETIME (protocol fake)', async () => {
    const db = await bigqueryBackingDb();
    const sa = serviceAccount('reader@proj.iam.gserviceaccount.com');
    const fake = await startBigQueryFake({
      postgresUrl: db.url,
      project: 'proj',
      accounts: { [sa.email]: { publicKey: sa.publicKey, canQuery: true } },
    });
    const connector = createBigQueryConnector(testPolicy());
    const writer = new pg.Pool({ connectionString: db.url, max: 4 });
    try {
      await Promise.all(
        ZONES.map(async (zone, i) => {
          const table = `late_${i}`;
          await db.admin.query(`CREATE TABLE conf.${table} (id bigint, stamp timestamp)`);
          const target: LateTarget = {
            session: await connector.open({ kind: 'bigquery', url: bqUrl(fake.apiEndpoint, sa.credentials) }),
            relation: { table },
            async holdInsert(id, stamp) {
              const c = await writer.connect();
              await c.query('BEGIN');
              await c.query(`INSERT INTO conf.${table} VALUES ($1, $2)`, [id, stamp]);
              return {
                async commit() {
                  await c.query('COMMIT');
                  c.release();
                },
              };
            },
            async insert(id, stamp) {
              await writer.query(`INSERT INTO conf.${table} VALUES ($1, $2)`, [id, stamp]);
            },
          };
          await lateCommit(target, zone);
        }),
      );
    } finally {
      await connector.closeAll();
      await fake.close();
      await writer.end();
      await db.admin.end();
    }
  });
});

describe('clickhouse: DateTime is an instant, Date has no zone', () => {
  it('the DateTime bound is the server instant less the lag in any import zone; the Date bound is the date in the import zone', async () => {
    const ch = await startClickHouse();
    const connector = createClickHouseConnector(testPolicy());
    try {
      await ch.exec('CREATE TABLE default.late (id UInt64, stamp DateTime, day Date) ENGINE = MergeTree ORDER BY id');
      const session = await connector.open({ kind: 'clickhouse', url: ch.url('default') });
      const cols = await session.columns({ table: 'late' });
      const stamp = cols.find((c) => c.name === 'stamp')!;
      const day = cols.find((c) => c.name === 'day')!;
      const server = async (sql: string) => {
        const res = await fetch(`http://127.0.0.1:${ch.httpPort}/?query=${encodeURIComponent(sql)}`);
        return (await res.text()).trim();
      };
      for (const zone of ZONES) {
        // The server's own reading of now in the zone, as an instant (seconds) and as a date.
        const before = Number(await server(`SELECT toUnixTimestamp(toDateTime(now(), '${zone}'))`));
        const bound = (await session.upperBound({ table: 'late' }, stamp, LAG, zone))!;
        const after = Number(await server(`SELECT toUnixTimestamp(toDateTime(now(), '${zone}'))`));
        const boundMs = parseTimestamp(bound, undefined, 'UTC')!.ms;
        expect(bound).toMatch(/Z$/);
        expect(boundMs).toBeGreaterThanOrEqual((before - LAG) * 1000 - 1000);
        expect(boundMs).toBeLessThanOrEqual((after - LAG) * 1000);
        // A row stamped now (in the zone) is beyond the bound: it waits for the lag.
        await ch.exec(`INSERT INTO default.late VALUES (1, toDateTime(now(), '${zone}'), today())`);
        const rows: (string | null)[][] = [];
        for await (const r of session.read({ table: 'late' }, ['stamp', 'id'], {
          cursor: 'stamp',
          key: 'id',
          after: null,
          upperBound: bound,
          limit: 10,
        }))
          rows.push(r);
        expect(rows).toEqual([]);
        await ch.exec('TRUNCATE TABLE default.late');

        const dayBound = await session.upperBound({ table: 'late' }, day, LAG, zone);
        expect(dayBound).toBe(await server(`SELECT toString(toDate(toDateTime(now(), '${zone}')) - 1)`));
      }
      await session.close();
    } finally {
      await connector.closeAll();
      await ch.stop();
    }
  });
});
