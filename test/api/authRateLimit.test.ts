/**
 * Failed authentications are rate limited per client address: a request without a valid key has no key to
 * be counted against, so without this a token could be guessed as fast as the API answers. Past the
 * allowance every request needing a key is 429 before its key is checked, so a right guess is not told
 * apart. Real HTTP against the API on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../../api/auth';
import { type RunningApi, startApi } from '../../api/server';
import { type ApiHarness, createApiHarness, sleep } from '../helpers/apiHarness';

let t: ApiHarness;
beforeAll(async () => {
  t = await createApiHarness('authlimit');
});
afterAll(async () => {
  await t?.close();
});

async function limitedApi(rateLimit: {
  max: number;
  timeWindow: string | number;
  failedAuthMax?: number;
}): Promise<RunningApi> {
  return startApi({
    store: t.h.store,
    temporal: t.h.client,
    taskQueue: t.h.taskQueue,
    port: 0,
    secretKey: t.secretKey,
    logger: false,
    rateLimit,
  });
}

async function get(
  api: RunningApi,
  path: string,
  authorization?: string,
): Promise<{ status: number; retryAfter: string | null; type: string | null; body: any }> {
  const r = await fetch(`${api.url}${path}`, { headers: authorization === undefined ? {} : { authorization } });
  const text = await r.text();
  return {
    status: r.status,
    retryAfter: r.headers.get('retry-after'),
    type: r.headers.get('content-type'),
    body: text ? JSON.parse(text) : null,
  };
}

describe('failed authentication is rate limited per address', () => {
  it('answers 429 past the allowance, whatever the guesses look like, and then even to a right key', async () => {
    const api = await limitedApi({ max: 100, timeWindow: '1 minute', failedAuthMax: 5 });
    try {
      const revoked = await createApiKey(t.h.store, 'gone', 'read');
      await revokeApiKey(t.h.store, revoked.id);
      const unknown = `trb_${'0'.repeat(12)}_${'a'.repeat(64)}`;
      const guesses = [
        undefined,
        'Bearer nonsense',
        `Bearer ${unknown}`,
        `bearer ${revoked.token}`,
        'Basic dXNlcjpwYXNz',
        `BEARER  ${unknown}`,
        `Bearer ${unknown}x`,
        'Bearer',
      ];
      const answers = [];
      for (const g of guesses) answers.push(await get(api, '/imports', g));
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      for (const a of answers.slice(5)) {
        expect(a.type).toMatch(/^application\/problem\+json/);
        expect(a.body).toMatchObject({ status: 429, detail: expect.stringMatching(/too many failed authentications/) });
        expect(Number(a.retryAfter)).toBeGreaterThan(0);
      }
      // A valid key from the same address is not checked either: a right guess would otherwise show as 200.
      expect((await get(api, '/imports', `Bearer ${t.readToken}`)).status).toBe(429);
      // Routes without a key stay open.
      expect((await get(api, '/openapi.json')).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('counts failures only, and lets the address try again once the window has passed', async () => {
    const api = await limitedApi({ max: 100, timeWindow: 2500, failedAuthMax: 2 });
    try {
      const ok = [];
      for (let i = 0; i < 6; i++) ok.push((await get(api, '/connections', `Bearer ${t.readToken}`)).status);
      expect(ok).toEqual(Array(6).fill(200));
      const bad = [];
      for (let i = 0; i < 3; i++) bad.push((await get(api, '/connections', 'Bearer wrong')).status);
      expect(bad).toEqual([401, 401, 429]);
      await sleep(3000);
      expect((await get(api, '/connections', `Bearer ${t.readToken}`)).status).toBe(200);
      expect((await get(api, '/connections', 'Bearer wrong')).status).toBe(401);
    } finally {
      await api.close();
    }
  });

  it('defaults to the smaller of the request limit and 60 per window', async () => {
    const api = await limitedApi({ max: 3, timeWindow: '1 minute' });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await get(api, '/webhooks', 'Bearer wrong')).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await api.close();
    }
  });
});
