/**
 * The API keeps its contract where a fuzzer found it did not: ordinary conditions (a source out of reach,
 * text the store cannot hold, a three-part table name, sslmode=verify-full on a server without SSL) are
 * 400 or 503 problems, never a 500; a known path with a method it lacks is 405 with Allow; the rate limit
 * counts per API key whatever the spelling of the Authorization header; and the OpenAPI document declares
 * the statuses and media types the routes answer with. Real Postgres, MariaDB and ClickHouse servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from '../helpers/apiHarness';
import { type ClickHouse, startClickHouse } from '../helpers/clickhouse';
import { uniqueId } from '../helpers/harness';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import { refusingPort } from '../helpers/servers';

let t: ApiHarness;
let maria: MariaDb;
let ch: ClickHouse;
/** A loopback port where nothing listens: connections to it are refused at once. */
let closed: number;
let sourceDb: string;

beforeAll(async () => {
  [t, maria, ch] = await Promise.all([createApiHarness('contract'), startMariaDb(), startClickHouse()]);
  closed = await refusingPort();
  await t.h.source
    .query(`CREATE TABLE people AS SELECT g AS id, 'p' || g AS email, timestamptz '2026-01-01' + g * interval '1 second' AS updated_at
    FROM generate_series(1, 5) g`);
  sourceDb = new URL(t.h.sourceUrl).pathname.slice(1);
  await maria.createDatabase('shop');
  await maria.exec('CREATE TABLE shop.people (id INT PRIMARY KEY, email VARCHAR(64), updated_at DATETIME(6))');
  await ch.exec(
    'CREATE TABLE default.people (id UInt64, email String, updated_at DateTime) ENGINE = MergeTree ORDER BY id',
  );
  const verifyFull = new URL(t.h.sourceUrl);
  verifyFull.searchParams.set('sslmode', 'verify-full');
  const connections: Record<string, string> = {
    src: t.h.sourceUrl,
    'src-verify-full': verifyFull.toString(),
    maria: maria.url('shop'),
    clickhouse: ch.url('default'),
    'mysql-down': `mysql://reader:pw@127.0.0.1:${closed}/shop`,
    'clickhouse-down': `clickhouse://reader:pw@127.0.0.1:${closed}/default`,
    'snowflake-down': `snowflake://reader:pw@acct/DB/PUBLIC?warehouse=WH&access_url=${encodeURIComponent(`http://127.0.0.1:${closed}`)}`,
    'http-down': `http://127.0.0.1:${closed}/files`,
  };
  for (const [id, url] of Object.entries(connections)) {
    const r = await t.req('POST', '/connections', { body: { id, name: id, url } });
    expect(r.status, r.text).toBe(201);
  }
}, 600_000);
afterAll(async () => {
  await t?.close();
  await maria?.stop();
  await ch?.stop();
});

const spec = (source: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: uniqueId('contract'),
  name: 'people',
  dataType: 'profile',
  source,
  cursor: { column: 'updated_at', key: 'id' },
  mapping: { userId: { column: 'email' } },
  ...extra,
});

function expectProblem(r: { status: number; headers: Headers; body: any; text: string }, status: number) {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
}

function expectField(r: { status: number; headers: Headers; body: any; text: string }, field: string, message: RegExp) {
  expectProblem(r, 400);
  const named = (r.body.errors as { field: string; message: string }[]).find((e) => e.field === field);
  expect(named, r.text).toBeDefined();
  expect(named!.message).toMatch(message);
}

describe('a source out of reach is a 503 problem (the test route answers ok: false)', () => {
  for (const kind of ['mysql', 'clickhouse', 'snowflake']) {
    it(kind, async () => {
      const id = `${kind}-down`;
      const schema = await t.req('GET', `/connections/${id}/schema`);
      expectProblem(schema, 503);
      expect(schema.body.type).toMatch(/source-unavailable$/);
      expect(schema.body.detail).toMatch(new RegExp(`^${kind}: cannot reach .*ECONNREFUSED.*try again`));
      expectProblem(await t.req('POST', `/connections/${id}/preview`, { body: { table: 'people' } }), 503);
      expectProblem(await t.req('POST', '/imports/dry-run', { body: spec({ connection: id, table: 'people' }) }), 503);
      expectProblem(await t.req('POST', '/imports', { body: spec({ connection: id, table: 'people' }) }), 503);
      const test = await t.req('POST', `/connections/${id}/test`);
      expect(test.status, test.text).toBe(200);
      expect(test.body).toMatchObject({ ok: false, error: expect.stringMatching(/cannot reach/) });
    });
  }
  it('http (a file source)', async () => {
    const body = spec({ connection: 'http-down', file: { path: 'people.csv', format: 'csv' } });
    const r = await t.req('POST', '/imports', { body });
    expectProblem(r, 503);
    expect(r.body.detail).toMatch(/^http: .*ECONNREFUSED/);
    expectProblem(await t.req('POST', '/imports/dry-run', { body }), 503);
    expect((await t.h.store.query('SELECT 1 FROM imports WHERE id = $1', [body.id])).rowCount).toBe(0);
  });
});

