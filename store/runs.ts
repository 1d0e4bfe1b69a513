/**
 * Runs as the store holds them, and their counters' columns. Invariants this module owns:
 * - a run's counters grow only by a committed batch: addBatchToRun runs in the batch's own transaction,
 *   with the position move (store/positions.ts), so a retried batch never counts twice, and endRun judges
 *   the run from these stored counts, never from what a workflow remembers;
 * - one run per workflow chain: workflow_run_id is unique, and a run begun or recorded twice (an activity
 *   retried after its commit) is the same run;
 * - a run ends once: endRun changes only a running run, and keeps the first error and end time.
 */
import type pg from 'pg';
import type { Position } from '../connectors/source';
import {
  type BatchCounterName,
  type BatchIncrement,
  RUN_COUNTERS,
  type RunCounter,
  type RunCounters,
} from '../domain/runCounters';

type Db = pg.Pool | pg.ClientBase;
/** A `runs` row as Postgres returns it (snake_case columns). */
export type RunRow = Record<string, any>;

// The counters are declared in domain/runCounters.ts, which the import workflow reads too; what the store
// derives from them (their columns' statements, RunRecord) is here.
export {
  addCounts,
  type BatchCounterName,
  type BatchIncrement,
  type Counts,
  countersOf,
  LOADER_COUNTER_NAMES,
  type LoaderCounterName,
  RUN_COUNTER_NAMES,
  RUN_COUNTERS,
  type RunCounterName,
  type RunCounters,
  zeroCounts,
} from '../domain/runCounters';

const isBatchCounter = (c: RunCounter): c is Extract<RunCounter, { name: BatchCounterName }> => c.from !== 'start';
const BATCH_COUNTERS = RUN_COUNTERS.filter(isBatchCounter);

/** SQL: the rows a run (alias `alias`) loaded, the sum of its `loaded` counters. */
export const loadedRowsSql = (alias: string): string =>
  RUN_COUNTERS.filter((c) => c.loaded)
    .map((c) => `${alias}.${c.column}`)
    .join(' + ');

export type RunStatus = 'running' | 'succeeded' | 'partially_succeeded' | 'failed' | 'cancelled';

export interface RunRecord extends RunCounters {
  runId: number;
  importId: string;
  status: RunStatus;
  fromCursor: string | null;
  toCursor: string | null;
  upperBound: string | null;
  error: string | null;
  /** Snapshot segments runs: 'removed' once it removed what it did not see, else why it removed nothing. */
  snapshotRemoval: string | null;
  /** What the run noticed without failing anything: the source's advice at the start (a role that can write to
   * what it reads), a repeated CSV header it renamed. */
  warnings: string[];
}

export const runRecordOf = (r: Record<string, unknown>): RunRecord => ({
  runId: Number(r.id),
  importId: String(r.import_id),
  status: r.status as RunStatus,
  ...(Object.fromEntries(RUN_COUNTERS.map((c) => [c.name, Number(r[c.column])])) as RunCounters),
  fromCursor: (r.from_cursor as string | null) ?? null,
  toCursor: (r.to_cursor as string | null) ?? null,
  upperBound: (r.upper_bound as string | null) ?? null,
  error: (r.error as string | null) ?? null,
  snapshotRemoval: (r.snapshot_removal as string | null) ?? null,
  warnings: (r.warnings as string[] | null | undefined) ?? [],
});

// ---- beginning a run ----

export interface BegunRun {
  runId: number;
  upperBound: string | null;
  sourceKind: string;
  nullCursorRows: number;
}

/** The run a workflow chain already recorded, if any. */
export async function runOfWorkflowRun(db: Db, workflowRunId: string): Promise<BegunRun | null> {
  const res = await db.query('SELECT id, upper_bound, source_kind, null_cursor FROM runs WHERE workflow_run_id = $1', [
    workflowRunId,
  ]);
  const r = res.rows[0];
  return r
    ? {
        runId: Number(r.id),
        upperBound: r.upper_bound,
        sourceKind: r.source_kind,
        nullCursorRows: Number(r.null_cursor),
      }
    : null;
}

/** The id of the run a workflow chain recorded (one must exist). */
export async function runIdOfWorkflowRun(db: Db, workflowRunId: string): Promise<number> {
  return Number((await db.query('SELECT id FROM runs WHERE workflow_run_id = $1', [workflowRunId])).rows[0].id);
}

