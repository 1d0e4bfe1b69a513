/** The fuzz test's guard: sockets to anything but loopback fail at once, before DNS; loopback connects as usual. */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installLoopbackOnly, isLoopbackHost, type LoopbackGuard } from '../helpers/loopbackOnly';

let guard: LoopbackGuard;
let server: net.Server;
let port: number;
beforeAll(async () => {
  guard = installLoopbackOnly();
  // The client side hangs up at once: the server's reply may meet a reset, which is no failure here.
  server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.end('hi');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  guard.uninstall();
  await new Promise((r) => server.close(r));
});

const outcome = (connect: () => net.Socket) =>
  new Promise<string>((resolve) => {
    const s = connect();
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });

it('refuses other hosts at once, by name or address, in every form net and tls use', async () => {
  const started = Date.now();
  expect(await outcome(() => net.connect(443, 'example.com'))).toBe('ECONNREFUSED');
  expect(await outcome(() => net.connect({ host: '10.1.2.3', port: 5432 }))).toBe('ECONNREFUSED');
  expect(await outcome(() => new net.Socket().connect(80, '192.168.0.1'))).toBe('ECONNREFUSED');
  expect(await outcome(() => net.createConnection({ host: '2001:db8::1', port: 80 }))).toBe('ECONNREFUSED');
  expect(Date.now() - started).toBeLessThan(1000);
  expect(guard.refused).toEqual(['example.com', '10.1.2.3', '192.168.0.1', '2001:db8::1']);
});

it('lets loopback through', async () => {
  expect(await outcome(() => net.connect(port, '127.0.0.1'))).toBe('connected');
  expect(await outcome(() => net.connect({ port, host: 'localhost' }))).toBe('connected');
  expect(await outcome(() => net.connect(port))).toBe('connected');
  expect(['127.0.0.53', '::1', '[::1]', 'localhost', '0.0.0.0', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
  expect(['128.0.0.1', '::ffff:10.0.0.1', 'localhost.example.com', '1'].some(isLoopbackHost)).toBe(false);
});
