/**
 * Model-based test of the whole import: random source histories (ties, NULL, future and late cursors,
 * updates that move a row's cursor, segment removals, random batch sizes, backfills beside the
 * incremental import, SIGKILLs of a real worker process) run through the real workflow, real Temporal and
 * real Postgres, and after every run the store is compared row by row with the reference model
 * (test/model/reference.ts), as are the runs' counts.
 *
 * `npm test` runs the fixed seeds below; `npm run fuzz -- --cases N` runs N more from a random base seed,
 * `npm run fuzz -- --seed S` replays one case. A failing case names its seed.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../../activities';
import { startBackfill } from '../../api/backfills';
import { parseImportSpec } from '../../domain/importSpec';
import { writeWorkflowBundle } from '../../temporal/workflowBundle';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId } from '../../workflows/definitions';
import { createHarness, type Harness, uniqueId } from '../helpers/harness';
import { spawnWorker, type WorkerProcess, workerEnv } from '../helpers/workerProcess';
import { sleep } from '../helpers/wait';
import { type DataType, type History, historyForSeed } from './histories';
import {
  byCursorKey,
  eventCounts,
  events,
  memberships,
  type Position,
  profiles,
  type ReadRow,
  runOver,
} from './reference';
import { RealSource, specOf } from './realSource';

/**
 * Data types whose cases run no backfill beside the incremental import, because the engine is known to get
 * them wrong there: rows are applied in commit order, not cursor order, so when a backfill partition commits
 * a user's older row after the incremental import committed a newer one, the older one wins (upsert
 * profiles, segments), or, with insert-only, the newer one stays although the older one is the first.
 * The model holds the right rule for all of them; MODEL_BACKFILL_CHANGE_LOGS=1 runs them anyway. Events do
 * not depend on order and always run backfills.
 */
const BACKFILL_KNOWN_OUT_OF_ORDER: readonly DataType[] = [];
const BACKFILL_BESIDE_CHANGE_LOGS = process.env.MODEL_BACKFILL_CHANGE_LOGS === '1';

const DEFAULT_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9];

function seeds(): number[] {
  if (process.env.FUZZ_SEED) return process.env.FUZZ_SEED.split(',').map(Number);
  const n = Number(process.env.FUZZ_CASES ?? 0);
  if (n > 0) {
    const base = Number(process.env.FUZZ_BASE_SEED ?? Math.floor(Math.random() * 1_000_000) * 100);
    console.log(`model: ${n} cases from base seed ${base}`);
    return Array.from({ length: n }, (_, i) => base + i);
  }
  return DEFAULT_SEEDS;
}

const features = {
  kills: process.env.MODEL_KILLS !== '0',
  backfill: (t: DataType) => BACKFILL_BESIDE_CHANGE_LOGS || !BACKFILL_KNOWN_OUT_OF_ORDER.includes(t),
};

let h: Harness;
let worker: WorkerProcess | null = null;
let env: Record<string, string>;
beforeAll(async () => {
  h = await createHarness('model', { inProcessWorker: false });
  const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'tributary-bundle-')), 'workflows.js');
  await writeWorkflowBundle(bundle);
  env = workerEnv(h, { TRIBUTARY_CONNECTION_WAREHOUSE: h.sourceUrl, TRIBUTARY_WORKFLOW_BUNDLE: bundle });
  worker = await spawnWorker(env);
}, 300_000);
afterAll(async () => {
  await worker?.kill();
  await h?.close();
});

const describeHistory = (hist: History): string =>
  `${hist.dataType}, batch ${hist.batchSize}, lag ${hist.lag}: ` +
  hist.steps
    .map((s) =>
      s.t === 'run'
        ? `run${s.killAfterMs !== null ? `+kill@${s.killAfterMs}ms` : ''}${s.backfillTo !== null ? `+backfill<${s.backfillTo.toFixed(2)}` : ''}`
        : s.t === 'update'
          ? 'update'
          : `${s.t}[${s.rows.map((r) => r.cursor).join(',')}]`,
    )
    .join(' ');

for (const seed of seeds()) {
  const hist = historyForSeed(seed, features);
  it(`seed ${seed}: ${describeHistory(hist)}`, async () => {
    await runCase(hist);
  }, 600_000);
}

