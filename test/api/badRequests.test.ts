/**
 * Bad requests, each asserted on status and body: 400 naming the field (SQL in names, non-SELECT queries,
 * mappings naming missing columns included), 404, 409, 413, 429, plus the OpenAPI document and docs page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from '../helpers/apiHarness';
import { uniqueId } from '../helpers/harness';

let t: ApiHarness;
beforeAll(async () => {
  t = await createApiHarness('apibad');
  await t.h.source
    .query(`CREATE TABLE people AS SELECT g AS id, 'p' || g AS email, 'name ' || g AS name, g AS age, '\\x00'::bytea AS blob,
    timestamptz '2026-01-01' + g * interval '1 second' AS updated_at FROM generate_series(1, 10) g`);
  // A connection from the worker's environment-style names works too; this one is stored.
  const src = new URL(t.h.sourceUrl);
  const c = await t.req('POST', '/connections', { body: { id: 'src', name: 'src', url: src.toString() } });
  expect(c.status, c.text).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

const valid = (extra: Record<string, unknown> = {}) => ({
  id: uniqueId('bad'),
  name: 'people',
  dataType: 'profile',
  source: { connection: 'src', table: 'people' },
  cursor: { column: 'updated_at', key: 'id' },
  mapping: { userId: { column: 'email' }, attributes: [{ column: 'name' }, { column: 'age', type: 'number' }] },
  ...extra,
});

/** Set a dotted path in a copy of the valid body. */
function withField(path: string, value: unknown): Record<string, any> {
  const body: any = structuredClone(valid());
  const keys = path.split('.');
  let at = body;
  for (const k of keys.slice(0, -1)) at = at[k] ??= {};
  at[keys.at(-1)!] = value;
  return body;
}

async function expect400(method: string, path: string, body: unknown, field: string, message?: RegExp) {
  const r = await t.req(method, path, { body });
  expect(r.status, `${field}: ${r.text}`).toBe(400);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({ type: expect.any(String), title: 'Bad Request', status: 400 });
  const fields = (r.body.errors as { field: string; message: string }[]).map((e) => e.field);
  expect(fields, r.text).toContain(field);
  if (message) expect(r.body.errors.find((e: any) => e.field === field).message).toMatch(message);
  expect(r.body.detail).toContain(field);
}

