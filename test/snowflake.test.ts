/**
 * Snowflake specifics, against the Snowflake PROTOCOL FAKE (test/fakes/snowflakeFake.ts): key-pair login,
 * TIMESTAMP_NTZ vs TIMESTAMP_TZ, results larger than the first response arriving in chunks. A live test
 * runs only when TRIBUTARY_SNOWFLAKE_URL names a real account (snowflake://user:password@account/db/schema?warehouse=…).
 */
import { generateKeyPairSync } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnowflakeConnector } from '../connectors/snowflake/snowflakeSource';
import { ConfigurationError, isExplorable, type SourceExplorer, type SourceSession } from '../connectors/source';
import { type SnowflakeFake, startSnowflakeFake } from './fakes/snowflakeFake';
import { sfUrl, snowflakeBackingDb } from './conformance/snowflakeTarget';
import { operatorPolicyFromEnv } from '../connectors/common/operatorPolicy';
import { reachingLoopback } from './helpers/testPolicy';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const otherPrivatePem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

// The fake listens on loopback, which the operator's default policy refuses sources.
const connector = createSnowflakeConnector(reachingLoopback(operatorPolicyFromEnv()));
let fake: SnowflakeFake;
let admin: pg.Pool;
const explorable = (s: SourceSession): SourceSession & SourceExplorer => {
  if (!isExplorable(s)) throw new Error('not explorable');
  return s;
};
const open = async (url: string) => explorable(await connector.open({ kind: 'snowflake', url }));

describe('snowflake (protocol fake)', () => {
  beforeAll(async () => {
    const db = await snowflakeBackingDb();
    admin = db.admin;
    fake = await startSnowflakeFake({
      postgresUrl: db.url,
      schema: db.schema,
      users: { tributary: { password: 'pw', roles: ['READER'] }, keyuser: { publicKey: publicPem, roles: ['READER'] } },
    });
  });
  afterAll(async () => {
    await connector.closeAll();
    await fake?.close();
    await admin?.end();
  });

  it('key-pair (JWT) login: the right key connects, another key is an authentication error', async () => {
    const keyUrl = (pem: string) =>
      `snowflake://keyuser@fakeaccount/FAKE/PUBLIC?warehouse=WH&role=READER&private_key=${encodeURIComponent(pem)}&access_url=${encodeURIComponent(fake.accessUrl)}`;
    expect((await (await open(keyUrl(privatePem))).test()).serverVersion).toMatch(/\d+\.\d+/);
    const err = await (await open(keyUrl(otherPrivatePem))).test().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/authentication failed/);
  });

  it('TIMESTAMP_NTZ has no zone (the import applies its own); TIMESTAMP_TZ keeps its offset; the NTZ bound is UTC wall time', async () => {
    await admin.query(`CREATE TABLE "PUBLIC"."STAMPS" ("ID" numeric(38,0), "NTZ" timestamp, "TZ" timestamptz)`);
    await admin.query(`INSERT INTO "PUBLIC"."STAMPS" VALUES (1, '2024-03-01 12:00:00.123456', '2024-03-01 12:00:00.123456+00'),
      (2, now() AT TIME ZONE 'UTC' + interval '1 day', now())`);
    const s = await open(sfUrl(fake, 'tributary', 'pw'));
    const cols = await s.columns({ table: 'stamps' });
    expect(cols.map((c) => [c.name, c.sourceType, c.cursorKind])).toEqual([
      ['id', 'NUMBER(38,0)', 'number'],
      ['ntz', 'TIMESTAMP_NTZ', 'time'],
      ['tz', 'TIMESTAMP_TZ', 'time'],
    ]);
    const bound = await s.upperBound({ table: 'stamps' }, cols[1]!, 0, 'UTC');
    expect(bound).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(Math.abs(Date.parse(`${bound!.replace(' ', 'T')}Z`) - Date.now())).toBeLessThan(60_000);
    const rows: (string | null)[][] = [];
    for await (const r of s.read({ table: 'stamps' }, ['ntz', 'id', 'tz'], {
      cursor: 'ntz',
      key: 'id',
      after: null,
      upperBound: bound!,
      limit: 10,
    }))
      rows.push(r);
    expect(rows).toEqual([['2024-03-01 12:00:00.123456', '1', '2024-03-01 12:00:00.123456+00:00']]);
  });

  it('a batch larger than the first response streams in through the result chunks', async () => {
    await admin.query(`CREATE TABLE "PUBLIC"."MANY" ("ID" numeric(38,0), "SEQ" numeric(38,0))`);
    await admin.query(`INSERT INTO "PUBLIC"."MANY" SELECT g, g / 100 FROM generate_series(1, 1000) g`);
    const s = await open(sfUrl(fake, 'tributary', 'pw'));
    const before = fake.chunksServed();
    const ids: number[] = [];
    for await (const r of s.read({ table: 'many' }, ['seq', 'id'], {
      cursor: 'seq',
      key: 'id',
      after: null,
      upperBound: '10',
      limit: 1000,
    }))
      ids.push(Number(r[1]));
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(fake.chunksServed() - before).toBe(10); // 50 inline, then 950 rows in chunks of 100
  });
});

describe.skipIf(!process.env.TRIBUTARY_SNOWFLAKE_URL)('snowflake (live account, TRIBUTARY_SNOWFLAKE_URL)', () => {
  it('connects, discovers, and previews the first table', async () => {
    const s = await open(process.env.TRIBUTARY_SNOWFLAKE_URL!);
    expect((await s.test()).serverVersion).toMatch(/\d/);
    const tables = await s.discover();
    if (tables[0]) expect((await s.preview({ table: tables[0].table }, 5)).rows.length).toBeLessThanOrEqual(5);
  });
});
