/**
 * The API outlives a dropped database connection: a dry run whose custom query terminates its own
 * backend gets a clear 400 (the query's doing, told by trying it twice), a store connection killed while
 * a request holds it gets a 503 problem, and the next requests work.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from '../helpers/apiHarness';
import { uniqueId } from '../helpers/harness';

const ROLE = 'apidrop_reader';
let t: ApiHarness;
beforeAll(async () => {
  t = await createApiHarness('apidrop');
  await t.h.source.query(`CREATE TABLE clicks AS SELECT g AS id, 'u' || g AS uid, 'click' AS kind,
    timestamptz '2026-01-01' + g * interval '1 minute' AS at, timestamptz '2026-01-01' + g * interval '1 minute' AS updated_at
    FROM generate_series(1, 50) g`);
  // A role of its own: a session may terminate itself without any privilege.
  await t.h.source.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${ROLE}-pw'`);
  await t.h.source.query(`GRANT SELECT ON clicks TO ${ROLE}`);
  const src = new URL(t.h.sourceUrl);
  const created = await t.req('POST', '/connections', {
    body: {
      id: 'drop-db',
      name: 'drop',
      kind: 'postgres',
      host: src.hostname,
      port: Number(src.port),
      database: src.pathname.slice(1),
      user: ROLE,
      password: `${ROLE}-pw`,
    },
  });
  expect(created.status, created.text).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

const spec = (query: string) => ({
  id: uniqueId('drop'),
  name: 'dropped',
  dataType: 'activity',
  source: { connection: 'drop-db', query },
  cursor: { column: 'updated_at', key: 'id' },
  mapping: { userId: { column: 'uid' }, eventType: { column: 'kind' }, timestamp: { column: 'at' } },
});

it('a dry run whose query terminates its own backend: a clear 400, and the API keeps serving', async () => {
  const r = await t.req('POST', '/imports/dry-run', {
    body: spec('SELECT id, uid, kind, at, updated_at FROM clicks WHERE pg_terminate_backend(pg_backend_pid())'),
  });
  expect(r.status, r.text).toBe(400);
  expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(r.body.detail).toMatch(/terminated its own connection to the source \(SQLSTATE 57P01/);
  const next = await t.req('POST', '/imports/dry-run?sampleSize=10', {
    body: spec('SELECT id, uid, kind, at, updated_at FROM clicks'),
  });
  expect(next.status, next.text).toBe(200);
  expect(next.body).toMatchObject({ rowsRead: 10 });
});

it('a store connection terminated while a request holds it: a 503 problem, and the next request works', async () => {
  // A dry run holds a store session (its rolled-back transaction, a COPY open) while it reads a slow
  // source query; that session is terminated from an admin connection meanwhile.
  const body = spec('SELECT id, uid, kind, at, updated_at FROM clicks WHERE pg_sleep(0.05) IS NOT NULL');
  const pending = t.req('POST', '/imports/dry-run?sampleSize=50', { body });
  let killed = 0;
  for (let i = 0; i < 400 && killed === 0; i++) {
    const r = await t.h.source.query(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = $1 AND application_name = 'tributary-store'
         AND state <> 'idle' AND pid <> pg_backend_pid()`,
      [new URL(t.h.storeUrl).pathname.slice(1)],
    );
    killed = r.rows[0].n as number;
    if (killed === 0) await new Promise((res) => setTimeout(res, 25));
  }
  expect(killed).toBeGreaterThan(0);
  const r = await pending;
  expect(r.status, `${r.text}\n${t.logs.filter((l) => l.includes('unhandled')).join('\n')}`).toBe(503);
  expect(r.body).toMatchObject({
    status: 503,
    title: 'Service Unavailable',
    detail: expect.stringMatching(/connection was lost.*try the request again/),
  });
  const next = await t.req('GET', '/imports');
  expect(next.status, next.text).toBe(200);
});
