/**
 * Dry run: read a sample from the import's position (or the start) through the same batch path a run
 * takes (engine/loadBatch.ts), inside a store transaction that is always rolled back. The loaders' own
 * counts then say exactly what a real run would do (profiles created, updated, unchanged; events new and
 * duplicate; rows the source could not read; a snapshot's removals), and nothing is written: no rows, no
 * position, no run record.
 */
import { type Counts, zeroCounts } from '../store/loaders/types';
import { readStart } from '../store/positions';
import { begin, rollback } from '../store/transaction';
import type { Position } from '../connectors/source';
import { type ImportSpec, isSnapshot } from '../domain/importSpec';
import { isStoreFailure, loadBatch } from './loadBatch';
import { removeUnseen } from './snapshotRemoval';
import { BatchUsers } from './dedup';
import { type ActivityDeps, openSource } from './deps';
import { checkColumns, relationOf } from './extract';

export interface DryRunRowError {
  /** 1-based position of the row in the sample. */
  row: number;
  sourceKey: string | null;
  cursor: string | null;
  column: string | null;
  value: string | null;
  reason: string;
}

export interface DryRunResult {
  sampleSize: number;
  rowsRead: number;
  counts: Counts & { rejected: number };
  /** Rows whose cursor or key is NULL, which no run can read by position. */
  nullCursor: number;
  from: Position | null;
  upperBound: string | null;
  rowErrors: DryRunRowError[];
  /** A snapshot import: what its run would remove, or why it would remove nothing (null otherwise). */
  snapshotRemoval: string | null;
}

/** A run id no real run has: the dry run's rows are marked with it inside its rolled-back transaction. */
const DRY_RUN_ID = 2_147_483_647;
const MAX_ROW_ERRORS = 1000;

export async function dryRun(
  deps: ActivityDeps,
  spec: ImportSpec,
  options: { sampleSize: number; fromPosition: boolean },
): Promise<DryRunResult> {
  const { session } = await openSource(deps, spec.source.connection);
  const relation = relationOf(spec);
  const client = await deps.store.connect();
  let discard = false;
  try {
    const cursor = await checkColumns(session, spec);
    const upperBound = await session.upperBound(relation, cursor, spec.cursor.lag, spec.timeZone);
    const nullCursor = await session.countNullCursor(relation, spec.cursor.column, spec.cursor.key);
    let from: Position | null = null;
    if (options.fromPosition && !isSnapshot(spec)) {
      from = await readStart(deps.store, spec.id);
    }
    const result: DryRunResult = {
      sampleSize: options.sampleSize,
      rowsRead: 0,
      counts: { ...zeroCounts(), rejected: 0 },
      nullCursor,
      from,
      upperBound,
      rowErrors: [],
      snapshotRemoval: null,
    };
    if (upperBound === null) return result;

    await begin(client);
    const users = new BatchUsers();
    let batch;
    try {
      batch = await loadBatch({
        client,
        session,
        spec,
        importId: spec.id,
        runId: DRY_RUN_ID,
        after: from,
        upperBound,
        limit: options.sampleSize,
        cursorKind: cursor.cursorKind,
        firstUse: (user) => users.firstUse(user),
        onRowErrors: async (_client, errors) => {
          for (const e of errors) {
            if (result.rowErrors.length >= MAX_ROW_ERRORS) break;
            result.rowErrors.push({
              row: e.row,
              sourceKey: e.key,
              cursor: e.cursor,
              column: e.column,
              value: e.value,
              reason: e.reason,
            });
          }
        },
      });
    } catch (err) {
      discard = isStoreFailure(err);
      throw err;
    }
    result.rowsRead = batch.rows;
    result.counts = { ...batch.counts, rejected: batch.rejected };
    if (isSnapshot(spec)) {
      // A snapshot run removes only once it has read the whole source: a sample that stops short says so.
      const removal =
        batch.rows < options.sampleSize
          ? await removeUnseen(client, {
              importId: spec.id,
              runId: DRY_RUN_ID,
              rejected: batch.rejected,
              nullCursor,
              rowsRead: batch.rows,
            })
          : {
              removal: `not predicted: the sample of ${options.sampleSize} rows did not read the whole source`,
              removed: 0,
              incomplete: true,
            };
      result.counts.removed += removal.removed;
      result.snapshotRemoval = removal.removal;
    }
    return result;
  } finally {
    // Always rolled back: a dry run writes nothing. A connection whose state is unknown is discarded.
    if (discard) client.release(true);
    else {
      await rollback(client).catch(() => undefined);
      client.release();
    }
    await session.close();
  }
}