async function runCase(hist: History): Promise<void> {
  const tag = uniqueId(`m${hist.seed}`);
  const src = new RealSource(h.source, h.sourceUrl, `src_${tag.replace(/-/g, '_')}`, tag);
  await src.create();
  const spec = parseImportSpec(specOf(tag, src.table, hist.dataType, hist.batchSize, hist.lag));
  const reads: ReadRow[] = [];
  const seenEvents = new Set<string>();
  let position: Position = null;
  let lastRunId = 0;
  try {
    for (const [i, step] of hist.steps.entries()) {
      const at = `seed ${hist.seed}, step ${i} (${step.t})`;
      if (step.t === 'insert') await src.insert(step.rows);
      else if (step.t === 'update') await src.update(step.row, step.write);
      else if (step.t === 'late') await src.insertHeld(step.rows);
      else {
        const snapshot = await src.snapshot();
        const backfillTo = step.backfillTo === null ? null : src.pointText(step.backfillTo);
        await runStep(spec, i, step.killAfterMs, backfillTo);
        await src.commitHeld();

        const runs = (
          await h.store.query('SELECT * FROM runs WHERE import_id = $1 AND id > $2 ORDER BY id', [spec.id, lastRunId])
        ).rows;
        lastRunId = Math.max(lastRunId, ...runs.map((r) => Number(r.id)));
        const incremental = runs.filter((r) => r.stream === '');
        expect(incremental, `${at}: one incremental run`).toHaveLength(1);
        expect(
          runs.map((r) => [r.stream, r.status, r.error]),
          `${at}: every run succeeded`,
        ).toEqual(runs.map((r) => [r.stream, 'succeeded', null]));
        const bound = await src.micros(incremental[0].upper_bound);
        const out = runOver(snapshot, position, bound);
        position = out.position;
        reads.push(...out.read);

        const stored = (
          await h.store.query("SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = ''", [
            spec.id,
          ])
        ).rows[0];
        const storedPosition =
          stored?.cursor_value == null
            ? null
            : { cursor: await src.micros(stored.cursor_value), id: Number(stored.key_value) };
        expect(storedPosition, `${at}: the committed position`).toEqual(position);

        const rowsRead = runs.reduce((a, r) => a + Number(r.rows_read), 0);
        expect(rowsRead, `${at}: rows read by the run${runs.length > 1 ? ' and its backfill' : ''}`).toBe(
          out.read.length,
        );
        expect(Number(incremental[0].null_cursor), `${at}: NULL cursors counted`).toBe(out.nullCursor);
        if (hist.dataType === 'activity') {
          const counts = eventCounts(seenEvents, out.read);
          const got = {
            created: runs.reduce((a, r) => a + Number(r.created), 0),
            duplicates: runs.reduce((a, r) => a + Number(r.duplicates), 0),
          };
          expect(got, `${at}: events created and duplicates`).toEqual(counts);
        }
        await compareStore(hist, spec.id, reads, at);
      }
    }
  } finally {
    await src.abandon();
  }
}

/** One run step: the incremental run, a worker kill at a random instant, or a backfill beside the run. */
async function runStep(
  spec: ReturnType<typeof parseImportSpec>,
  step: number,
  killAfterMs: number | null,
  backfillTo: string | null,
): Promise<void> {
  // With a backfill, the run is throttled so the backfill's hand-over finds it under way.
  const control = backfillTo === null ? null : { rowsPerSecond: 3 };
  const handle = await h.client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: h.taskQueue,
    workflowId: importWorkflowId(spec.id),
    args: [{ spec, control }],
  });
  const result = handle.result() as Promise<RunRecord>;
  const killing =
    killAfterMs === null
      ? Promise.resolve()
      : (async () => {
          await sleep(killAfterMs);
          await worker!.kill('SIGKILL');
          worker = await spawnWorker(env);
        })();
  if (backfillTo !== null) {
    const backfill = await startBackfill(h.client, h.taskQueue, {
      backfillId: `b${step}`,
      spec,
      from: null,
      to: backfillTo,
      partitions: 2,
      throttle: { rowsPerSecond: null, concurrency: 2 },
    });
    // Unthrottled from here, the run and the partitions commit side by side, in whatever order they finish.
    await handle.signal('throttle', { rowsPerSecond: null }).catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // the run had finished already
    });
    await backfill.result();
  }
  await killing;
  await result;
}