describe('400 names the offending field', () => {
  const cases: [string, unknown, RegExp?][] = [
    ['id', 'Bad Id!', /a-z, 0-9/],
    ['name', ''],
    ['source.table', 'people; DROP TABLE people', /no quotes, spaces or SQL/],
    ['source.table', 'people"--'],
    ['cursor.column', 'updated_at) OR (1=1', /plain column name/],
    ['cursor.key', 'id; DELETE FROM x'],
    ['mapping.userId.column', 'email"'],
    ['mapping.attributes.0.column', 'name FROM people --'],
    ['mapping.attributes.0.type', 'float'],
    ['batchSize', 0],
    ['batchSize', 'many'],
    ['timeZone', 42],
    ['mode', 'sometimes'],
    ['source.connection', 'no such connection!'],
    ['runNow', 'yes'],
    ['schedule.kind', 'sometimes'],
  ];
  for (const [field, value, message] of cases) {
    it(`${field} = ${JSON.stringify(value)}`, () =>
      expect400('POST', '/imports', withField(field, value), field, message));
  }

  it('dataType', () => expect400('POST', '/imports', { ...valid(), dataType: 'nope' }, 'dataType'));
  it('an unknown field is named', () => expect400('POST', '/imports', { ...valid(), colour: 'red' }, 'colour'));
  it('a missing field is named', () => {
    const { cursor: _c, ...body } = valid();
    return expect400('POST', '/imports', body, 'cursor');
  });
  it('a non-SELECT custom query', () =>
    expect400(
      'POST',
      '/imports',
      { ...valid(), source: { connection: 'src', query: 'DELETE FROM people RETURNING *' } },
      'source.query',
      /SELECT/,
    ));
  it('two statements in a custom query', () =>
    expect400(
      'POST',
      '/imports',
      { ...valid(), source: { connection: 'src', query: 'SELECT * FROM people; DROP TABLE people' } },
      'source.query',
    ));
  it('both table and query', () =>
    expect400(
      'POST',
      '/imports',
      { ...valid(), source: { connection: 'src', table: 'people', query: 'SELECT 1' } },
      'source.table',
      /exactly one/,
    ));

  const schedule = (s: Record<string, unknown>) => ({ ...valid(), schedule: s });
  it('schedule.at', () =>
    expect400('POST', '/imports', schedule({ kind: 'daily', at: '25:00' }), 'schedule.at', /HH:MM/));
  it('schedule.timeZone', () =>
    expect400(
      'POST',
      '/imports',
      schedule({ kind: 'daily', at: '02:00', timeZone: 'Mars/Olympus' }),
      'schedule.timeZone',
      /IANA/,
    ));
  it('schedule.expression', () =>
    expect400('POST', '/imports', schedule({ kind: 'cron', expression: 'every day' }), 'schedule.expression'));
  it('schedule.expression rejected by Temporal', () =>
    expect400('POST', '/imports', schedule({ kind: 'cron', expression: '99 * * * *' }), 'schedule.expression'));
  it('schedule.days', () =>
    expect400('POST', '/imports', schedule({ kind: 'weekly', days: ['funday'], at: '02:00' }), 'schedule.days.0'));
  it('schedule.endAt', () =>
    expect400(
      'POST',
      '/imports',
      schedule({ kind: 'interval', every: 5, startAt: '2027-01-02T00:00:00Z', endAt: '2027-01-01T00:00:00Z' }),
      'schedule.endAt',
      /after startAt/,
    ));
  it('schedule.every', () => expect400('POST', '/imports', schedule({ kind: 'interval', every: 0 }), 'schedule.every'));

  it('a query parameter', async () => {
    const r = await t.req('GET', '/imports/anything/runs?limit=0');
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe('query.limit');
  });
  it('a path parameter', async () => {
    const r = await t.req('GET', '/imports/NOT%20AN%20ID');
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe('path.id');
  });
  it('a body that is not JSON', async () => {
    const r = await t.req('POST', '/imports', { raw: '{"id": ' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: 400, errors: [{ field: '(body)' }] });
  });
  it('connection fields', async () => {
    await expect400('POST', '/connections', { name: 'x', url: 'mongodb://h/db' }, 'url', /scheme/);
    await expect400('POST', '/connections', { name: 'x', url: 'not a url' }, 'url');
    await expect400('POST', '/connections', { name: 'x', host: 'h', port: 99999 }, 'port');
    await expect400('POST', '/connections', { name: 'x', url: 'postgres://h/d', password: 'p' }, 'password');
    await expect400('POST', '/connections', { name: 'x' }, 'url', /either url or host/);
    await expect400('POST', '/connections', { id: 'a b', name: 'x', url: 'postgres://h/d' }, 'id');
  });
  it('preview: SQL in a table name, a non-SELECT query', async () => {
    await expect400('POST', '/connections/src/preview', { table: 'people where 1=1' }, 'table');
    await expect400('POST', '/connections/src/preview', { query: 'UPDATE people SET name = 1' }, 'query', /SELECT/);
    await expect400(
      'POST',
      '/connections/src/preview',
      { query: 'SELECT * FROM missing_table' },
      'query',
      /missing_table/,
    );
  });
  it('webhook fields', async () => {
    await expect400('POST', '/webhooks', { url: 'ftp://x/y' }, 'url');
    await expect400('POST', '/webhooks', { url: 'http://x/y', events: ['run.exploded'] }, 'events.0');
  });
  it('update fields', async () => {
    const body = valid();
    expect((await t.req('POST', '/imports', { body })).status).toBe(201);
    await expect400('PATCH', `/imports/${body.id}`, { name: '' }, 'name');
    await expect400(
      'PATCH',
      `/imports/${body.id}`,
      { schedule: { kind: 'monthly', days: [32], at: '01:00' } },
      'schedule.days.0',
    );
    await expect400('PATCH', `/imports/${body.id}`, { batchSize: 5 }, 'batchSize');
  });
});

describe('the mapping is checked against the source before anything is saved', () => {
  it('a column the source lacks', async () => {
    const body = withField('mapping.attributes.1.column', 'agee');
    await expect400(
      'POST',
      '/imports',
      body,
      'mapping.attributes.1.column',
      /"agee" does not exist.*did you mean|its columns are/,
    );
    expect((await t.h.store.query('SELECT 1 FROM imports WHERE id = $1', [body.id])).rowCount).toBe(0);
    expect((await t.req('GET', `/imports/${body.id}`)).status).toBe(404);
  });
  it('a case slip gets a suggestion', () =>
    expect400('POST', '/imports', withField('cursor.key', 'ID'), 'cursor.key', /did you mean "id"/));
  it('a type the column cannot hold', () =>
    expect400(
      'POST',
      '/imports',
      withField('mapping.attributes.1.type', 'date'),
      'mapping.attributes.1.type',
      /is date, but column "age" is integer/,
    ));
  it('a column of a type no import can read', () =>
    expect400(
      'POST',
      '/imports',
      withField('mapping.attributes.1.column', 'blob'),
      'mapping.attributes.1.column',
      /bytea/,
    ));
  it('a missing table', () =>
    expect400('POST', '/imports', withField('source.table', 'nowhere'), 'source.table', /nowhere/));
  it('an unknown connection', () =>
    expect400('POST', '/imports', withField('source.connection', 'ghost'), 'source.connection', /ghost/));
});

