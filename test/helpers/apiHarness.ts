/**
 * Per-file harness for the HTTP API: the usual store, source and Temporal client (harness.ts), a worker
 * that resolves stored connections like the real one, and the API listening on a loopback port. Every
 * response body and log line is kept, so tests can search them for secrets.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { createApiKey } from '../../api/auth';
import type { AppOptions } from '../../api/app';
import { type RunningApi, startApi } from '../../api/server';
import { staticConnections } from '../../connectors/connections';
import { composeResolvers, storedConnections } from '../../connectors/storedConnections';
import { createWorker } from '../../worker';
import { createHarness, type Harness } from './harness';
import { testPolicy } from './testPolicy';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface ApiHarness {
  h: Harness;
  api: RunningApi;
  url: string;
  secretKey: Buffer;
  writeToken: string;
  readToken: string;
  /** API log lines and worker output captured so far. */
  logs: string[];
  /** Every response body so far, as text. */
  responses: string[];
  req<T = any>(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; raw?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export async function createApiHarness(
  prefix: string,
  options: Partial<
    Pick<AppOptions, 'bodyLimit' | 'rateLimit' | 'logger' | 'protectDocs' | 'policy' | 'defaultRetentionMs'>
  > = {},
): Promise<ApiHarness> {
  const policy = options.policy ?? testPolicy();
  const h = await createHarness(prefix, { inProcessWorker: false });
  const secretKey = randomBytes(32);
  const logs: string[] = [];
  const responses: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  // The worker resolves stored connections by id first, as worker.ts does, then the test's named ones.
  const { worker, close: closeWorker } = await createWorker({
    temporalAddress: inject('temporalAddress'),
    namespace: 'default',
    taskQueue: h.taskQueue,
    store: h.store,
    secretKey,
    resolveConnection: composeResolvers(
      storedConnections(h.store, secretKey),
      staticConnections({ warehouse: h.sourceUrl }),
    ),
    policy,
  });
  const workerDone = worker.run();
  const api = await startApi({
    store: h.store,
    temporal: h.client,
    taskQueue: h.taskQueue,
    port: 0,
    secretKey,
    logger: { level: 'info', stream: logStream },
    rateLimit: false,
    ...options,
    policy,
  });
  const write = await createApiKey(h.store, 'test-writer', 'write');
  const read = await createApiKey(h.store, 'test-reader', 'read');

  const t: ApiHarness = {
    h,
    api,
    url: api.url,
    secretKey,
    writeToken: write.token,
    readToken: read.token,
    logs,
    responses,
    async req(method, path, o = {}) {
      const token = o.token === undefined ? write.token : o.token;
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['content-type'] = 'application/json';
      } else if (o.raw !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${api.url}${path}`, { method, headers, body });
      const text = await res.text();
      responses.push(text);
      let parsed: unknown = text;
      if (/json/.test(res.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
      return { status: res.status, headers: res.headers, body: parsed as any, text };
    },
    async close() {
      await api.close();
      worker.shutdown();
      await workerDone;
      await closeWorker();
      await h.close();
    },
  };
  return t;
}

export { sleep, waitFor } from './wait';
