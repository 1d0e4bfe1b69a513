/**
 * The API as a Fastify plugin inside a user's own app: mounted under a prefix, beside the user's own
 * route, behind the user's own auth hook (the built-in keys off), and a second time with the built-in keys.
 * Real HTTP, real Temporal and Postgres: an import created through the mounted API runs on a worker and
 * lands in the store, and pausing it pauses its Temporal schedule.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tributaryApi } from '../../api/plugin';
import { createApiKey } from '../../api/auth';
import { staticConnections } from '../../connectors/connections';
import { count, createHarness, type Harness, uniqueId } from '../helpers/harness';
import { testPolicy } from '../helpers/testPolicy';
import { waitFor } from '../helpers/wait';

let h: Harness;
let app: FastifyInstance;
let base: string;
const USER_TOKEN = 'user-secret-token';

beforeAll(async () => {
  h = await createHarness('mounted');
  await h.source
    .query(`CREATE TABLE people AS SELECT g AS id, 'p' || g || '@example.com' AS email, 'name ' || g AS name,
      timestamptz '2026-01-01' + g * interval '1 second' AS updated_at FROM generate_series(1, 250) g`);
  app = Fastify({ logger: false });
  // The user's own authentication, for every route of their app, the mounted API's included.
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-user-token'] !== USER_TOKEN) return reply.code(401).send({ error: 'who are you?' });
  });
  app.get('/hello', async () => ({ hello: 'from the user app' }));
  const common = {
    store: h.store,
    temporal: h.client,
    taskQueue: h.taskQueue,
    secretKey: randomBytes(32),
    resolveConnection: staticConnections({ warehouse: h.sourceUrl }),
    policy: testPolicy(),
    rateLimit: false as const,
  };
  await app.register(tributaryApi, { ...common, prefix: '/imports-api', auth: 'none' });
  await app.register(tributaryApi, { ...common, prefix: '/keyed-api' });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

const call = async (method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) => {
  const headers: Record<string, string> = { 'x-user-token': USER_TOKEN, ...o.headers };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, text, body: text && /json/.test(type) ? JSON.parse(text) : undefined };
};

it('creates, lists and pauses an import through the API mounted under a prefix, beside the user route', async () => {
  const id = uniqueId('mounted');
  const created = await call('POST', '/imports-api/imports', {
    body: {
      id,
      name: `people ${id}`,
      dataType: 'profile',
      runNow: true,
      source: { connection: 'warehouse', table: 'people' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, attributes: [{ column: 'name' }] },
    },
  });
  expect(created.status, created.text).toBe(201);
  expect(created.body).toMatchObject({ id, paused: false });

  // The run the mounted API started went through Temporal to the worker and into the store.
  await waitFor(
    'the first run',
    () => count(h.store, "SELECT count(*) FROM runs WHERE import_id = $1 AND status = 'succeeded'", [id]),
    (n) => n === 1,
    120_000,
    200,
  );
  expect(await count(h.store, 'SELECT count(*) FROM profile_attributes WHERE import_id = $1', [id])).toBe(250);

  const listed = await call('GET', '/imports-api/imports');
  expect(listed.status).toBe(200);
  expect(listed.body.items.map((x: { id: string }) => x.id)).toContain(id);

  const paused = await call('POST', `/imports-api/imports/${id}/pause`);
  expect(paused.status, paused.text).toBe(200);
  expect(paused.body).toMatchObject({ paused: true });
  // Temporal's own description of the schedule says so.
  expect((await h.client.schedule.getHandle(`import:${id}`).describe()).state.paused).toBe(true);

  expect(await call('GET', '/hello')).toMatchObject({ status: 200, body: { hello: 'from the user app' } });
});

it("lets the user's own auth hook refuse the mounted API and the user's route alike", async () => {
  for (const path of ['/imports-api/imports', '/hello', '/imports-api/health']) {
    const res = await call('GET', path, { headers: { 'x-user-token': 'wrong' } });
    expect(res, path).toMatchObject({ status: 401, body: { error: 'who are you?' } });
  }
});

it('keeps its problem+json answers inside its prefix, and the app keeps its own outside', async () => {
  const missing = await call('GET', '/imports-api/no-such-route');
  expect(missing.status).toBe(404);
  expect(missing.type).toMatch(/application\/problem\+json/);
  expect(missing.body).toMatchObject({ status: 404, instance: '/imports-api/no-such-route' });
  const wrongMethod = await call('PUT', '/imports-api/imports');
  expect(wrongMethod.status).toBe(405);
  const invalid = await call('POST', '/imports-api/imports', { body: { id: 'x' } });
  expect(invalid.status).toBe(400);
  expect(invalid.body.errors.map((e: { field: string }) => e.field)).toContain('dataType');

  const outside = await call('GET', '/not-tributary');
  expect(outside.status).toBe(404);
  expect(outside.type).not.toMatch(/problem/);
});

it("serves an OpenAPI document whose paths carry the prefix, and none of the user's routes", async () => {
  const doc = await call('GET', '/imports-api/openapi.json');
  expect(doc.status).toBe(200);
  const paths = Object.keys(doc.body.paths as object);
  expect(paths).toContain('/imports-api/imports');
  expect(paths).toContain('/imports-api/imports/{id}/pause');
  expect(paths.filter((p) => !p.startsWith('/imports-api/'))).toEqual([]);
  // With auth 'none' the document promises no bearer scheme; the keyed mount does.
  expect(doc.body.security).toBeUndefined();
  const keyed = await call('GET', '/keyed-api/openapi.json');
  expect(Object.keys(keyed.body.paths as object).every((p) => p.startsWith('/keyed-api/'))).toBe(true);
  expect(keyed.body.security).toEqual([{ bearer: [] }]);
});

it('with the built-in API keys on, needs a key of its own besides the user hook', async () => {
  const without = await call('GET', '/keyed-api/imports');
  expect(without.status).toBe(401);
  expect(without.type).toMatch(/application\/problem\+json/);
  const { token } = await createApiKey(h.store, 'mounted-reader', 'read');
  const withKey = await call('GET', '/keyed-api/imports', { headers: { authorization: `Bearer ${token}` } });
  expect(withKey.status, withKey.text).toBe(200);
  const write = await call('POST', '/keyed-api/imports/whatever/pause', {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(write.status).toBe(403);
  // The docs under the prefix stay public (the user hook aside).
  expect((await call('GET', '/keyed-api/docs')).status).toBeLessThan(400);
});

it('mounts without a prefix in an app that has its own 404 handler, which keeps answering unknown paths', async () => {
  const other = Fastify({ logger: false });
  other.setNotFoundHandler((_req, reply) => reply.code(404).send({ mine: true }));
  await other.register(tributaryApi, {
    store: h.store,
    temporal: h.client,
    taskQueue: h.taskQueue,
    auth: 'none',
    openapi: false,
    rateLimit: false,
  });
  try {
    const health = await other.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode, health.body).toBe(200);
    expect((await other.inject({ method: 'GET', url: '/nowhere' })).json()).toEqual({ mine: true });
    // The API's own error handler still renders its problems.
    const invalid = await other.inject({ method: 'POST', url: '/imports', payload: { id: 'x' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers['content-type']).toMatch(/application\/problem\+json/);
  } finally {
    await other.close();
  }
});
