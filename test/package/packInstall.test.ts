/**
 * The published artifact, as a user gets it: `npm pack`'s tarball installed into a project of their own in
 * the temp folder, outside this repository (examples/temporal-worker: plain ESM JavaScript, no tsx). That
 * project's own worker scripts run with the machine's Node and with Node 22, against the real Temporal dev
 * server and Postgres:
 * - worker.js: Tributary's plugin joins the user's worker; a Tributary import and the user's workflow run on
 *   it side by side, each calling its own `importBatch`;
 * - dedicated-worker.js: the plugin on a task queue of its own, on the user's connection.
 * The project's start.js starts both workflows; the store is checked against the source row by row.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createHarness, freshDatabase, type Harness, uniqueId } from '../helpers/harness';
import { migrationFiles } from '../../store/migrate';
import { createPool } from '../../store/store';
import { createEventSource, eventSpec, sourceChecksum, STORE_CHECKSUM } from '../helpers/backfill';
import { testPolicyEnv } from '../helpers/testPolicy';
import { runCommand } from '../helpers/command';
import { node22 } from '../helpers/node22';
import { type PackedProject, packedProject, ROOT } from '../helpers/packedProject';

const EXAMPLE = path.join(ROOT, 'examples', 'temporal-worker');
const ROWS = 3000;
const TRIBUTARY_ACTIVITIES = ['tributaryBeginRun', 'tributaryFinishRun', 'tributaryImportBatch'];

let h: Harness;
let project: PackedProject;
let node22Bin: string;
beforeAll(async () => {
  [h, project, node22Bin] = await Promise.all([
    createHarness('pack', { inProcessWorker: false }),
    packedProject(EXAMPLE),
    node22(),
  ]);
}, 600_000);
afterAll(async () => {
  await h?.close();
});

it('the example is a plain JavaScript project (no TypeScript, no tsx or ts-node), and the README shows its code', () => {
  const files = readdirSync(EXAMPLE).filter(
    (f) => !['node_modules', 'package-lock.json'].includes(f) && !f.endsWith('.tgz'),
  );
  expect(files.filter((f) => /\.(ts|mts|cts)$/.test(f))).toEqual([]);
  const pkg = JSON.parse(readFileSync(path.join(EXAMPLE, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(pkg.type).toBe('module');
  expect(JSON.stringify(pkg)).not.toMatch(/tsx|ts-node/);
  // The README's code for both ways is these files, whole.
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const file of ['connection.js', 'dedicated-worker.js', 'worker.js']) {
    expect(readme, `README.md shows ${file} as it is`).toContain(
      `\`\`\`js\n${readFileSync(path.join(EXAMPLE, file), 'utf8')}\`\`\``,
    );
  }
  // Installed from the tarball, not linked to this repository.
  expect(readFileSync(path.join(project.dir, 'node_modules', 'tributary', 'package.json'), 'utf8')).toContain(
    '"name": "tributary"',
  );
  expect(readdirSync(path.join(project.dir, 'node_modules', 'tributary'))).not.toContain('index.ts');
});

it("the installed package's `tributary migrate` applies every migration, the data types' own among them", async () => {
  const installed = path.join(project.dir, 'node_modules', 'tributary');
  // The activity's migrations sit in its own folder, and ship there.
  expect(readdirSync(path.join(installed, 'dist', 'dataTypes', 'activity')).filter((f) => f.endsWith('.sql'))).toEqual(
    migrationFiles()
      .filter((m) => m.file.includes(`${path.sep}dataTypes${path.sep}activity${path.sep}`))
      .map((m) => m.name),
  );
  const url = await freshDatabase('pack_migrate');
  const out = await runCommand(process.execPath, [path.join(installed, 'dist', 'bin', 'tributary.js'), 'migrate'], {
    cwd: project.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url },
  });
  expect(out).toContain(`applied ${migrationFiles().length}:`);
  const pool = createPool(url, 1);
  try {
    const rows = (await pool.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
    expect(rows).toEqual(migrationFiles().map((m) => ({ version: m.version, name: m.name })));
  } finally {
    await pool.end();
  }
});

/** The environment a user's process would have: none of this test run's (no NODE_OPTIONS, no npm_*). */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: 'default',
    DATABASE_URL: h.storeUrl,
    TRIBUTARY_CONNECTION_WAREHOUSE: h.sourceUrl,
    ...testPolicyEnv(),
    ...extra,
  };
}

