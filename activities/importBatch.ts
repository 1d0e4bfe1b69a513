/**
 * importBatch: one batch, exactly once. In a single store transaction it locks the import's position,
 * streams rows from the source after that position (never from what the workflow remembers), maps and
 * validates them, drops in-batch duplicates, loads them, records row errors and run counters, and moves
 * the position, all committed together. A crash at any instant leaves either all of it or none of it.
 * The reading, mapping and loading is the engine's one batch path (engine/loadBatch.ts), which the dry
 * run shares; this activity adds the position lock, the run's counters, the commit and the heartbeats.
 */
import { heartbeat } from './keepAlive';
import type pg from 'pg';
import type { ImportSpec } from '../domain/importSpec';
import type { Position } from '../connectors/source';
import { type BatchRowError, isStoreFailure, loadBatch, type LoadBatchResult } from '../engine/loadBatch';
import type { CursorKind } from '../engine/sourceOrder';
import { type ActivityDeps, openSource } from '../engine/deps';
import { userScopeOf } from '../engine/mapValidate';
import { BatchUsers } from '../engine/dedup';
import { KnownUsers } from '../engine/knownUsers';
import { dataTypes } from '../dataTypes';
import { type RunRecord, runRecordOf } from './finishRun';

export interface ImportBatchInput {
  importId: string;
  runId: number;
  upperBound: string;
  /** Read at most this many rows (a throttled run takes smaller batches); default the spec's batch size. */
  maxRows?: number;
}

export interface BatchResult {
  /** Rows read in this batch (0 when the run was already caught up). */
  rows: number;
  /** True when the run has read everything up to its upper bound. */
  done: boolean;
  position: Position | null;
  /** The run's totals from the store, after this batch. */
  run: RunRecord;
}

async function insertErrors(client: pg.PoolClient, runId: number, importId: string, errors: BatchRowError[]): Promise<void> {
  await client.query(
    `INSERT INTO row_errors (run_id, import_id, source_key, cursor_value, column_name, value, reason)
     SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
    [runId, importId, errors.map((e) => e.key), errors.map((e) => e.cursor), errors.map((e) => e.column),
      errors.map((e) => e.value), errors.map((e) => e.reason)],
  );
}

export function importBatchActivity(deps: ActivityDeps) {
  // The worker's memory of identifiers the store holds, shared by its batches (events imports).
  const knownUsers = deps.knownUsers ?? new KnownUsers();
  return async function importBatch({ importId, runId, upperBound, maxRows }: ImportBatchInput): Promise<BatchResult> {
    const client = await deps.store.connect();
    let committed = false;
    // A statement of the batch failed: the connection's state is not known, so it is discarded.
    let storeFailed = false;
    try {
      await client.query('BEGIN');
      // One writer per position stream: the run's position row is the lock.
      const pos = await client.query(
        `SELECT p.cursor_value, p.key_value, p.stream FROM positions p
         JOIN runs r ON r.import_id = p.import_id AND r.stream = p.stream
         WHERE r.id = $2 AND p.import_id = $1 FOR UPDATE OF p`,
        [importId, runId],
      );
      if (!pos.rows[0]) {
        // A snapshot run's position goes with the run's end: a late batch of an ended run loads nothing.
        const ended = await client.query("SELECT * FROM runs WHERE id = $1 AND status <> 'running'", [runId]);
        if (ended.rows[0]) {
          await client.query('ROLLBACK');
          committed = true;
          return { rows: 0, done: true, position: null, run: runRecordOf(ended.rows[0]) };
        }
        throw new Error(`run ${runId} of import ${importId} has no position row: was beginRun called?`);
      }
      const stream = pos.rows[0].stream as string;
      const runRow = await client.query('SELECT * FROM runs WHERE id = $1', [runId]);
      if (!runRow.rows[0]) throw new Error(`run ${runId} does not exist`);
      if (runRow.rows[0].status !== 'running') {
        await client.query('ROLLBACK');
        committed = true;
        return { rows: 0, done: true, position: null, run: runRecordOf(runRow.rows[0]) };
      }
      const spec = runRow.rows[0].spec as ImportSpec;
      const limit = Math.min(spec.batchSize, maxRows ?? spec.batchSize);
      const after: Position | null =
        pos.rows[0].cursor_value === null ? null : { cursor: pos.rows[0].cursor_value, key: pos.rows[0].key_value };
      const users = new BatchUsers();
      const usersEpoch = dataTypes[spec.dataType].stagesUsersOnce ? await knownUsers.check(client) : null;
      const scope = userScopeOf(spec);
      const { session } = await openSource(deps, spec.source.connection);
      let batch: LoadBatchResult;
      try {
        batch = await loadBatch({
          client, session, spec, importId, runId, after, upperBound, limit,
          cursorKind: (runRow.rows[0].cursor_kind as CursorKind | null) ?? null,
          firstUse: (user) => !knownUsers.has(scope, user) && users.firstUse(user),
          onRowErrors: (c, errors) => insertErrors(c, runId, importId, errors),
          onProgress: (stage, rows) => heartbeat({ stage, rows }),
        });
      } catch (err) {
        storeFailed = isStoreFailure(err);
        throw err;
      } finally {
        await session.close();
      }
      const { rows, rejected, counts: totals } = batch;
      if (rows === 0) {
        await client.query('ROLLBACK');
        committed = true;
        const run = await deps.store.query('SELECT * FROM runs WHERE id = $1', [runId]);
        return { rows: 0, done: true, position: after, run: runRecordOf(run.rows[0]) };
      }
      const position: Position = batch.last!;
      const run = await client.query(
        `UPDATE runs SET rows_read = rows_read + $2, created = created + $3, updated = updated + $4,
           unchanged = unchanged + $5, duplicates = duplicates + $6, rejected = rejected + $7, skipped = skipped + $8,
           removed = removed + $9, profiles_created = profiles_created + $10, batches = batches + 1,
           to_cursor = $11, to_key = $12
         WHERE id = $1 RETURNING *`,
        [runId, rows, totals.created, totals.updated, totals.unchanged, totals.duplicates, rejected,
          totals.skipped, totals.removed, totals.profilesCreated, position.cursor, position.key],
      );
      await client.query(
        'UPDATE positions SET cursor_value = $2, key_value = $3, updated_at = now() WHERE import_id = $1 AND stream = $4',
        [importId, position.cursor, position.key, stream],
      );
      await client.query('COMMIT');
      committed = true;
      // Committed: every user staged in this batch is in the store.
      if (dataTypes[spec.dataType].stagesUsersOnce) knownUsers.addAll(scope, users.staged(), usersEpoch);
      return { rows, done: rows < limit, position, run: runRecordOf(run.rows[0]) };
    } finally {
      if (storeFailed) {
        // The server rolls the transaction back when the connection goes.
        client.release(true);
      } else {
        if (!committed) await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
    }
  };
}