export interface NewRun {
  importId: string;
  stream: string;
  workflowId: string;
  workflowRunId: string;
  spec: unknown;
  sourceKind: string;
  upperBound: string | null;
  nullCursor: number;
  cursorKind: string | null;
  warnings: string[];
}

/**
 * Records a running run starting from its stream's committed position (which must exist: create it first,
 * in the same transaction). Returns null when the workflow chain already has its run.
 */
export async function insertRun(client: pg.ClientBase, run: NewRun): Promise<number | null> {
  const res = await client.query(
    `INSERT INTO runs (import_id, stream, workflow_id, workflow_run_id, spec, source_kind, upper_bound, null_cursor, from_cursor, from_key, cursor_kind, warnings)
     SELECT $1, $8, $2, $3, $4, $5, $6, $7, p.cursor_value, p.key_value, $9, $10 FROM positions p WHERE p.import_id = $1 AND p.stream = $8
     ON CONFLICT (workflow_run_id) DO NOTHING
     RETURNING id`,
    [
      run.importId,
      run.workflowId,
      run.workflowRunId,
      run.spec,
      run.sourceKind,
      run.upperBound,
      run.nullCursor,
      run.stream,
      run.cursorKind,
      run.warnings,
    ],
  );
  return res.rows[0] ? Number(res.rows[0].id) : null;
}

export interface FailedRun {
  importId: string;
  stream: string;
  workflowId: string;
  workflowRunId: string;
  spec: unknown;
  sourceKind: string | null;
  status: 'failed' | 'cancelled';
  error: string;
}

/**
 * Records a run that failed before it began, inserted as ended rather than updated to it: the end of a
 * file's run records the file as taken (runs_record_imported_file), and a file whose run never began is to
 * be taken up again. Its from-position is the stream's, if the stream has one; it creates none.
 */
export async function insertFailedRun(client: pg.ClientBase, run: FailedRun): Promise<number> {
  const inserted = await client.query(
    `INSERT INTO runs (import_id, stream, workflow_id, workflow_run_id, spec, source_kind, status, error, from_cursor, from_key, ended_at)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, p.cursor_value, p.key_value, clock_timestamp()
     FROM (VALUES (1)) one LEFT JOIN positions p ON p.import_id = $1 AND p.stream = $2
     ON CONFLICT (workflow_run_id) DO NOTHING
     RETURNING id`,
    [run.importId, run.stream, run.workflowId, run.workflowRunId, run.spec, run.sourceKind, run.status, run.error],
  );
  return inserted.rows[0] ? Number(inserted.rows[0].id) : runIdOfWorkflowRun(client, run.workflowRunId);
}

// ---- a run's batches and end ----

export async function getRun(db: Db, runId: number): Promise<RunRow | null> {
  return (await db.query('SELECT * FROM runs WHERE id = $1', [runId])).rows[0] ?? null;
}

/** The run if it has ended (a late batch of an ended run loads nothing). */
export async function getEndedRun(db: Db, runId: number): Promise<RunRow | null> {
  return (await db.query("SELECT * FROM runs WHERE id = $1 AND status <> 'running'", [runId])).rows[0] ?? null;
}

/** The run's row, locked to the caller's transaction (the run's end). */
export async function lockRun(client: pg.ClientBase, runId: number): Promise<RunRow | null> {
  return (await client.query('SELECT * FROM runs WHERE id = $1 FOR UPDATE', [runId])).rows[0] ?? null;
}

/**
 * Adds a batch's counts to its run and moves the run's last position, in the batch's transaction (the
 * caller holds the stream's position lock and moves the position in the same transaction).
 */
export async function addBatchToRun(
  client: pg.ClientBase,
  runId: number,
  add: BatchIncrement,
  to: Position,
): Promise<RunRow> {
  const sets = BATCH_COUNTERS.map((c, i) => `${c.column} = ${c.column} + $${i + 2}`).join(', ');
  const n = BATCH_COUNTERS.length + 2;
  const res = await client.query(
    `UPDATE runs SET ${sets}, to_cursor = $${n}, to_key = $${n + 1} WHERE id = $1 RETURNING *`,
    [runId, ...BATCH_COUNTERS.map((c) => add[c.name]), to.cursor, to.key],
  );
  return res.rows[0];
}

