/** The API's frame: health, keys and scopes (401 vs 403), problem+json, the key command. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey, createApiKey } from '../../api/auth';
import { createApiHarness, type ApiHarness } from '../helpers/apiHarness';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let t: ApiHarness;
beforeAll(async () => {
  t = await createApiHarness('apibasics');
});
afterAll(async () => {
  await t?.close();
});

describe('health and auth', () => {
  it('serves /health without a key', async () => {
    const r = await t.req('GET', '/health', { token: null });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok', store: 'ok', temporal: 'ok' });
  });

  it('answers 401 without a token, with a malformed or unknown one, and after revocation', async () => {
    for (const token of [null, 'nonsense', `trb_000000000000_${'0'.repeat(64)}`]) {
      const r = await t.req('GET', '/imports', { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(r.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    }
    const k = await createApiKey(t.h.store, 'short-lived', 'read');
    expect((await t.req('GET', '/imports', { token: k.token })).status).toBe(200);
    expect(await revokeApiKey(t.h.store, k.id)).toBe(true);
    expect((await t.req('GET', '/imports', { token: k.token })).status).toBe(401);
  });

  it('answers 403 for a read key on a write route, and lets it read', async () => {
    const r = await t.req('POST', '/connections', { token: t.readToken, body: { name: 'x', url: 'postgres://a@b/c' } });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ status: 403, title: 'Forbidden' });
    expect(r.body.detail).toMatch(/needs write/);
    expect((await t.req('GET', '/connections', { token: t.readToken })).status).toBe(200);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const r = await t.req('GET', '/nothing-here');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ status: 404 });
  });
});

describe('the api-key command', () => {
  it('creates a key that works and revokes it', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'api/keys.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: t.h.storeUrl },
      });
    const created = await run('create', '--name', 'ci', '--scope', 'write');
    const token = /^(trb_\S+)$/m.exec(created.stdout)?.[1];
    const id = /created API key (\w+)/.exec(created.stdout)?.[1];
    expect(token).toBeDefined();
    expect((await t.req('POST', '/connections', { token, body: {} })).status).toBe(400); // authorised, body invalid
    const listed = await run('list');
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+write\\s+active\\s+ci`));
    await run('revoke', id!);
    expect((await t.req('GET', '/imports', { token })).status).toBe(401);
    // Only the hash is stored.
    const stored = await t.h.store.query('SELECT token_hash FROM api_keys WHERE id = $1', [id]);
    expect(stored.rows[0].token_hash).not.toContain(token!.slice(18));
  });
});

describe('docs behind a key, when asked', () => {
  it('answers 401 for /openapi.json and /docs without a key, and serves them with one', async () => {
    const { startApi } = await import('../../api/server');
    const api = await startApi({
      store: t.h.store,
      temporal: t.h.client,
      taskQueue: t.h.taskQueue,
      port: 0,
      secretKey: t.secretKey,
      logger: false,
      protectDocs: true,
    });
    try {
      expect((await fetch(`${api.url}/openapi.json`)).status).toBe(401);
      expect((await fetch(`${api.url}/docs`)).status).toBe(401);
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
      const ok = await fetch(`${api.url}/openapi.json`, { headers: { authorization: `Bearer ${t.readToken}` } });
      expect(ok.status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
