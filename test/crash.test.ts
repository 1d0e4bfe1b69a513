/**
 * Crash: the worker process is killed with SIGKILL at random moments during a 200,000-row import and
 * started again each time. At the end the store holds exactly the source rows: count and checksum.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../activities';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import { killRepeatedly } from './helpers/killLoop';
import { spawnWorker, type WorkerProcess, workerEnv } from './helpers/workerProcess';
import { sleep } from './helpers/wait';

const ROWS = 200_000;
const KILLS = 6;

let h: Harness;
let worker: WorkerProcess | null = null;
beforeAll(async () => {
  h = await createHarness('crash', { inProcessWorker: false });
});
afterAll(async () => {
  await worker?.kill();
  await h?.close();
});

/** The same canonical text per event on both sides, hashed in a fixed order. */
const SOURCE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT user_id || '|' || kind || '|' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '|' ||
         jsonb_build_object('sku', sku, 'qty', qty)::text AS line FROM events_src) t`;
const STORE_CHECKSUM = `SELECT count(*)::int AS n, md5(string_agg(line, E'\\n' ORDER BY line)) AS sum FROM (
  SELECT id_value || '|' || event_type || '|' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '|' ||
         properties::text AS line FROM events WHERE import_id = $1) t`;

it(`survives ${KILLS} SIGKILLs of the worker during a ${ROWS.toLocaleString('en')}-row import, loading every row exactly once`, async () => {
  // Many ties on the cursor (100 rows per second of updated_at), so kills land between tied rows too.
  await h.source.query(`CREATE TABLE events_src AS
    SELECT g AS id, 'user-' || (g % 50000) AS user_id, (ARRAY['view','click','buy','refund'])[1 + g % 4] AS kind,
           timestamptz '2026-01-01' + g * interval '1 second' AS at,
           'sku-' || md5(g::text) AS sku, (g % 7) AS qty,
           timestamptz '2026-01-01' + (g / 100) * interval '1 second' AS updated_at
    FROM generate_series(1, ${ROWS}) g`);
  await h.source.query('ALTER TABLE events_src ADD PRIMARY KEY (id)');
  await h.source.query('CREATE INDEX ON events_src (updated_at, id)');
  const expected = (await h.source.query(SOURCE_CHECKSUM)).rows[0];
  expect(expected.n).toBe(ROWS);

  const env = workerEnv(h, {
    TRIBUTARY_CONNECTION_WAREHOUSE: h.sourceUrl,
  });
  const spec = {
    id: uniqueId('crash'),
    name: 'crash test',
    dataType: 'activity' as const,
    source: { connection: 'warehouse', table: 'events_src' },
    cursor: { column: 'updated_at', key: 'id' },
    batchSize: 300, // 667 batches: more than one workflow execution (continue-as-new at 500)
    mapping: {
      userId: { column: 'user_id' },
      eventType: { column: 'kind' },
      timestamp: { column: 'at' },
      properties: [{ column: 'sku' }, { column: 'qty', type: 'number' as const }],
    },
  };

  worker = await spawnWorker(env);
  const handle = await h.startImport(spec);
  const result = handle.result() as Promise<RunRecord>;
  let finished = false;
  void result.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );

  // Progress as the store has committed it: the workflow cannot be queried while no worker runs.
  const committedRows = () =>
    count(h.store, 'SELECT coalesce(sum(rows_read), 0) FROM runs WHERE import_id = $1', [spec.id]);
  const killedAt = await killRepeatedly({
    worker,
    env,
    kills: KILLS,
    committedRows,
    finished: () => finished,
    onRestart: (w) => {
      worker = w;
    },
  });
  expect(killedAt.length, `the import finished after only ${killedAt.length} kills; slow it down`).toBe(KILLS);
  expect(killedAt.every((r) => r < ROWS)).toBe(true);

  const run = await result;
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS, duplicates: 0, rejected: 0 });
  const got = (await h.store.query(STORE_CHECKSUM, [spec.id])).rows[0];
  expect(got).toEqual(expected);
  // The run continued as new at least once (history stays small), and all of it is one run in the store.
  const executions = async () => {
    const statuses: string[] = [];
    for await (const w of h.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
      statuses.push(w.status.name);
    return statuses.sort();
  };
  let statuses = await executions();
  for (let i = 0; i < 50 && !statuses.includes('COMPLETED'); i++) {
    await sleep(200);
    statuses = await executions();
  }
  expect(statuses).toContain('COMPLETED');
  expect(statuses).toContain('CONTINUED_AS_NEW');
  const runs = await h.store.query('SELECT status, rows_read FROM runs WHERE import_id = $1', [spec.id]);
  expect(runs.rows).toEqual([{ status: 'succeeded', rows_read: expect.anything() }]);
}, 900_000);
