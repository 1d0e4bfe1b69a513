/**
 * A loopback TCP proxy in front of a server that can cut connections in the middle of a response, as a
 * server restart, a load balancer or a network fault would: once armed, the next responses that pass
 * `afterBytes` bytes (since the client last sent anything) have both sockets destroyed right there, so the
 * client has read part of a response and never gets the rest.
 */
import net from 'node:net';

export interface CuttingProxy {
  port: number;
  /** Cut the next `n` responses that grow past `afterBytes` bytes. */
  arm(n: number, afterBytes: number): void;
  /** Responses cut so far. */
  cuts(): number;
  close(): Promise<void>;
}

export async function startCuttingProxy(targetPort: number): Promise<CuttingProxy> {
  let armed = 0;
  let threshold = Infinity;
  let cut = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let responseBytes = 0;
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('data', (b) => {
      responseBytes = 0;
      upstream.write(b);
    });
    upstream.on('data', (b) => {
      responseBytes += b.length;
      if (armed > 0 && responseBytes > threshold) {
        armed--;
        cut++;
        // Part of this chunk reaches the client first: the response breaks off mid-row.
        client.write(b.subarray(0, Math.floor(b.length / 2)), () => drop());
        return;
      }
      client.write(b);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    arm(n, afterBytes) {
      armed = n;
      threshold = afterBytes;
    },
    cuts: () => cut,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