async function compareStore(hist: History, importId: string, reads: ReadRow[], at: string): Promise<void> {
  if (hist.dataType === 'profile' || hist.dataType === 'profile-insert-only') {
    const r = await h.store.query(
      'SELECT id_value, attributes FROM profile_attributes WHERE import_id = $1 ORDER BY id_value',
      [importId],
    );
    const expected = [...profiles(reads, hist.dataType === 'profile' ? 'upsert' : 'insert-only')]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([uid, attributes]) => ({ id_value: uid, attributes }));
    expect(r.rows, `${at}: profiles${await explainProfiles(importId, reads, r.rows, expected)}`).toEqual(expected);
  } else if (hist.dataType === 'activity') {
    const r = await h.store.query(
      `SELECT id_value, event_type, (extract(epoch FROM occurred_at) * 1000000)::bigint::text AS at, properties
      FROM events WHERE import_id = $1`,
      [importId],
    );
    const got = r.rows
      .map((e) =>
        JSON.stringify([
          e.id_value,
          e.event_type,
          e.at,
          Object.fromEntries(Object.entries(e.properties as object).sort(([a], [b]) => (a < b ? -1 : 1))),
        ]),
      )
      .sort();
    expect(got, `${at}: events`).toEqual([...events(reads)].sort());
  } else {
    const r = await h.store.query(
      'SELECT id_value, segment FROM segment_memberships WHERE import_id = $1 AND member ORDER BY 1, 2',
      [importId],
    );
    const got = r.rows.map((m) => JSON.stringify([m.id_value, m.segment])).sort();
    const expected = [...memberships(reads)].sort();
    expect(got, `${at}: segment members${await explainMemberships(importId, reads, got, expected)}`).toEqual(expected);
  }
}

/** JSON with every object's keys sorted, to compare rows whatever order their keys came in. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/** For a failure message: each disputed profile's rows read, in cursor order, and the run (stream) that wrote the store's. */
async function explainProfiles(
  importId: string,
  reads: ReadRow[],
  got: { id_value: string }[],
  expected: { id_value: string }[],
): Promise<string> {
  const disputed = [...new Set([...got, ...expected].map((p) => p.id_value))].filter(
    (uid) => canonical(got.find((p) => p.id_value === uid)) !== canonical(expected.find((p) => p.id_value === uid)),
  );
  if (disputed.length === 0) return '';
  const lines: string[] = [];
  for (const uid of disputed) {
    const rows = reads
      .filter((r) => r.uid === uid)
      .sort(byCursorKey)
      .map((r) => `id ${r.id} cursor ${r.cursor} ${r.val}/${r.num}`);
    const stored = await h.store.query(
      `SELECT p.attributes, r.stream FROM profile_attributes p LEFT JOIN runs r ON r.id = p.run_id
      WHERE p.import_id = $1 AND p.id_value = $2`,
      [importId, uid],
    );
    lines.push(`${uid}: read ${rows.join('; ')}; store: ${JSON.stringify(stored.rows[0] ?? null)}`);
  }
  return `\n${lines.join('\n')}\n`;
}

/** For a failure message: each disputed membership's rows read, in cursor order, and the run (stream) the store last took it from. */
async function explainMemberships(
  importId: string,
  reads: ReadRow[],
  got: string[],
  expected: string[],
): Promise<string> {
  const disputed = [...got.filter((k) => !expected.includes(k)), ...expected.filter((k) => !got.includes(k))];
  if (disputed.length === 0) return '';
  const lines: string[] = [];
  for (const k of disputed) {
    const [uid, seg] = JSON.parse(k) as [string, string];
    const rows = reads
      .filter((r) => r.uid === uid && r.seg === seg)
      .sort(byCursorKey)
      .map((r) => `id ${r.id} cursor ${r.cursor} ${r.removed ? 'removed' : 'added'}`);
    const stored = await h.store.query(
      `SELECT m.member, r.stream FROM segment_memberships m LEFT JOIN runs r ON r.id = m.last_seen_run
      WHERE m.import_id = $1 AND m.id_value = $2 AND m.segment = $3`,
      [importId, uid, seg],
    );
    lines.push(`${uid} ${seg}: read ${rows.join('; ')}; store: ${JSON.stringify(stored.rows[0] ?? null)}`);
  }
  return `\n${lines.join('\n')}\n`;
}
