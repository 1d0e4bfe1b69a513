/** What the protocol fakes share: a loopback HTTP server with JSON bodies (gzip or not). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface FakeResponse {
  status?: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export async function startFakeServer(
  handle: (req: FakeRequest) => Promise<FakeResponse>,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip' && raw.length > 0) raw = gunzipSync(raw);
        let body: unknown = undefined;
        const text = raw.toString('utf8');
        if (text) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        let out: FakeResponse;
        try {
          out = await handle({ method: req.method ?? 'GET', url, headers: req.headers, body });
        } catch (err) {
          out = { status: 500, json: { error: { code: 500, message: String(err) } } };
        }
        const payload = out.text ?? JSON.stringify(out.json ?? {});
        res.writeHead(out.status ?? 200, {
          'content-type': out.text !== undefined ? 'text/plain' : 'application/json',
          ...out.headers,
        });
        res.end(payload);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
