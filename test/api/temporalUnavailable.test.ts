/**
 * The API over a Temporal that does not answer: views (GET /imports, GET /imports/:id) still answer 200
 * by their deadline with the store's data and `temporal: 'unavailable'`; lifecycle actions answer 503
 * naming Temporal and change nothing. Two ways of not answering: a TCP server that accepts connections
 * and never says a word, and a closed port. The import itself is made and run through the real stack.
 */
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../../api/server';
import { type ApiHarness, createApiHarness, sleep, waitFor } from '../helpers/apiHarness';
import { uniqueId } from '../helpers/harness';

const VIEW_MS = 1000;
const ACTION_MS = 1500;

let t: ApiHarness;
let importId: string;
/** The import as the API over the real Temporal shows it. */
let real: any;
const sockets = new Set<net.Socket>();
let silent: net.Server;

beforeAll(async () => {
  t = await createApiHarness('apinotemporal');
  await t.h.source
    .query(`CREATE TABLE people AS SELECT g AS id, 'p' || g || '@example.com' AS email, 'name ' || g AS name,
    timestamptz '2026-01-01' + g * interval '1 second' AS updated_at FROM generate_series(1, 250) g`);
  const c = await t.req('POST', '/connections', { body: { id: 'src', name: 'src', url: t.h.sourceUrl } });
  expect(c.status, c.text).toBe(201);
  importId = uniqueId('nt');
  const created = await t.req('POST', '/imports', {
    body: {
      id: importId,
      name: 'people',
      dataType: 'profile',
      source: { connection: 'src', table: 'people' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, attributes: [{ column: 'name' }] },
      schedule: { kind: 'interval', every: 1, unit: 'hours' },
      runNow: true,
    },
  });
  expect(created.status, created.text).toBe(201);
  real = await waitFor(
    'the first run done',
    async () => (await t.req('GET', `/imports/${importId}`)).body,
    (b) => b.running === false && b.lastRun?.status === 'succeeded',
    60_000,
    200,
  );

  // Accepts the connection, reads nothing, answers nothing: a Temporal hung under load, as far as gRPC can tell.
  silent = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent?.close(r));
  await t?.close();
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.each([
  ['accepts but never answers', async () => (silent.address() as net.AddressInfo).port],
  ['refuses connections', closedPort],
])('with a Temporal that %s', (_what, portOf) => {
  let api: RunningApi;
  let connection: Connection;
  let logs: string[];
  const get = async (path: string, init: RequestInit = {}) => {
    const started = Date.now();
    const res = await fetch(`${api.url}${path}`, { ...init, headers: { authorization: `Bearer ${t.writeToken}` } });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as any,
      ms: Date.now() - started,
    };
  };

  beforeAll(async () => {
    // Lazy: connect() itself would wait for the server's answer.
    connection = Connection.lazy({ address: `127.0.0.1:${await portOf()}` });
    logs = [];
    api = await startApi({
      store: t.h.store,
      temporal: new Client({ connection }),
      taskQueue: t.h.taskQueue,
      port: 0,
      secretKey: t.secretKey,
      logger: { level: 'warn', stream: { write: (line: string) => logs.push(line) } },
      rateLimit: false,
      deadlines: { viewMs: VIEW_MS, actionMs: ACTION_MS },
    });
  });
  afterAll(async () => {
    await api?.close();
    // The client's gRPC retry (UNAVAILABLE) outlives the view that gave up on it by at most one backoff
    // (5 s at most, plus jitter) and then ends at the gRPC deadline; a retry that fires on a closed
    // channel throws where nobody can catch it, so let them end first.
    await sleep(6500);
    await connection?.close();
  });

  /** What the store knows is shown as over a live Temporal; what only Temporal knows is null and marked. */
  function expectStoreView(view: any) {
    expect(view).toMatchObject({
      id: importId,
      name: 'people',
      dataType: 'profile',
      connection: 'src',
      temporal: 'unavailable',
      state: null,
      paused: null,
      running: null,
      nextRunAt: null,
      schedule: { kind: 'interval', every: 1, unit: 'hours' },
    });
    expect(view.lastRun).toEqual(real.lastRun);
    expect(view.lastRun).toMatchObject({ status: 'succeeded', rowsRead: 250, created: 250 });
    expect(view.position).toEqual(real.position);
    expect(view.position.key).toBe('250');
    expect(view.lastSuccessfulSyncAt).toBe(real.lastSuccessfulSyncAt);
  }

  it("GET /imports/:id answers 200 by the deadline with the store's data, marked unavailable", async () => {
    const r = await get(`/imports/${importId}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectStoreView(r.body);
    // The deadline, plus room for a loaded machine; without it this request would not end at all.
    expect(r.ms).toBeLessThan(VIEW_MS + 4000);
    expect(logs.join('')).toMatch(/import view without its Temporal state/);
  });

  it('GET /imports answers 200 by one deadline for a whole page, not one per import', async () => {
    // 39 more imports, straight into the store: five batches of 8, each of them waiting on Temporal.
    const spec = (await t.h.store.query('SELECT spec FROM imports WHERE id = $1', [importId])).rows[0].spec;
    const more = Array.from({ length: 39 }, (_, i) => `${importId}-m${i}`);
    await t.h.store.query(
      `INSERT INTO imports (id, data_type, spec, schedule)
       SELECT id, 'profile', $2::jsonb || jsonb_build_object('id', id, 'name', 'more ' || id), NULL FROM unnest($1::text[]) id
       ON CONFLICT DO NOTHING`,
      [more, spec],
    );
    const r = await get('/imports');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectStoreView(r.body.items.find((v: any) => v.id === importId));
    const extra = r.body.items.filter((v: any) => more.includes(v.id));
    expect(extra).toHaveLength(39);
    for (const v of extra)
      expect(v).toMatchObject({ temporal: 'unavailable', state: null, running: null, lastRun: null, schedule: null });
    // One shared deadline: a page of 40 costs one deadline, where a deadline per batch of 8 would cost five.
    expect(r.ms).toBeLessThan(2 * VIEW_MS + 1500);
  });

  it('GET /health answers 503 by the deadline, naming Temporal, the store ok', async () => {
    const started = Date.now();
    const res = await fetch(`${api.url}/health`);
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(503);
    expect(body).toMatchObject({ status: 'degraded', store: 'ok' });
    expect(body.temporal).toMatch(/^unavailable: /);
    expect(Date.now() - started).toBeLessThan(VIEW_MS + 4000);
  });

  it.each([
    ['POST', 'pause'],
    ['POST', 'resume'],
    ['POST', 'run'],
    ['POST', 'stop'],
    ['POST', 'resync'],
    ['DELETE', ''],
  ])('%s /imports/:id/%s answers 503 naming Temporal, and changes nothing', async (method, action) => {
    const r = await get(`/imports/${importId}${action ? `/${action}` : ''}`, { method });
    expect(r.status, JSON.stringify(r.body)).toBe(503);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({
      status: 503,
      title: 'Service Unavailable',
      type: 'https://tributary.dev/problems/temporal-unavailable',
    });
    expect(r.body.detail).toMatch(
      /^Temporal (did not answer within \d+ ms|is unavailable \(gRPC UNAVAILABLE\)); nothing was changed/,
    );
    expect(r.ms).toBeLessThan(ACTION_MS + 4000);
    const row = (await t.h.store.query('SELECT deleted_at FROM imports WHERE id = $1', [importId])).rows[0];
    expect(row.deleted_at).toBeNull();
    const pos = await t.h.store.query("SELECT key_value FROM positions WHERE import_id = $1 AND stream = ''", [
      importId,
    ]);
    expect(pos.rows[0].key_value).toBe('250');
  });
});

it('over the live Temporal, the same import is shown with its Temporal state, unpaused and scheduled', async () => {
  const r = await t.req('GET', `/imports/${importId}`);
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({
    temporal: 'available',
    state: 'active',
    paused: false,
    running: false,
    nextRunAt: expect.any(String),
  });
  const list = await t.req('GET', '/imports');
  expect(list.body.items.find((v: any) => v.id === importId)).toMatchObject({ temporal: 'available', state: 'active' });
  // The OpenAPI document says so too.
  const doc = await t.req('GET', '/openapi.json', { token: null });
  const props = doc.body.components.schemas.Import.properties;
  expect(props.temporal.enum).toEqual(['available', 'unavailable']);
  expect(JSON.stringify(props.running)).toContain('null');
  expect(JSON.stringify(props.paused)).toContain('null');
  expect(doc.body.components.schemas.Import.required).toContain('temporal');
});
