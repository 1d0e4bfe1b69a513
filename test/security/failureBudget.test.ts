/**
 * Every failure ends somewhere visible. A run whose batch throws a TypeError (a connector that fails on
 * purpose, its message full of the connection's secrets) or whose source raises SQLSTATE P0001 (a real
 * Postgres function) is retried a bounded number of times, then ends failed: the error, scrubbed, on its
 * run record, and a run.failed webhook at a local receiver. A configuration error fails at once, naming
 * its field. Real Temporal, real Postgres.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWorker } from '../../worker';
import { testPolicy } from '../helpers/testPolicy';
import { staticConnections } from '../../connectors/connections';
import { encryptSecret } from '../../connectors/secrets';
import type { ConnectionConfig, SourceConnector, SourceSession } from '../../connectors/source';
import type { RunRecord } from '../../activities';
import { createHarness, type Harness, uniqueId } from '../helpers/harness';
import { waitFor } from '../helpers/wait';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../../workflows/definitions';
import { captureOutput } from './capture';

const ATTEMPTS = 3;
const CORE = randomUUID().replace(/-/g, '');
const CANARY = `Cn4ry${CORE}/+=&?`;
const TOKEN = `tok${randomUUID().replace(/-/g, '')}`;
const KEY_SECRET = `-----BEGIN PRIVATE KEY-----\nMIIE${CORE}KEYBODY\n-----END PRIVATE KEY-----\n`;
const CREDENTIALS = Buffer.from(JSON.stringify({ client_email: 'a@b.c', private_key: KEY_SECRET })).toString('base64');
const ECHO_URL = `echo://reader:${encodeURIComponent(CANARY)}@warehouse.example/db?token=${encodeURIComponent(TOKEN)}&credentials=${encodeURIComponent(CREDENTIALS)}`;
const FORMS = [
  CORE.slice(0, 16),
  CANARY,
  encodeURIComponent(CANARY),
  Buffer.from(CANARY).toString('base64'),
  Buffer.from(CANARY).toString('base64url'),
  TOKEN,
  CREDENTIALS,
  encodeURIComponent(CREDENTIALS),
  `MIIE${CORE.slice(0, 8)}`,
  Buffer.from(`reader:${CANARY}`).toString('base64'),
];

let h: Harness;
let worker: Worker;
let workerDone: Promise<void>;
let closeWorker: () => Promise<void>;
let output: ReturnType<typeof captureOutput>;
let receiver: http.Server;
const received: { event: string; body: any }[] = [];
const savedAttempts = process.env.TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS;

/**
 * A connector that reads fine until the batch, which then fails with a TypeError whose message, cause and
 * fields echo the connection's URL, password, token and key, as a careless driver might.
 */
const echoConnector: SourceConnector = {
  kind: 'echo',
  discovery: null,
  async open(config: ConnectionConfig): Promise<SourceSession> {
    const u = new URL(config.url);
    return {
      columns: async () => [
        { name: 'id', sourceType: 'bigint', importType: 'number', cursorKind: 'number' },
        { name: 'email', sourceType: 'text', importType: 'string', cursorKind: 'other' },
      ],
      upperBound: async () => '10',
      countNullCursor: async () => 0,
      async *read() {
        const err = new TypeError(
          `Cannot read properties of undefined (reading 'rows') at ${config.url} with ${decodeURIComponent(u.password)}`,
        );
        Object.assign(err, {
          input: config.url,
          headers: {
            authorization: `Basic ${Buffer.from(`reader:${decodeURIComponent(u.password)}`).toString('base64')}`,
          },
          cause: new Error(
            `token ${u.searchParams.get('token')} and key ${Buffer.from(u.searchParams.get('credentials')!, 'base64').toString('utf8')}`,
          ),
        });
        throw err;
      },
      close: async () => undefined,
    };
  },
};

beforeAll(async () => {
  // The budget is the operator's (environment); a small one keeps the test short.
  process.env.TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS = String(ATTEMPTS);
  output = captureOutput();
  h = await createHarness('budget', { inProcessWorker: false });
  const secretKey = randomBytes(32);
  const sourceOf = staticConnections({ warehouse: h.sourceUrl });
  ({ worker, close: closeWorker } = await createWorker({
    temporalAddress: inject('temporalAddress'),
    namespace: 'default',
    taskQueue: h.taskQueue,
    store: h.store,
    secretKey,
    connectors: { echo: echoConnector },
    policy: testPolicy(),
    resolveConnection: async (name) => (name === 'echo' ? { kind: 'echo', url: ECHO_URL } : sourceOf(name)),
  }));
  workerDone = worker.run();

  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ event: String(req.headers['x-tributary-event']), body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await h.store.query(
    `INSERT INTO webhooks (id, url, events, sealed_secret) VALUES ('wh-budget', $1, '{run.failed}', $2)`,
    [url, encryptSecret(secretKey, 'a-shared-secret-of-some-length')],
  );

  await h.source
    .query(`CREATE TABLE users AS SELECT g AS id, 'u' || g || '@x.io' AS email, timestamptz '2026-01-01' + g * interval '1 minute' AS updated_at
    FROM generate_series(1, 20) g`);
  // A source that raises a SQLSTATE nobody classified (P0001, a function's own exception) once rows are read.
  // (0A000, feature_not_supported, is a configuration error: the server will never support it.)
  await h.source.query(`CREATE FUNCTION unsupported(v text) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'this source cannot do that' USING ERRCODE = 'P0001'; END $$`);
  await h.source.query(
    'CREATE VIEW unsupported_users AS SELECT id, unsupported(email) AS email, updated_at FROM users',
  );
});