export interface RunEnd {
  outcome: 'completed' | 'failed' | 'cancelled';
  error: string | null;
  /** Memberships a snapshot run removed at its end. */
  removed: number;
  /** A completed snapshot run that refused its removal: partially succeeded. */
  incomplete: boolean;
  snapshotRemoval: string | null;
}

/** Ends a run: its status from its stored counts (a rejected row makes it partially succeeded). */
export async function endRun(client: pg.ClientBase, runId: number, end: RunEnd): Promise<RunRow> {
  const res = await client.query(
    `UPDATE runs SET
       status = CASE
         WHEN $2 = 'failed' THEN 'failed'
         WHEN $2 = 'cancelled' THEN 'cancelled'
         WHEN rejected > 0 OR $5 THEN 'partially_succeeded'
         ELSE 'succeeded' END,
       error = COALESCE(error, $3),
       removed = removed + $4,
       snapshot_removal = $6,
       ended_at = COALESCE(ended_at, clock_timestamp())
     WHERE id = $1
     RETURNING *`,
    [runId, end.outcome, end.error, end.removed, end.incomplete, end.snapshotRemoval],
  );
  return res.rows[0];
}

/** The rejected rows of one batch chunk, in the batch's transaction. */
export async function insertRowErrors(
  client: pg.ClientBase,
  runId: number,
  importId: string,
  errors: { key: string | null; cursor: string | null; column: string | null; value: string | null; reason: string }[],
): Promise<void> {
  await client.query(
    `INSERT INTO row_errors (run_id, import_id, source_key, cursor_value, column_name, value, reason)
     SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
    [
      runId,
      importId,
      errors.map((e) => e.key),
      errors.map((e) => e.cursor),
      errors.map((e) => e.column),
      errors.map((e) => e.value),
      errors.map((e) => e.reason),
    ],
  );
}

// ---- reading runs (the API, webhooks, lifecycle) ----

export async function runOfImport(db: Db, importId: string, runId: number): Promise<RunRow | null> {
  return (await db.query('SELECT * FROM runs WHERE id = $1 AND import_id = $2', [runId, importId])).rows[0] ?? null;
}

/** An import's runs, newest first, before run `before` (null: from the newest). */
export async function runsOfImport(db: Db, importId: string, before: number | null, limit: number): Promise<RunRow[]> {
  const res = await db.query(
    'SELECT * FROM runs WHERE import_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3',
    [importId, before, limit],
  );
  return res.rows;
}

export async function lastRunOf(db: Db, importId: string): Promise<RunRow | null> {
  return (
    (await db.query('SELECT * FROM runs WHERE import_id = $1 ORDER BY id DESC LIMIT 1', [importId])).rows[0] ?? null
  );
}

/** When the import's last run that succeeded (fully or partially) ended. */
export async function lastSuccessfulSyncAt(db: Db, importId: string): Promise<Date | null> {
  const res = await db.query(
    `SELECT max(ended_at) AS at FROM runs WHERE import_id = $1 AND status IN ('succeeded', 'partially_succeeded')`,
    [importId],
  );
  return res.rows[0]?.at ?? null;
}

/** The workflows of the import's runs the store still sees running. */
export async function runningWorkflowIds(db: Db, importId: string): Promise<string[]> {
  const res = await db.query("SELECT DISTINCT workflow_id FROM runs WHERE import_id = $1 AND status = 'running'", [
    importId,
  ]);
  return res.rows.map((r) => String(r.workflow_id));
}

/** A run with its import's name, as a webhook announces it. */
export async function runForWebhook(db: Db, runId: number): Promise<RunRow | null> {
  const res = await db.query(
    `SELECT r.*, i.spec #>> '{name}' AS import_name, r.started_at, r.ended_at
     FROM runs r LEFT JOIN imports i ON i.id = r.import_id WHERE r.id = $1`,
    [runId],
  );
  return res.rows[0] ?? null;
}

/** A page of a run's row errors, after error id `after`. */
export async function rowErrorsOf(db: Db, runId: number, after: number, limit: number): Promise<RunRow[]> {
  return (
    await db.query('SELECT * FROM row_errors WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3', [runId, after, limit])
  ).rows;
}
