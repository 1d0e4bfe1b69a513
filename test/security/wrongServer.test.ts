/**
 * A connection whose address answers with another service than its kind (an SSH banner here): testing it
 * answers ok: false with an error naming neither the URL nor its password, never a 5xx; the API stays up.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from '../helpers/apiHarness';

const SECRET = `pw${randomUUID().replace(/-/g, '')}`;
let t: ApiHarness;
let other: net.Server;
let port: number;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  t = await createApiHarness('wrongserver');
  other = net.createServer((s) => {
    sockets.add(s);
    s.end('SSH-2.0-OpenSSH_9.2\r\nProtocol mismatch.\r\n');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  port = (other.address() as net.AddressInfo).port;
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => other.close(resolve));
  await t?.close();
});

describe('a connection to another service than its kind', () => {
  for (const kind of ['postgres', 'clickhouse'] as const) {
    it(kind, async () => {
      const id = `wrong-${kind}-${randomUUID().slice(0, 8)}`;
      const url = `${kind}://reader:${SECRET}@127.0.0.1:${port}/db`;
      const created = await t.req('POST', '/connections', { body: { id, name: id, url } });
      expect(created.status, created.text).toBe(201);
      const tested = await t.req('POST', `/connections/${id}/test`);
      expect(tested.status, tested.text).toBe(200);
      expect(tested.body.ok, tested.text).toBe(false);
      expect(tested.text).not.toContain(SECRET);
      expect(tested.text).not.toContain(url);
      // The API still answers.
      expect((await t.req('GET', `/connections/${id}`)).status).toBe(200);
    });
  }
});
