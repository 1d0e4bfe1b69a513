/**
 * importBatch: one batch, exactly once. In a single store transaction it locks the import's position,
 * streams rows from the source after that position (never from what the workflow remembers), maps and
 * validates them, drops in-batch duplicates, loads them, records row errors and run counters, and moves
 * the position, all committed together. A crash at any instant leaves either all of it or none of it.
 * The reading, mapping and loading is the engine's one batch path (engine/loadBatch.ts), which the dry
 * run shares; this activity adds the position lock, the run's counters, the commit and the heartbeats.
 */
import { heartbeat } from './keepAlive';
import type { ImportSpec } from '../domain/importSpec';
import type { Position } from '../connectors/source';
import { isStoreFailure, loadBatch, type LoadBatchResult } from '../engine/loadBatch';
import type { CursorKind } from '../engine/sourceOrder';
import { type ActivityDeps, openSource } from '../engine/deps';
import { userScopeOf } from '../engine/mapValidate';
import { BatchUsers } from '../engine/dedup';
import { KnownUsers } from '../engine/knownUsers';
import { dataTypes } from '../dataTypes';
import { addBatchToRun, getEndedRun, getRun, insertRowErrors, type RunRecord, runRecordOf } from '../store/runs';
import { lockRunPosition, movePosition } from '../store/positions';
import { begin, commit, rollback } from '../store/transaction';

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

export function importBatchActivity(deps: ActivityDeps) {
  // The worker's memory of identifiers the store holds, shared by its batches (events imports).
  const knownUsers = deps.knownUsers ?? new KnownUsers();
  return async function importBatch({ importId, runId, upperBound, maxRows }: ImportBatchInput): Promise<BatchResult> {
    const client = await deps.store.connect();
    let committed = false;
    // A statement of the batch failed: the connection's state is not known, so it is discarded.
    let storeFailed = false;
    try {
      await begin(client);
      // One writer per position stream: the run's position row is the lock.
      const pos = await lockRunPosition(client, importId, runId);
      if (!pos) {
        // A snapshot run's position goes with the run's end: a late batch of an ended run loads nothing.
        const ended = await getEndedRun(client, runId);
        if (ended) {
          await rollback(client);
          committed = true;
          return { rows: 0, done: true, position: null, run: runRecordOf(ended) };
        }
        throw new Error(`run ${runId} of import ${importId} has no position row: was beginRun called?`);
      }
      const { stream, after } = pos;
      const runRow = await getRun(client, runId);
      if (!runRow) throw new Error(`run ${runId} does not exist`);
      if (runRow.status !== 'running') {
        await rollback(client);
        committed = true;
        return { rows: 0, done: true, position: null, run: runRecordOf(runRow) };
      }
      const spec = runRow.spec as ImportSpec;
      const limit = Math.min(spec.batchSize, maxRows ?? spec.batchSize);
      const users = new BatchUsers();
      const usersEpoch = dataTypes[spec.dataType].stagesUsersOnce ? await knownUsers.check(client) : null;
      const scope = userScopeOf(spec);
      const { session } = await openSource(deps, spec.source.connection);
      let batch: LoadBatchResult;
      try {
        batch = await loadBatch({
          client,
          session,
          spec,
          importId,
          runId,
          after,
          upperBound,
          limit,
          cursorKind: (runRow.cursor_kind as CursorKind | null) ?? null,
          firstUse: (user) => !knownUsers.has(scope, user) && users.firstUse(user),
          onRowErrors: (c, errors) => insertRowErrors(c, runId, importId, errors),
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
        await rollback(client);
        committed = true;
        const run = await getRun(deps.store, runId);
        return { rows: 0, done: true, position: after, run: runRecordOf(run!) };
      }
      const position: Position = batch.last!;
      const run = await addBatchToRun(client, runId, { ...totals, rowsRead: rows, rejected, batches: 1 }, position);
      await movePosition(client, importId, stream, position);
      await commit(client);
      committed = true;
      // Committed: every user staged in this batch is in the store.
      if (dataTypes[spec.dataType].stagesUsersOnce) knownUsers.addAll(scope, users.staged(), usersEpoch);
      return { rows, done: rows < limit, position, run: runRecordOf(run) };
    } finally {
      if (storeFailed) {
        // The server rolls the transaction back when the connection goes.
        client.release(true);
      } else {
        if (!committed) await rollback(client).catch(() => undefined);
        client.release();
      }
    }
  };
}