describe('404 for unknown ids', () => {
  const paths: [string, string][] = [
    ['GET', '/imports/nope'],
    ['PATCH', '/imports/nope'],
    ['POST', '/imports/nope/pause'],
    ['POST', '/imports/nope/resume'],
    ['POST', '/imports/nope/run'],
    ['POST', '/imports/nope/stop'],
    ['POST', '/imports/nope/resync'],
    ['DELETE', '/imports/nope'],
    ['GET', '/imports/nope/runs'],
    ['GET', '/connections/nope'],
    ['DELETE', '/connections/nope'],
    ['POST', '/connections/nope/test'],
    ['GET', '/connections/nope/schema'],
    ['POST', '/connections/nope/discover'],
    ['DELETE', '/webhooks/nope'],
  ];
  for (const [method, path] of paths) {
    it(`${method} ${path}`, async () => {
      const r = await t.req(method, path, method === 'PATCH' ? { body: {} } : {});
      expect(r.status, r.text).toBe(404);
      expect(r.body).toMatchObject({
        status: 404,
        title: 'Not Found',
        detail: expect.stringMatching(/does not exist/),
      });
    });
  }
  it('a run of an existing import that does not exist', async () => {
    const body = valid();
    expect((await t.req('POST', '/imports', { body })).status).toBe(201);
    for (const p of ['', '/errors', '/errors.csv'])
      expect((await t.req('GET', `/imports/${body.id}/runs/999999${p}`)).status).toBe(404);
  });
});

describe('409 for conflicting operations', () => {
  it('two creates with one id, at once', async () => {
    const body = valid();
    const [a, b] = await Promise.all([t.req('POST', '/imports', { body }), t.req('POST', '/imports', { body })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const lost = a.status === 409 ? a : b;
    expect(lost.body).toMatchObject({
      status: 409,
      title: 'Conflict',
      detail: expect.stringMatching(/already exists/),
    });
    expect((await t.req('POST', '/imports', { body })).status).toBe(409);
  });
  it('deleting a connection an import uses, and a duplicate connection id', async () => {
    const r = await t.req('DELETE', '/connections/src');
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/used by import/);
    expect(
      (await t.req('POST', '/connections', { body: { id: 'src', name: 'again', url: 'postgres://h/d' } })).status,
    ).toBe(409);
  });
  it('stopping an import with no run', async () => {
    const body = valid();
    expect((await t.req('POST', '/imports', { body })).status).toBe(201);
    const r = await t.req('POST', `/imports/${body.id}/stop`);
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/no run/);
  });
});

describe('limits and docs', () => {
  it('413 for an oversized body, as a problem', async () => {
    const r = await t.req('POST', '/imports', { body: { ...valid(), name: 'x'.repeat(2 * 1024 * 1024) } });
    expect(r.status).toBe(413);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 413, title: 'Content Too Large' });
  });

  it('429 past the rate limit, as a problem', async () => {
    const { startApi } = await import('../../api/server');
    const limited = await startApi({
      store: t.h.store,
      temporal: t.h.client,
      taskQueue: t.h.taskQueue,
      port: 0,
      secretKey: t.secretKey,
      logger: false,
      rateLimit: { max: 3, timeWindow: '1 minute' },
    });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${limited.url}/imports`, { headers: { authorization: `Bearer ${t.readToken}` } });
        statuses.push(r.status);
        if (r.status === 429) {
          expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(await r.json()).toMatchObject({ status: 429, detail: expect.stringMatching(/rate limit/) });
          expect(r.headers.get('retry-after')).toBeTruthy();
        }
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  it('serves an OpenAPI document derived from the import spec, and a docs page', async () => {
    const doc = await t.req('GET', '/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/imports',
        '/imports/{id}/pause',
        '/connections/{id}/preview',
        '/imports/{id}/runs/{runId}/errors.csv',
      ]),
    );
    const create = doc.body.components.schemas.ImportCreate;
    expect(JSON.stringify(create)).toContain('"dedupWindowDays"');
    expect(JSON.stringify(create)).toContain('"schedule"');
    const page = await fetch(`${t.url}/docs`, { redirect: 'follow' });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger/i);
  });
});
