/**
 * Secrets never leave the store: a known password is searched for in every API response, every captured
 * log line and the fetched Temporal histories. Webhooks arrive signed, also at a receiver that fails
 * twice. A dry run reports what a run would do and writes nothing.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness, waitFor } from '../helpers/apiHarness';
import { count, uniqueId } from '../helpers/harness';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../../workflows/definitions';

const PASSWORD = `Pw-${randomUUID()}`;
const ROLE = `reader_${randomUUID().slice(0, 8)}`;
let t: ApiHarness;
const captured: string[] = [];
const restore: (() => void)[] = [];

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
let receiver: http.Server;
let receiverUrl: string;
let flakyFailures = 0;

beforeAll(async () => {
  // Capture everything this process prints (worker and SDK logs included) from here on.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: any, ...rest: any[]) => {
      captured.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      captured.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      original(...args);
    };
    restore.push(() => {
      console[level] = original;
    });
  }
  t = await createApiHarness('apisecret');
  await t.h.source.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
  // Rows 41-45 repeat rows 1-5 exactly (same user, type, time, properties): duplicates. 46-47: reserved ids.
  await t.h.source.query(`CREATE TABLE clicks AS SELECT g AS id,
      CASE WHEN g > 45 THEN 'null' ELSE 'u' || (b % 7) END AS uid, 'click' AS kind,
      timestamptz '2026-02-01' + b * interval '1 minute' AS at, 'x' || b AS page,
      timestamptz '2026-02-01' + g * interval '1 second' AS updated_at
    FROM generate_series(1, 47) g, LATERAL (SELECT CASE WHEN g BETWEEN 41 AND 45 THEN g - 40 ELSE g END AS b) base`);
  await t.h.source.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ROLE}`);

  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (req.url === '/flaky' && flakyFailures < 2) {
        flakyFailures++;
        res.writeHead(500).end('not yet');
        return;
      }
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  restore.forEach((r) => r());
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

const src = () => new URL(t.h.sourceUrl);
const activitySpec = (id: string) => ({
  id,
  name: 'clicks',
  dataType: 'activity',
  source: { connection: 'secret-db', table: 'clicks' },
  cursor: { column: 'updated_at', key: 'id' },
  batchSize: 20,
  mapping: {
    userId: { column: 'uid' },
    eventType: { column: 'kind' },
    timestamp: { column: 'at' },
    properties: [{ column: 'page' }],
  },
});

it('stores a connection given a password, and uses it without returning it', async () => {
  const created = await t.req('POST', '/connections', {
    body: {
      id: 'secret-db',
      name: 'secret',
      kind: 'postgres',
      host: src().hostname,
      port: Number(src().port),
      database: src().pathname.slice(1),
      user: ROLE,
      password: PASSWORD,
    },
  });
  expect(created.status, created.text).toBe(201);
  expect(created.body).toMatchObject({ user: ROLE });
  expect((await t.req('POST', '/connections/secret-db/test')).body).toMatchObject({ ok: true });
  expect((await t.req('POST', '/connections/secret-db/discover')).status).toBe(200);
  // A wrong password: the test fails with a message that does not echo it.
  const wrong = await t.req('POST', '/connections', {
    body: {
      id: 'wrong-db',
      name: 'wrong',
      host: src().hostname,
      port: Number(src().port),
      database: src().pathname.slice(1),
      user: ROLE,
      password: `${PASSWORD}-wrong`,
    },
  });
  expect(wrong.status).toBe(201);
  const failed = await t.req('POST', '/connections/wrong-db/test');
  expect(failed.body).toMatchObject({ ok: false, error: expect.stringMatching(/password authentication failed/) });
});

it('dry-runs a spec: would-be counts and row errors, nothing written', async () => {
  const id = uniqueId('dry');
  const r = await t.req('POST', '/imports/dry-run?sampleSize=1000', { body: activitySpec(id) });
  expect(r.status, r.text).toBe(200);
  expect(r.body).toMatchObject({
    rowsRead: 47,
    counts: { created: 40, duplicates: 5, rejected: 2, profilesCreated: 7 },
    from: null,
  });
  expect(r.body.rowErrors).toEqual([
    expect.objectContaining({
      row: 46,
      sourceKey: '46',
      column: 'uid',
      value: 'null',
      reason: expect.stringMatching(/reserved/),
    }),
    expect.objectContaining({ row: 47, sourceKey: '47' }),
  ]);
  expect(await count(t.h.store, 'SELECT count(*) FROM events')).toBe(0);
  expect(await count(t.h.store, 'SELECT count(*) FROM identities')).toBe(0);
  expect(await count(t.h.store, 'SELECT count(*) FROM imports')).toBe(0);
  expect(await count(t.h.store, 'SELECT count(*) FROM runs')).toBe(0);
  const small = await t.req('POST', '/imports/dry-run?sampleSize=10', { body: activitySpec(id) });
  expect(small.body).toMatchObject({ rowsRead: 10, counts: { created: 10, rejected: 0 } });
  // The same validation as a create.
  const bad = await t.req('POST', '/imports/dry-run', {
    body: { ...activitySpec(id), cursor: { column: 'nope', key: 'id' } },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].field).toBe('cursor.column');
});

it('delivers signed webhooks for run events, also to a receiver that fails twice; a saved import dry-runs from its position', async () => {
  const good = await t.req('POST', '/webhooks', {
    body: { url: `${receiverUrl}/good`, secret: 'a-shared-secret-of-some-length' },
  });
  expect(good.status, good.text).toBe(201);
  expect(good.body).toMatchObject({
    secret: 'a-shared-secret-of-some-length',
    events: ['run.started', 'run.succeeded', 'run.partially_succeeded', 'run.failed'],
  });
  const flaky = await t.req('POST', '/webhooks', {
    body: { url: `${receiverUrl}/flaky`, events: ['run.partially_succeeded'] },
  });
  expect(flaky.status).toBe(201);
  expect(flaky.body.secret.length).toBeGreaterThanOrEqual(16);
  expect(JSON.stringify((await t.req('GET', '/webhooks')).body)).not.toContain(flaky.body.secret);

  const id = uniqueId('hooked');
  const created = await t.req('POST', '/imports', { body: { ...activitySpec(id), runNow: true } });
  expect(created.status, created.text).toBe(201);
  const events = await waitFor(
    'three deliveries',
    async () => received.filter((r) => r.body.includes(id)),
    (r) => r.length >= 3,
    60_000,
  );
  const byPath = (p: string) => events.filter((e) => e.path === p);
  expect(
    byPath('/good')
      .map((e) => e.headers['x-tributary-event'])
      .sort(),
  ).toEqual(['run.partially_succeeded', 'run.started']);
  expect(byPath('/flaky').map((e) => e.headers['x-tributary-event'])).toEqual(['run.partially_succeeded']);
  expect(flakyFailures).toBe(2);
  const secretFor = (p: string) => (p === '/good' ? good.body.secret : flaky.body.secret);
  for (const e of events) {
    const expected = `sha256=${createHmac('sha256', secretFor(e.path)).update(e.body).digest('hex')}`;
    expect(e.headers['x-tributary-signature']).toBe(expected);
    expect(e.headers['content-type']).toBe('application/json');
    const payload = JSON.parse(e.body);
    expect(payload).toMatchObject({
      event: e.headers['x-tributary-event'],
      id: e.headers['x-tributary-delivery'],
      import: { id, name: 'clicks' },
    });
  }
  const done = JSON.parse(byPath('/flaky')[0]!.body);
  expect(done.run).toMatchObject({
    status: 'partially_succeeded',
    rowsRead: 47,
    created: 40,
    duplicates: 5,
    rejected: 2,
  });
  const attempts = await t.h.store.query('SELECT attempts, status FROM webhook_deliveries WHERE webhook_id = $1', [
    flaky.body.id,
  ]);
  expect(attempts.rows).toEqual([{ attempts: 3, status: 'delivered' }]);

  // Saved import: the dry run starts at the committed position (nothing new), or, after a resync, sees
  // every event as a duplicate of what is stored.
  const again = await t.req('POST', `/imports/${id}/dry-run`);
  expect(again.body).toMatchObject({ rowsRead: 0, from: { key: '47' } });
  await waitFor(
    'idle',
    async () => (await t.req('GET', `/imports/${id}`)).body.running,
    (r) => r === false,
  );
  expect((await t.req('POST', `/imports/${id}/resync`)).status).toBe(200);
  const resynced = await t.req('POST', `/imports/${id}/dry-run`);
  expect(resynced.body).toMatchObject({ rowsRead: 47, counts: { created: 0, duplicates: 45, rejected: 2 } });
  expect(await count(t.h.store, 'SELECT count(*) FROM events WHERE import_id = $1', [id])).toBe(40);
});

it('never shows the password in a response, a log line or a Temporal history', async () => {
  // A run through the wrong password fails; its error travels through Temporal too.
  const id = uniqueId('wrongpw');
  const body = { ...activitySpec(id), source: { connection: 'wrong-db', table: 'clicks' } };
  const created = await t.req('POST', '/imports', { body });
  expect(created.status).toBe(400); // the mapping check cannot read the source
  expect(created.body.errors[0].field).toBe('source.table');
  // Started the CLI way instead, the worker resolves the stored connection itself and the run fails.
  const handle = await t.h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: t.h.taskQueue,
    workflowId: importWorkflowId(id),
    args: [{ spec: body }],
  });
  await expect(handle.result()).rejects.toThrow();
  expect(flatten(await handle.fetchHistory())).toMatch(/password authentication failed/);

  const histories: string[] = [];
  for await (const wf of t.h.client.workflow.list({ query: `TaskQueue = '${t.h.taskQueue}'` })) {
    const history = await t.h.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    histories.push(flatten(history));
  }
  expect(histories.length).toBeGreaterThanOrEqual(3); // the import run and its webhook deliveries
  expect(histories.join('\n')).toContain('secret-db'); // the connection id is there, as it should be
  const haystacks = {
    responses: t.responses.join('\n'),
    apiLogs: t.logs.join('\n'),
    printed: captured.join('\n'),
    histories: histories.join('\n'),
  };
  expect(haystacks.apiLogs.length).toBeGreaterThan(0);
  for (const [where, text] of Object.entries(haystacks)) {
    expect(text.includes(PASSWORD), `the password appears in ${where}`).toBe(false);
    expect(text.includes(encodeURIComponent(PASSWORD)), `the encoded password appears in ${where}`).toBe(false);
  }
});

/** Every string and every payload's bytes in a history, as text. */
function flatten(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (v === null || v === undefined) return;
    if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'), Buffer.from(v).toString('base64'));
    else if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return out.join('\n');
}
