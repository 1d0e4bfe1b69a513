/**
 * HTTP(S): `https://user:password@host/base/`. Basic auth from the URL's credentials (resolved in the
 * worker, never in a spec). A connection that takes longer than 30 s to open fails; so does one that
 * goes an hour without a byte. Ranges resume reads; a server that ignores them is read from the start
 * and the bytes before the position are skipped. A server whose certificate a private CA signed is
 * trusted with `?ca=/path/on/the/worker/ca.pem` (the query is the connection's, never sent to the server).
 * Hosts are checked against the operator's policy at connect time (networkReach.ts); redirects are
 * followed (up to 5) through the same check, and credentials go only to the connection's own origin.
 */
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { ConfigurationError } from '../../source';
import { SourceUnavailableError } from '../../common/errors';
import { type KeyFilePolicy, readKeyFile } from '../../common/keyFiles';
import type { NetworkReach } from '../../common/networkReach';
import { operatorPolicyFromEnv } from '../../common/operatorPolicy';
import type { FileInfo, Transport } from './transport';

export const HTTP_CONNECT_TIMEOUT_MS = 30_000;
export const HTTP_READ_TIMEOUT_MS = 60 * 60 * 1000;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface HttpTimeouts {
  connectMs: number;
  readMs: number;
}

export function httpTransport(
  url: string,
  reach: NetworkReach,
  timeouts: HttpTimeouts = { connectMs: HTTP_CONNECT_TIMEOUT_MS, readMs: HTTP_READ_TIMEOUT_MS },
  keys: KeyFilePolicy = operatorPolicyFromEnv(),
): Transport {
  const base = new URL(url);
  // An IP literal is judged now, so the connection is refused before any request; names at connect time.
  try {
    reach.checkHost(base.hostname);
  } catch (err) {
    throw new ConfigurationError(`http: ${(err as Error).message}`);
  }
  const auth = base.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
    : null;
  base.username = '';
  base.password = '';
  const caPath = base.searchParams.get('ca');
  base.search = '';
  const ca = caPath ? readKeyFile(caPath, 'http: ca', keys) : undefined;
  const target = (rel: string) => {
    const u = new URL(base.toString());
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/${rel.split('/').map(encodeURIComponent).join('/')}`;
    return u;
  };
  const shown = (u: URL) => `${u.origin}${u.pathname}`;

  const request = (u: URL, method: string, headers: Record<string, string>, hops = 0): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      try {
        reach.checkHost(u.hostname); // a redirect's host, too
      } catch (err) {
        reject(new ConfigurationError(`http: ${(err as Error).message}`));
        return;
      }
      const lib = u.protocol === 'https:' ? https : http;
      // The connection's credentials go to its own origin only, never to where a redirect points.
      const credentials = auth && u.origin === base.origin ? { authorization: auth } : {};
      const req = lib.request(u, {
        method,
        lookup: reach.lookup,
        ...(ca ? { ca } : {}),
        headers: { ...headers, ...credentials },
      });
      const connectTimer = setTimeout(
        () =>
          req.destroy(
            new SourceUnavailableError(`http: no connection to ${u.host} within ${timeouts.connectMs / 1000} s`),
          ),
        timeouts.connectMs,
      );
      req.on('socket', (socket) => {
        const connected = () => clearTimeout(connectTimer);
        if (!socket.connecting) connected();
        socket.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
      });
      // Idle time without a byte, on the whole exchange (response headers and body): the body's reader
      // gets this error, not a bare "aborted".
      let response: http.IncomingMessage | null = null;
      req.setTimeout(timeouts.readMs, () => {
        const err = new SourceUnavailableError(`http: ${shown(u)} sent nothing for ${timeouts.readMs / 1000} s`);
        response?.destroy(err);
        req.destroy(err);
      });
      req.on('error', (err) => {
        clearTimeout(connectTimer);
        if (err instanceof ConfigurationError) reject(new ConfigurationError(`http: ${err.message}`));
        else
          reject(
            err instanceof SourceUnavailableError
              ? err
              : new SourceUnavailableError(`http: ${shown(u)}: ${err.message}`),
          );
      });
      req.on('response', (res) => {
        clearTimeout(connectTimer);
        response = res;
        const status = res.statusCode ?? 0;
        if (REDIRECTS.has(status)) {
          res.resume();
          const next = redirectTarget(u, res.headers.location);
          if (typeof next === 'string')
            reject(new ConfigurationError(`http: ${shown(u)} redirects (${status}) ${next}`));
          else if (hops >= MAX_REDIRECTS)
            reject(new ConfigurationError(`http: ${shown(u)} redirects more than ${MAX_REDIRECTS} times`));
          else request(next, method, headers, hops + 1).then(resolve, reject);
        } else if (status === 401 || status === 403) {
          res.resume();
          reject(new ConfigurationError(`http: ${shown(u)} refused the credentials (${status})`));
        } else if (status === 404) {
          res.resume();
          reject(new ConfigurationError(`http: ${shown(u)} does not exist (404)`));
        } else if (status >= 400) {
          res.resume();
          reject(new SourceUnavailableError(`http: ${shown(u)} answered ${status}`));
        } else resolve(res);
      });
      req.end();
    });

  const stat = async (rel: string): Promise<FileInfo> => {
    const u = target(rel);
    // A one-byte range tells the size (Content-Range) on servers that answer HEAD badly, too.
    const res = await request(u, 'GET', { range: 'bytes=0-0' });
    res.resume();
    const total =
      /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1] ??
      (res.statusCode === 200 ? res.headers['content-length'] : undefined);
    if (total === undefined)
      throw new ConfigurationError(`http: ${shown(u)} states no size (no Content-Length or Content-Range)`);
    const version = String(res.headers.etag ?? res.headers['last-modified'] ?? total);
    return { path: rel, size: Number(total), version };
  };

  return {
    stat,
    read: async (rel, start, end) => {
      const u = target(rel);
      const range = start > 0 || end !== undefined ? `bytes=${start}-${end !== undefined ? end - 1 : ''}` : null;
      const res = await request(u, 'GET', range ? { range } : {});
      if (res.statusCode === 206) return res;
      // A whole body where a range was asked: cut it here (an error of the body reaches the reader too).
      if (start === 0 && end === undefined) return res;
      const cut = skip(start, end);
      res.on('error', (err) => cut.destroy(err));
      return res.pipe(cut);
    },
    list: async () => {
      throw new ConfigurationError(
        'http: an HTTP connection reads files by path; it cannot list a folder (use SFTP, S3 or a local folder)',
      );
    },
    close: async () => undefined,
  };
}

/** Where a redirect leads, or why it cannot be followed. */
function redirectTarget(from: URL, location: string | undefined): URL | string {
  if (!location) return 'without a Location';
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return 'to a Location that is not a URL';
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return `to a ${next.protocol} URL, which is not HTTP(S)`;
  return next;
}

/** Drop the first `n` bytes (a server that ignored the Range header), and stop at `end`. */
function skip(n: number, end?: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(0, n - seen);
      const to = end === undefined ? chunk.length : Math.min(chunk.length, end - seen);
      seen += chunk.length;
      done(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}
