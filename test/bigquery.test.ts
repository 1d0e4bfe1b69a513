/**
 * BigQuery specifics, against the BigQuery PROTOCOL FAKE (test/fakes/bigqueryFake.ts): paged results,
 * TIMESTAMP vs DATETIME, bytes scanned in preview and dry run, discovery across datasets. A live test runs
 * only when TRIBUTARY_BIGQUERY_URL names a real project (bigquery://project/dataset?key_file=…).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBigQueryConnector } from '../connectors/bigquery/bigquerySource';
import { isExplorable, type SourceExplorer, type SourceSession } from '../connectors/source';
import { type BigQueryFake, startBigQueryFake } from './fakes/bigqueryFake';
import { bigqueryBackingDb, bqUrl, serviceAccount } from './conformance/bigqueryTarget';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { reachingLoopback } from './helpers/testPolicy';
import { operatorPolicyFromEnv } from '../connectors/common/operatorPolicy';

// The fake listens on loopback, which the operator's default policy refuses sources.
const connector = createBigQueryConnector(reachingLoopback(operatorPolicyFromEnv()));
const explorable = (s: SourceSession): SourceSession & SourceExplorer => {
  if (!isExplorable(s)) throw new Error('not explorable');
  return s;
};
const open = async (url: string) => explorable(await connector.open({ kind: 'bigquery', url }));

describe('bigquery (protocol fake)', () => {
  let fake: BigQueryFake;
  let admin: pg.Pool;
  let url: string;
  beforeAll(async () => {
    const db = await bigqueryBackingDb();
    admin = db.admin;
    const sa = serviceAccount('reader@proj.iam.gserviceaccount.com');
    fake = await startBigQueryFake({
      postgresUrl: db.url,
      project: 'proj',
      accounts: { [sa.email]: { publicKey: sa.publicKey, canQuery: true } },
    });
    url = bqUrl(fake.apiEndpoint, sa.credentials);
  });
  afterAll(async () => {
    await connector.closeAll();
    await fake?.close();
    await admin?.end();
  });

  it('a batch larger than a results page is read page by page with page tokens', async () => {
    await admin.query('CREATE TABLE conf.many (id bigint, seq numeric(38,0))');
    await admin.query('INSERT INTO conf.many SELECT g, g / 100 FROM generate_series(1, 1000) g');
    const s = await open(url);
    const before = fake.pagesServed();
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
    expect(fake.pagesServed() - before).toBe(10);
  });

  it('TIMESTAMP is an instant (Z, microseconds); DATETIME has no zone; the DATETIME bound is UTC civil time', async () => {
    await admin.query('CREATE TABLE conf.stamps (id bigint, civil timestamp, instant timestamptz)');
    await admin.query(`INSERT INTO conf.stamps VALUES (1, '2024-03-01 12:00:00.123456', '2024-03-01 12:00:00.123456+00'),
      (2, now() AT TIME ZONE 'UTC' + interval '1 day', now())`);
    const s = await open(url);
    const cols = await s.columns({ table: 'stamps' });
    expect(cols.map((c) => [c.name, c.sourceType, c.importType])).toEqual([
      ['id', 'INTEGER', 'number'],
      ['civil', 'DATETIME', 'timestamp'],
      ['instant', 'TIMESTAMP', 'timestamp'],
    ]);
    const bound = await s.upperBound({ table: 'stamps' }, cols[1]!, 0, 'UTC');
    expect(Math.abs(Date.parse(`${bound!.replace(' ', 'T')}Z`) - Date.now())).toBeLessThan(60_000);
    const rows: (string | null)[][] = [];
    for await (const r of s.read({ table: 'stamps' }, ['civil', 'id', 'instant'], {
      cursor: 'civil',
      key: 'id',
      after: null,
      upperBound: bound!,
      limit: 10,
    }))
      rows.push(r);
    expect(rows).toEqual([['2024-03-01T12:00:00.123456', '1', '2024-03-01T12:00:00.123456Z']]);
  });

  it('preview and dry run report the bytes the query would scan', async () => {
    const s = await open(url);
    const p = await s.preview({ table: 'many' }, 3);
    expect(p.rows.length).toBe(3);
    expect(Number(p.bytesScanned)).toBeGreaterThan(0);
    expect(await s.estimateScan?.({ table: 'many' })).toBe(p.bytesScanned);
  });

  it('discovery lists datasets and their tables', async () => {
    await admin.query('CREATE SCHEMA other; CREATE TABLE other.elsewhere (id bigint, note text)');
    const tables = await (await open(url)).discover();
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['many', 'stamps', 'other.elsewhere']));
    expect(tables.find((t) => t.table === 'other.elsewhere')!.columns.map((c) => c.importType)).toEqual([
      'number',
      'string',
    ]);
  });
});

describe('bigquery floats that JSON cannot write (protocol fake, through the import workflow)', () => {
  let fake: BigQueryFake;
  let admin: pg.Pool;
  let url: string;
  let h: Harness;
  beforeAll(async () => {
    const db = await bigqueryBackingDb();
    admin = db.admin;
    const sa = serviceAccount('reader@proj.iam.gserviceaccount.com');
    fake = await startBigQueryFake({
      postgresUrl: db.url,
      project: 'proj',
      accounts: { [sa.email]: { publicKey: sa.publicKey, canQuery: true } },
    });
    url = bqUrl(fake.apiEndpoint, sa.credentials);
    h = await createHarness('bqfloat', { connections: { bq: url } });
  });
  afterAll(async () => {
    await h?.close();
    await connector.closeAll();
    await fake?.close();
    await admin?.end();
  });

  it('NaN or Infinity in an ARRAY<FLOAT64> is a row error naming the value, as the same float outside an array is', async () => {
    await admin.query('CREATE TABLE conf.measures (id bigint, uid text, xs float8[], x float8, seq bigint)');
    await admin.query(`INSERT INTO conf.measures VALUES
      (1, 'u1', '{1.5,2,-0.25}', 1.5, 1), (2, 'u2', '{1.5,NaN,Infinity}', 2, 1), (3, 'u3', '{-Infinity}', 3, 1), (4, 'u4', '{2}', 'NaN', 1)`);
    const s = await open(url);
    const texts: (string | null)[][] = [];
    for await (const r of s.read({ table: 'measures' }, ['id', 'xs', 'x'], {
      cursor: 'seq',
      key: 'id',
      after: null,
      upperBound: '1',
      limit: 10,
    }))
      texts.push(r);
    // The array's text holds the floats as sent: no quotes that would make them strings.
    expect(texts).toEqual([
      ['1', '[1.5,2,-0.25]', '1.5'],
      ['2', '[1.5,NaN,Infinity]', '2'],
      ['3', '[-Infinity]', '3'],
      ['4', '[2]', 'NaN'],
    ]);
    const spec = {
      id: uniqueId('bq-floats'),
      name: 'floats',
      dataType: 'profile' as const,
      source: { connection: 'bq', table: 'measures' },
      cursor: { column: 'seq', key: 'id', lag: 0 },
      mapping: {
        userId: { column: 'uid' },
        idType: { value: 'uid' },
        attributes: [
          { column: 'xs', type: 'json' as const },
          { column: 'x', type: 'number' as const },
        ],
      },
    };
    const run = await h.runImport(spec);
    expect(run).toMatchObject({ status: 'partially_succeeded', rowsRead: 4, created: 1, rejected: 3 });
    const stored = await h.store.query(
      'SELECT id_value, attributes::text AS a FROM profile_attributes WHERE import_id = $1',
      [spec.id],
    );
    expect(stored.rows).toEqual([{ id_value: 'u1', a: '{"x": 1.5, "xs": [1.5, 2, -0.25]}' }]);
    const errors = await h.store.query(
      'SELECT source_key, column_name, reason FROM row_errors WHERE run_id = $1 ORDER BY source_key',
      [run.runId],
    );
    expect(errors.rows).toEqual([
      { source_key: '2', column_name: 'xs', reason: 'expected JSON, got "[1.5,NaN,Infinity]"' },
      { source_key: '3', column_name: 'xs', reason: 'expected JSON, got "[-Infinity]"' },
      { source_key: '4', column_name: 'x', reason: 'expected a number, got "NaN"' },
    ]);
  });
});

describe.skipIf(!process.env.TRIBUTARY_BIGQUERY_URL)('bigquery (live project, TRIBUTARY_BIGQUERY_URL)', () => {
  it('connects, discovers, and previews the first table with its scan size', async () => {
    const s = await open(process.env.TRIBUTARY_BIGQUERY_URL!);
    await s.test();
    const tables = await s.discover();
    if (tables[0]) expect((await s.preview({ table: tables[0].table }, 5)).bytesScanned).toMatch(/^\d+$/);
  });
});