afterAll(async () => {
  output?.restore();
  if (savedAttempts === undefined) delete process.env.TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS;
  else process.env.TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS = savedAttempts;
  worker?.shutdown();
  await workerDone;
  await closeWorker?.();
  await h?.close();
  await new Promise((r) => receiver?.close(r));
});

const spec = (
  id: string,
  connection: string,
  table: string,
  cursor: { column: string; key: string; lag?: number },
) => ({
  id,
  name: id,
  dataType: 'profile',
  source: { connection, table },
  cursor,
  batchSize: 100,
  mapping: { userId: { column: 'email' } },
});

/** Run to the end; the failure (which must come) and the activity attempts Temporal recorded. */
async function runToFailure(
  s: ReturnType<typeof spec>,
): Promise<{ failure: WorkflowFailedError; attempts: number[]; history: string }> {
  const handle = await h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: importWorkflowId(s.id),
    args: [{ spec: s }],
  });
  // Bounded: without a budget the run would retry for ever, and this wait would time out instead.
  const result = await Promise.race([
    handle.result().then(
      () => null,
      (err: unknown) => err,
    ),
    new Promise((r) => setTimeout(() => r('still running after 120 s'), 120_000)),
  ]);
  expect(result).toBeInstanceOf(WorkflowFailedError);
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? [])
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
  return { failure: result as WorkflowFailedError, attempts, history: JSON.stringify(history) };
}

const runOf = async (importId: string): Promise<RunRecord & { error: string | null }> => {
  const r = await h.store.query('SELECT id, status, error FROM runs WHERE import_id = $1', [importId]);
  expect(r.rows).toHaveLength(1);
  return r.rows[0];
};

it(`fails a run whose batch throws a TypeError after ${ATTEMPTS} attempts: error on the run record, run.failed delivered, no secret anywhere`, async () => {
  const id = uniqueId('typeerror');
  const { attempts, history } = await runToFailure(spec(id, 'echo', 'anything', { column: 'id', key: 'id' }));
  // beginRun once, then importBatch until the budget ran out (the last attempt is the one recorded as started).
  expect(Math.max(...attempts)).toBe(ATTEMPTS);
  const run = await runOf(id);
  expect(run.status).toBe('failed');
  expect(run.error).toMatch(
    /^TypeError: Cannot read properties of undefined \(reading 'rows'\).*failed after 3 attempts/,
  );
  await waitFor(
    'run.failed webhook',
    async () => received.some((r) => r.event === 'run.failed' && r.body.import.id === id),
    (v) => v,
  );
  const hook = received.find((r) => r.event === 'run.failed' && r.body.import.id === id)!;
  expect(hook.body.run).toMatchObject({ status: 'failed', error: run.error });
  // The secrets the error echoed were scrubbed where it left the session: record, webhook, history, logs.
  const texts = [run.error!, JSON.stringify(received), history, ...output.lines];
  for (const needle of FORMS) {
    const hit = texts.find((x) => x.includes(needle));
    expect(
      hit === undefined
        ? null
        : `${needle} in ${hit.slice(Math.max(0, hit.indexOf(needle) - 200), hit.indexOf(needle) + 80)}`,
    ).toBeNull();
  }
  expect(run.error).toContain('[redacted]');
});

it(`fails a run whose source raises SQLSTATE P0001 after ${ATTEMPTS} attempts, with the error on its record`, async () => {
  const id = uniqueId('sqlstate');
  const { attempts } = await runToFailure(
    spec(id, 'warehouse', 'unsupported_users', { column: 'updated_at', key: 'id' }),
  );
  expect(Math.max(...attempts)).toBe(ATTEMPTS);
  const run = await runOf(id);
  expect(run.status).toBe('failed');
  expect(run.error).toMatch(/P0001: this source cannot do that/);
  await waitFor(
    'run.failed webhook',
    async () => received.some((r) => r.event === 'run.failed' && r.body.import.id === id),
    (v) => v,
  );
});

it('fails at once on a configuration error, naming the field', async () => {
  const id = uniqueId('lag');
  // 30 days and one second behind a time cursor: the spec parses (the unit depends on the cursor), the run's check refuses it.
  const { failure, attempts } = await runToFailure(
    spec(id, 'warehouse', 'users', { column: 'updated_at', key: 'id', lag: 30 * 86_400 + 1 }),
  );
  // No activity was tried twice (beginRun, then the record of the failed run and its end).
  expect(Math.max(...attempts)).toBe(1);
  const cause = failure.cause as (Error & { cause?: Error }) | undefined;
  expect(cause?.cause?.message ?? cause?.message).toMatch(
    /^cursor\.lag: is 2592001 seconds behind a time cursor; at most 2592000/,
  );
});
