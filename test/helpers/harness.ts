/** Per-file test harness: fresh databases on the shared cluster, a Temporal client and an in-process worker. */
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle, WorkflowIdConflictPolicy } from '@temporalio/client';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import pg from 'pg';
import { inject } from 'vitest';
import { createWorker } from '../../worker';
import { staticConnections } from '../../connectors/connections';
import { createPool } from '../../store/store';
import { migrate } from '../../store/migrate';
import { ensureDatabase } from '../../store/embeddedPostgres';
import type { ImportSpecInput } from '../../domain/importSpec';
import type { RunRecord } from '../../activities';
import { importWorkflowId, IMPORT_WORKFLOW_TYPE } from '../../workflows/definitions';
import { testPolicy } from './testPolicy';

// Quiet the SDK's INFO lines; warnings and errors still show.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed in this process
}

export function databaseUrl(name: string): string {
  const admin = new URL(inject('pgAdminUrl'));
  admin.pathname = `/${name}`;
  return admin.toString();
}

/** A fresh, empty database on the shared cluster. */
export async function freshDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  await ensureDatabase(inject('pgAdminUrl'), name);
  return databaseUrl(name);
}

export interface Harness {
  client: Client;
  store: pg.Pool;
  storeUrl: string;
  source: pg.Pool;
  sourceUrl: string;
  taskQueue: string;
  worker: Worker | null;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** Start an import workflow and wait for its result. */
  runImport(spec: ImportSpecInput): Promise<RunRecord>;
  startImport(spec: ImportSpecInput): Promise<WorkflowHandle>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  inProcessWorker?: boolean;
  /** Extra connections for the worker (name → URL), beside `warehouse` (the Postgres source); may override it. */
  connections?: Record<string, string>;
}

export async function createHarness(prefix: string, options: HarnessOptions = {}): Promise<Harness> {
  const storeUrl = await freshDatabase(`${prefix}_store`);
  const sourceUrl = await freshDatabase(`${prefix}_src`);
  const store = createPool(storeUrl);
  await migrate(store);
  const source = createPool(sourceUrl);
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `test-${prefix}-${randomUUID().slice(0, 8)}`;
  let running: { worker: Worker; done: Promise<void>; close(): Promise<void> } | null = null;

  const h: Harness = {
    client,
    store,
    storeUrl,
    source,
    sourceUrl,
    taskQueue,
    get worker() {
      return running?.worker ?? null;
    },
    async startWorker() {
      const { worker, close } = await createWorker({
        temporalAddress: inject('temporalAddress'),
        namespace: 'default',
        taskQueue,
        store,
        resolveConnection: staticConnections({ warehouse: sourceUrl, ...options.connections }),
        policy: testPolicy(),
      });
      running = { worker, done: worker.run(), close };
    },
    async stopWorker() {
      if (!running) return;
      const r = running;
      running = null;
      r.worker.shutdown();
      await r.done;
      await r.close();
    },
    async runImport(spec) {
      return (await (await h.startImport(spec)).result()) as RunRecord;
    },
    startImport(spec) {
      return client.workflow.start(IMPORT_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: importWorkflowId(spec.id),
        args: [{ spec }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      });
    },
    async close() {
      await h.stopWorker();
      await connection.close();
      await store.end();
      await source.end();
    },
  };
  if (options.inProcessWorker !== false) await h.startWorker();
  return h;
}

/** A unique import id per test, since every file shares one Temporal server. */
export const uniqueId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function count(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  const r = await pool.query(sql, params);
  return Number(Object.values(r.rows[0] as object)[0]);
}