/** The project's worker script, until it polls. */
async function startWorker(
  node: string,
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; output(): string }> {
  const child = spawn(node, [script], { cwd: project.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('worker: polling')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`${script} exited (${code ?? signal}) before polling:\n${out}`)),
    );
  });
  return { child, output: () => out };
}

async function activityTypes(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return [
    ...new Set(history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [])),
  ].sort();
}

const cases = [
  { node: "the machine's Node", version: () => process.version, bin: () => process.execPath },
  { node: 'Node 22', version: () => 'v22.', bin: () => node22Bin },
];
const modes = [
  {
    name: "joins the user's worker: a Tributary import and the user's workflow on one worker, each with its own importBatch",
    script: 'worker.js',
    dedicated: false,
  },
  {
    name: "runs on a task queue of its own beside the user's worker, on the user's connection",
    script: 'dedicated-worker.js',
    dedicated: true,
  },
];

// Side by side: each case has its own source table, import id and task queues; they wait mostly on
// their worker's start (bundling) and on Temporal.
for (const { node, bin, version } of cases) {
  for (const { name, script, dedicated } of modes)
    it.concurrent(
      `on ${node}, the packed package ${name}`,
      async ({ expect }) => {
        const running = (await runCommand(bin(), ['-v'], { cwd: project.dir })).trim();
        expect(running.startsWith(version()), `${bin()} -v printed ${JSON.stringify(running)}`).toBe(true);
        const table = `src_${uniqueId('t').replace(/-/g, '_')}`;
        await createEventSource(h.source, ROWS, table);
        const spec = eventSpec(uniqueId('pack'), table, 1000);
        const specFile = path.join(project.dir, `spec-${spec.id}.json`);
        writeFileSync(specFile, JSON.stringify(spec));
        const userQueue = uniqueId(`${h.taskQueue}-user`);
        const tributaryQueue = uniqueId(`${h.taskQueue}-tributary`);
        const env = userEnv({ TASK_QUEUE: userQueue, TRIBUTARY_TASK_QUEUE: tributaryQueue });

        const worker = await startWorker(bin(), script, env);
        let lines: Record<string, { workflowId: string; result?: unknown; run?: Record<string, unknown> }>;
        try {
          const out = await runCommand(bin(), ['start.js', specFile, ...(dedicated ? ['--dedicated'] : [])], {
            cwd: project.dir,
            env,
          });
          lines = Object.assign(
            {},
            ...out
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l) as object),
          );
        } finally {
          rmSync(specFile, { force: true });
          // SIGTERM: the worker shuts down and the plugin closes the store and the source pools.
          const exited = once(worker.child, 'exit');
          worker.child.kill('SIGTERM');
          const [code] = await exited;
          expect(code, worker.output()).toBe(0);
        }

        // The user's workflow, with the user's own importBatch.
        expect(lines.userImport!.result).toBe('your importBatch imported batch 1');
        expect(await activityTypes(h.client, lines.userImport!.workflowId)).toEqual(['importBatch']);
        // Tributary's import: every row once, in one run, through Tributary's own activities, on the queue asked for.
        expect(lines.tributaryImport!.run).toMatchObject({
          status: 'succeeded',
          rowsRead: ROWS,
          created: ROWS,
          duplicates: 0,
          rejected: 0,
        });
        expect((await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0]).toEqual(
          (await h.source.query(sourceChecksum(table))).rows[0],
        );
        expect(
          (await h.store.query('SELECT count(*)::int AS n FROM runs WHERE import_id = $1', [spec.id])).rows[0].n,
        ).toBe(1);
        expect(
          (await h.store.query('SELECT status, rows_read::int, created::int FROM runs WHERE import_id = $1', [spec.id]))
            .rows,
        ).toEqual([{ status: 'succeeded', rows_read: ROWS, created: ROWS }]);
        const importId = lines.tributaryImport!.workflowId;
        expect(await activityTypes(h.client, importId)).toEqual(TRIBUTARY_ACTIVITIES);
        expect((await h.client.workflow.getHandle(importId).describe()).taskQueue).toBe(
          dedicated ? tributaryQueue : userQueue,
        );
      },
      240_000,
    );
}
