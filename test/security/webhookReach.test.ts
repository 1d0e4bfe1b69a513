/**
 * Webhook URLs come from an API key holder, so they reach only what the operator lets sources reach: a
 * URL on a loopback, private, link-local (cloud metadata) or mapped address is a 400 naming `url` when
 * registered, and a delivery to a name that resolves to such an address when it is sent is refused
 * (never retried), with nothing sent. With the tests' policy (loopback allowed) the same receiver gets its
 * deliveries. Real API, worker, Temporal and Postgres; a real HTTP receiver on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverWebhooksActivity } from '../../activities/webhooks';
import { type RunningApi, startApi } from '../../api/server';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';
import { encryptSecret } from '../../connectors/secrets';
import { type ApiHarness, createApiHarness, waitFor } from '../helpers/apiHarness';
import { uniqueId } from '../helpers/harness';
import { testPolicy } from '../helpers/testPolicy';

const strict = operatorPolicyFromEnv({});
let t: ApiHarness;
let strictApi: RunningApi;
let receiver: http.Server;
let port: number;
const received: { path: string; event: string }[] = [];

beforeAll(async () => {
  t = await createApiHarness('hookreach');
  strictApi = await startApi({
    store: t.h.store,
    temporal: t.h.client,
    taskQueue: t.h.taskQueue,
    port: 0,
    secretKey: t.secretKey,
    logger: false,
    rateLimit: false,
    policy: strict,
  });
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push({ path: req.url ?? '', event: String(req.headers['x-tributary-event']) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  port = (receiver.address() as AddressInfo).port;
  await t.h.source.query(`CREATE TABLE hook_people AS SELECT g AS id, 'p' || g || '@x.test' AS email,
    timestamptz '2026-01-01' + g * interval '1 second' AS updated_at FROM generate_series(1, 3) g`);
});
afterAll(async () => {
  await strictApi?.close();
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

async function post(api: RunningApi, url: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${api.url}/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.writeToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  return { status: r.status, body: await r.json() };
}

describe('registering a webhook', () => {
  const refused: [string, RegExp][] = [
    ['http://127.0.0.1:PORT/hook', /127\.0\.0\.1 is a loopback address, which webhooks may not reach/],
    ['http://localhost:PORT/hook', /localhost \((127\.0\.0\.1|::1)\) is a loopback address/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
    ['http://[::ffff:127.0.0.1]:PORT/hook', /is a loopback address/],
    ['https://10.1.2.3/hook', /10\.1\.2\.3 is a private address/],
    ['http://[fd00::1]/hook', /fd00::1 is a private address/],
    ['http://0.0.0.0:PORT/hook', /0\.0\.0\.0 is a unspecified address/],
  ];
  it.each(refused)('refuses %s with a 400 naming url, and stores nothing', async (template, reason) => {
    const url = template.replace('PORT', String(port));
    const before = (await t.h.store.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n;
    const r = await post(strictApi, url);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(reason) }]);
    expect(r.body.detail).toMatch(/^url: .*TRIBUTARY_ALLOW_PRIVATE_HOSTS/);
    expect((await t.h.store.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n).toBe(before);
  });

  it('accepts a public address under the default policy, and loopback where the operator allows it', async () => {
    const pub = await post(strictApi, 'https://93.184.215.14/hook');
    expect(pub.status).toBe(201);
    expect((await t.req('DELETE', `/webhooks/${pub.body.id}`)).status).toBe(204);
    const local = await post(t.api, `http://127.0.0.1:${port}/allowed`);
    expect(local.status).toBe(201);
  });
});

describe('delivering', () => {
  it('delivers to loopback under a policy that allows it; refuses, without sending, under one that does not', async () => {
    const id = uniqueId('hookreach');
    expect(
      (await t.req('POST', '/connections', { body: { id: 'hook-src', name: 'hook-src', url: t.h.sourceUrl } })).status,
    ).toBe(201);
    const created = await t.req('POST', '/imports', {
      body: {
        id,
        name: 'people',
        dataType: 'profile',
        source: { connection: 'hook-src', table: 'hook_people' },
        cursor: { column: 'updated_at', key: 'id' },
        mapping: { userId: { column: 'email' }, attributes: [{ column: 'id', type: 'number' }] },
        runNow: true,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitFor(
      'run.succeeded at /allowed',
      async () => received.filter((r) => r.path === '/allowed' && r.event === 'run.succeeded'),
      (r) => r.length === 1,
      60_000,
    );
    const runId = Number((await t.h.store.query('SELECT id FROM runs WHERE import_id = $1', [id])).rows[0].id);

    // Endpoints stored while their names pointed elsewhere (or by a policy since tightened): the delivery
    // judges the address it would connect to, now.
    for (const [hook, url] of [
      ['wh-late-name', `http://localhost:${port}/late`],
      ['wh-late-meta', 'http://169.254.169.254/latest/meta-data/'],
    ]) {
      await t.h.store.query(
        `INSERT INTO webhooks (id, url, events, import_id, sealed_secret) VALUES ($1, $2, '{run.succeeded}', $3, $4)`,
        [hook, url, id, encryptSecret(t.secretKey, 'a-secret-of-some-length')],
      );
    }
    const seen = received.length;
    const deliver = deliverWebhooksActivity({
      store: t.h.store,
      secretKey: t.secretKey,
      policy: strict,
      resolveConnection: async () => {
        throw new Error('unused');
      },
      connectors: {},
    });
    const err = await deliver({ runId, event: 'run.succeeded' } as never).then(
      () => null,
      (e: unknown) => e as Error & { nonRetryable?: boolean },
    );
    expect(err?.message).toMatch(
      /webhook delivery refused for wh-late-meta: 169\.254\.169\.254 is a link-local address.*; wh-late-name: localhost \(.*\) is a loopback address/,
    );
    expect(err?.nonRetryable).toBe(true);
    expect(received.length).toBe(seen); // nothing reached the receiver
    const rows = (
      await t.h.store.query(
        `SELECT webhook_id, status, last_error FROM webhook_deliveries WHERE run_id = $1 AND webhook_id LIKE 'wh-late-%' ORDER BY webhook_id`,
        [runId],
      )
    ).rows;
    expect(rows).toEqual([
      { webhook_id: 'wh-late-meta', status: 'pending', last_error: expect.stringMatching(/link-local/) },
      { webhook_id: 'wh-late-name', status: 'pending', last_error: expect.stringMatching(/loopback/) },
    ]);

    // The same endpoints under the tests' policy: the one on loopback gets it (the metadata address is
    // still not allowed there, so that one is refused again).
    const allowing = deliverWebhooksActivity({
      store: t.h.store,
      secretKey: t.secretKey,
      policy: testPolicy(),
      resolveConnection: async () => {
        throw new Error('unused');
      },
      connectors: {},
    });
    await expect(allowing({ runId, event: 'run.succeeded' } as never)).rejects.toThrow(
      /wh-late-meta: 169\.254\.169\.254 is a link-local/,
    );
    expect(received.filter((r) => r.path === '/late')).toEqual([{ path: '/late', event: 'run.succeeded' }]);
  });
});