describe('text the store cannot hold is a 400 naming its field', () => {
  it('a NUL in a connection name', async () => {
    expectField(
      await t.req('POST', '/connections', { body: { name: 'a\u0000b', url: 'postgres://h/d' } }),
      'name',
      /NUL/,
    );
  });
  it('a lone surrogate in an import name, and in a nested field', async () => {
    expectField(
      await t.req('POST', '/imports', { body: spec({ connection: 'src', table: 'people' }, { name: 'x\ud800y' }) }),
      'name',
      /lone UTF-16 surrogate/,
    );
    const nested = spec(
      { connection: 'src', table: 'people' },
      { mapping: { userId: { column: 'email' }, idType: { value: 'e\udc00' } } },
    );
    expectField(await t.req('POST', '/imports', { body: nested }), 'mapping.idType.value', /lone UTF-16 surrogate/);
  });
  it('a NUL in a field name, a path parameter and an update', async () => {
    expectField(
      await t.req('POST', '/connections', { body: { name: 'n', host: 'h', params: { 'a\u0000': 'b' } } }),
      'params.a\\u0000',
      /field name/,
    );
    expectField(await t.req('DELETE', '/webhooks/wh%00x'), 'path.id', /NUL/);
    const body = spec({ connection: 'src', table: 'people' });
    expect((await t.req('POST', '/imports', { body })).status).toBe(201);
    expectField(await t.req('PATCH', `/imports/${body.id}`, { body: { name: '\u0000' } }), 'name', /NUL/);
    expect((await t.req('GET', `/imports/${body.id}`)).body.name).toBe('people');
  });
  it('a path parameter longer than the router keeps, or a broken escape: a 400 problem naming the path', async () => {
    expectField(await t.req('DELETE', `/webhooks/${'w'.repeat(300)}`), 'path', /too long/);
    expectField(await t.req('GET', '/imports/%E0%A4%A'), 'path', /not a valid URL component/);
  });
});

describe('a three-part table name', () => {
  it('Postgres: another database is a 400 naming the field; its own database reads', async () => {
    const other = await t.req('POST', '/connections/src/preview', { body: { table: 'elsewhere.public.people' } });
    expectField(other, 'table', /cross-database.*three-part name must start with the database/);
    const own = await t.req('POST', '/connections/src/preview', { body: { table: `${sourceDb}.public.people` } });
    expect(own.status, own.text).toBe(200);
    expect(own.body.rows).toHaveLength(5);
    expectField(
      await t.req('POST', '/imports', { body: spec({ connection: 'src', table: 'elsewhere.public.people' }) }),
      'source.table',
      /cross-database/,
    );
    expect(
      (await t.req('POST', '/imports', { body: spec({ connection: 'src', table: `${sourceDb}.public.people` }) }))
        .status,
    ).toBe(201);
  });
  it('MariaDB and ClickHouse, which name a table by two parts at most', async () => {
    for (const connection of ['maria', 'clickhouse']) {
      expectField(
        await t.req('POST', `/connections/${connection}/preview`, { body: { table: 'a.b.people' } }),
        'table',
        /a\.b\.people/,
      );
      expectField(
        await t.req('POST', '/imports', { body: spec({ connection, table: 'a.b.people' }) }),
        'source.table',
        /a\.b\.people/,
      );
    }
  });
});

