/**
 * Postgres has one catalogue: the session's explorer (what a run's dry run and the conformance suite ask)
 * and the API's discovery list the same tables with the same columns, schema and nullability, and both
 * agree with what Postgres's own information_schema says. Each connector declares its discovery, and the
 * API's registry is exactly the kinds that have one.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiConnectors } from '../connectors/registry';
import { createPostgresConnector } from '../connectors/postgres/postgresSource';
import { catalogueEntry, isExplorable, type CatalogueTable } from '../connectors/source';
import { freshDatabase } from './helpers/harness';
import { testPolicy } from './helpers/testPolicy';

let url: string;
let pool: pg.Pool;
const api = createApiConnectors({ policy: testPolicy() });
const connector = createPostgresConnector({ policy: testPolicy() });

beforeAll(async () => {
  url = await freshDatabase('pgdisc');
  pool = new pg.Pool({ connectionString: url, max: 1 });
  await pool.query(`
    CREATE TABLE people (id bigint PRIMARY KEY, email text, seen_at timestamptz NOT NULL);
    -- A dropped column stays in pg_attribute: discovery must leave it out.
    CREATE SCHEMA sales;
    CREATE TABLE sales.orders (id integer NOT NULL, person bigint, amount numeric(12,2));
    ALTER TABLE people DROP COLUMN email;
    ALTER TABLE people ADD COLUMN email text;
    CREATE VIEW people_emails AS SELECT id, email FROM people;`);
}, 120_000);
afterAll(async () => {
  await Promise.all([pool?.end(), api.closeAll(), connector.closeAll()]);
});

/** The catalogue as information_schema reports it: schema, name, kind, and each column's name and nullability. */
async function expected(): Promise<{ schema: string; name: string; kind: string; columns: [string, boolean][] }[]> {
  const r = await pool.query<{ schema: string; name: string; type: string; col: string; nullable: string }>(`
    SELECT c.table_schema AS schema, c.table_name AS name, t.table_type AS type, c.column_name AS col, c.is_nullable AS nullable
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema IN ('public', 'sales')
    ORDER BY c.table_schema, c.table_name, c.ordinal_position`);
  const out: { schema: string; name: string; kind: string; columns: [string, boolean][] }[] = [];
  for (const row of r.rows) {
    let t = out.find((x) => x.schema === row.schema && x.name === row.name);
    if (!t)
      out.push((t = { schema: row.schema, name: row.name, kind: row.type === 'VIEW' ? 'view' : 'table', columns: [] }));
    // information_schema reports a view's columns as nullable: Postgres does not carry NOT NULL onto views.
    t.columns.push([row.col, row.nullable === 'YES']);
  }
  return out;
}

const shape = (tables: CatalogueTable[]) =>
  tables.map((t) => ({
    schema: t.schema,
    name: t.name,
    kind: t.kind,
    columns: t.columns.map((c): [string, boolean] => [c.name, c.nullable]),
  }));

it("the API's discovery lists what information_schema lists, public tables under schema public", async () => {
  const tables = await api.discovery.postgres!.discover({ kind: 'postgres', url });
  expect(shape(tables)).toEqual(await expected());
  expect(tables.find((t) => t.name === 'people')!.columns).toEqual([
    { name: 'id', sourceType: 'bigint', importType: 'number', cursorKind: 'number', nullable: false },
    {
      name: 'seen_at',
      sourceType: 'timestamp with time zone',
      importType: 'timestamp',
      cursorKind: 'time',
      nullable: false,
    },
    { name: 'email', sourceType: 'text', importType: 'string', cursorKind: 'other', nullable: true },
  ]);
});

it("the session's explorer lists the same catalogue, each table named as a spec names it", async () => {
  const session = await connector.open({ kind: 'postgres', url });
  try {
    if (!isExplorable(session)) throw new Error('postgres session is not explorable');
    const found = await session.discover();
    expect(found.map((t) => t.table)).toEqual(['people', 'people_emails', 'sales.orders']);
    expect(found.map(catalogueEntry)).toEqual(await api.discovery.postgres!.discover({ kind: 'postgres', url }));
    const { server } = await api.discovery.postgres!.test({ kind: 'postgres', url });
    expect(server).toBe(`PostgreSQL ${(await session.test()).serverVersion}`);
  } finally {
    await session.close();
  }
});

it('the API explores exactly the kinds whose connector declares a discovery', () => {
  expect(Object.keys(api.discovery).sort()).toEqual(['bigquery', 'clickhouse', 'mysql', 'postgres', 'snowflake']);
  for (const [kind, c] of Object.entries(api.connectors))
    expect(c.discovery === null, kind).toBe(!(kind in api.discovery));
});

it("the API's preview and the session's preview answer alike: Postgres's own text and type names, for a table and a query", async () => {
  await pool.query(`
    CREATE SCHEMA preview;
    CREATE TABLE preview.mixed (id integer, at timestamptz, amount numeric(12,2), doc jsonb, tags text[], ok boolean,
                                day date, note text);
    INSERT INTO preview.mixed VALUES
      (1, '2024-01-02 03:04:05.123456+00', 12.30, '{"b": 1, "a": [1, 2.50]}', '{x,"y z"}', true, '2024-02-29', 'é😀'),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  const columns = ['id', 'at', 'amount', 'doc', 'tags', 'ok', 'day', 'note'];
  // What Postgres itself says: each value's output text (in UTC, as both previews read) and each column's type.
  const own = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC -c DateStyle=ISO,YMD' });
  await own.connect();
  let want: { rows: (string | null)[][]; types: string[] };
  try {
    const rows = await own.query({
      text: `SELECT ${columns.join(', ')} FROM preview.mixed ORDER BY id`,
      rowMode: 'array',
      types: { getTypeParser: () => (v: string) => v },
    } as pg.QueryConfig);
    const types = await own.query<{ t: string }>(
      `SELECT unnest(ARRAY[${columns.map((c) => `pg_typeof(${c})::text`).join(', ')}]) AS t FROM (SELECT * FROM preview.mixed LIMIT 1) m`,
    );
    want = { rows: rows.rows as (string | null)[][], types: types.rows.map((r) => r.t) };
  } finally {
    await own.end();
  }
  const query = `SELECT ${columns.join(', ')} FROM preview.mixed ORDER BY id -- a trailing comment`;
  const session = await connector.open({ kind: 'postgres', url });
  try {
    if (!isExplorable(session)) throw new Error('postgres session is not explorable');
    for (const relation of [{ table: 'preview.mixed' }, { query }]) {
      const fromApi = await api.discovery.postgres!.preview({ kind: 'postgres', url }, relation, 10);
      const fromSession = await session.preview(relation, 10);
      expect(fromApi, JSON.stringify(relation)).toEqual(fromSession);
      expect(fromApi.rows.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(want.rows);
      expect(fromApi.columns.map((c) => [c.name, c.sourceType])).toEqual(columns.map((c, i) => [c, want.types[i]]));
      expect((await api.discovery.postgres!.preview({ kind: 'postgres', url }, relation, 1)).rows).toHaveLength(1);
      expect((await session.preview(relation, 1)).rows).toHaveLength(1);
    }
  } finally {
    await session.close();
  }
});