describe('sslmode in a Postgres connection URL', () => {
  it('verify-full against a server without SSL is a 400 that names sslmode', async () => {
    const schema = await t.req('GET', '/connections/src-verify-full/schema');
    expectProblem(schema, 400);
    expect(schema.body.detail).toMatch(/does not support SSL.*sslmode/);
    const test = await t.req('POST', '/connections/src-verify-full/test');
    expect(test.body).toMatchObject({ ok: false, error: expect.stringMatching(/sslmode/) });
    const create = await t.req('POST', '/imports', { body: spec({ connection: 'src-verify-full', table: 'people' }) });
    expectProblem(create, 400);
    expect(create.body.detail).toMatch(/sslmode/);
  });
  it('certificate files and unknown modes are refused when the connection is stored, naming the parameter', async () => {
    expectField(
      await t.req('POST', '/connections', {
        body: { name: 'x', url: 'postgres://u:p@127.0.0.1/d?sslmode=verify-full&sslrootcert=/etc/hostname' },
      }),
      'url',
      /sslrootcert/,
    );
    expectField(
      await t.req('POST', '/connections', {
        body: { name: 'x', host: '127.0.0.1', params: { sslcert: '/etc/hostname' } },
      }),
      'params.sslcert',
      /file/,
    );
    expectField(
      await t.req('POST', '/connections', { body: { name: 'x', url: 'postgres://u:p@127.0.0.1/d?sslmode=always' } }),
      'url',
      /sslmode "always"/,
    );
  });
});

describe('methods', () => {
  it('a known path with a method it lacks is 405 with Allow; an unknown path is 404', async () => {
    const put = await t.req('PUT', '/imports', { body: {} });
    expectProblem(put, 405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    const del = await t.req('DELETE', '/imports/some-id/runs');
    expectProblem(del, 405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
    expect((await t.req('PATCH', '/connections/c1')).headers.get('allow')).toBe('DELETE, GET, HEAD');
    expectProblem(await t.req('GET', '/nowhere'), 404);
    expectProblem(await t.req('GET', '/imports/a/b/c/d'), 404);
  });
});

describe('the rate limit counts per API key', () => {
  it('rotating the spelling of the Authorization header does not reset it', async () => {
    const { startApi } = await import('../../api/server');
    const limited = await startApi({
      store: t.h.store,
      temporal: t.h.client,
      taskQueue: t.h.taskQueue,
      port: 0,
      secretKey: t.secretKey,
      logger: false,
      rateLimit: { max: 5, timeWindow: '1 minute' },
    });
    try {
      const spellings = [
        `Bearer ${t.readToken}`,
        `bearer ${t.readToken}`,
        `BEARER ${t.readToken}`,
        `Bearer  ${t.readToken}`,
        `bearer\t${t.readToken} `,
        `Bearer ${t.readToken}  `,
      ];
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await fetch(`${limited.url}/connections`, {
          headers: { authorization: spellings[i % spellings.length]! },
        });
        statuses.push(r.status);
        await r.arrayBuffer();
      }
      expect(statuses).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
      // Another key has its own allowance.
      expect(
        (await fetch(`${limited.url}/connections`, { headers: { authorization: `Bearer ${t.writeToken}` } })).status,
      ).toBe(200);
      // Under a rate limit, every route documents its 429.
      const doc = (await (await fetch(`${limited.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item))
          expect(Object.keys(op.responses), `${method} ${path}`).toContain('429');
      }
    } finally {
      await limited.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('declares bodies, problems under application/problem+json, path parameters and the bearer scheme', async () => {
    const doc = (await t.req('GET', '/openapi.json', { token: null })).body;
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ label: `${method.toUpperCase()} ${path}`, path, method, op })),
    );
    expect(ops.length).toBeGreaterThan(30);
    for (const { label, path, method, op } of ops) {
      const codes = Object.keys(op.responses);
      for (const code of codes.filter((c) => Number(c) >= 400 && !(label === 'GET /health' && c === '503'))) {
        expect(Object.keys(op.responses[code].content ?? {}), `${label} ${code}`).toEqual(['application/problem+json']);
      }
      // The harness runs without a rate limit, so no 429 (the rate-limit test reads the document of one with it).
      expect(codes, label).not.toContain('429');
      expect(codes, label).toEqual(expect.arrayContaining(['500', '503']));
      if (label !== 'GET /health') expect(codes, label).toEqual(expect.arrayContaining(['401']));
      if (method !== 'get' && label !== 'GET /health')
        expect(codes, label).toEqual(expect.arrayContaining(['400', '403', '413', '415']));
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        const p = (op.parameters ?? []).find((x: any) => x.in === 'path' && `{${x.name}}` === name);
        expect(p, `${label} ${name}`).toMatchObject({ required: true });
        expect(codes, label).toEqual(expect.arrayContaining(['400', '404']));
      }
      if (op.requestBody) expect(op.requestBody.required, label).toBe(label !== 'POST /imports/{id}/resync');
    }
    expect(doc.paths['/imports/{id}/runs/{runId}/errors.csv'].get.responses['200'].content).toHaveProperty('text/csv');
  });
});
