/**
 * importBatch: one batch, exactly once. In a single store transaction it locks the import's position,
 * streams rows from the source after that position (never from what the workflow remembers), maps and
 * validates them, drops in-batch duplicates, loads them, records row errors and run counters, and moves
 * the position, all committed together. A crash at any instant leaves either all of it or none of it.
 */
import { once } from 'node:events';
import { Context } from '@temporalio/activity';
import { from as copyFrom } from 'pg-copy-streams';
import type { ImportSpec } from '../spec/importSpec';
import { loaders, zeroCounts } from '../connectors/store/loaders';
import type { Position } from '../connectors/source';
import { type ActivityDeps, openSource } from './deps';
import { relationOf } from './extract';
import { compileMapping, type RowError } from './mapValidate';
import { BatchDedup } from './dedup';
import { type RunRecord, runRecordOf } from './finishRun';

export interface ImportBatchInput {
  importId: string;
  runId: number;
  upperBound: string;
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

/** Flush staged lines to COPY in chunks of about this many bytes. */
const FLUSH_BYTES = 256 * 1024;
const HEARTBEAT_EVERY_ROWS = 2000;

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Not inside an activity (a direct call from a test or the bench harness).
  }
}

export function importBatchActivity(deps: ActivityDeps) {
  return async function importBatch({ importId, runId, upperBound }: ImportBatchInput): Promise<BatchResult> {
    const client = await deps.store.connect();
    let committed = false;
    // While a COPY is open the connection accepts nothing else, so a failure mid-COPY discards the
    // connection (the server then rolls the transaction back) instead of queueing a ROLLBACK behind it.
    let copyOpen = false;
    try {
      await client.query('BEGIN');
      // One writer per import: the position row is the lock.
      const pos = await client.query('SELECT cursor_value, key_value FROM positions WHERE import_id = $1 FOR UPDATE', [importId]);
      if (!pos.rows[0]) throw new Error(`import ${importId} has no position row: was beginRun called?`);
      const runRow = await client.query('SELECT * FROM runs WHERE id = $1', [runId]);
      if (!runRow.rows[0]) throw new Error(`run ${runId} does not exist`);
      if (runRow.rows[0].status !== 'running') {
        await client.query('ROLLBACK');
        committed = true;
        return { rows: 0, done: true, position: null, run: runRecordOf(runRow.rows[0]) };
      }
      const spec = runRow.rows[0].spec as ImportSpec;
      const after: Position | null =
        pos.rows[0].cursor_value === null ? null : { cursor: pos.rows[0].cursor_value, key: pos.rows[0].key_value };
      const mapping = compileMapping(spec);
      const loader = loaders[spec.dataType];
      await client.query(`CREATE TEMP TABLE stage (seq integer, ${loader.stageColumns}) ON COMMIT DROP`);

      const { session } = await openSource(deps, spec.source.connection);
      const errors: (RowError & { key: string | null; cursor: string | null })[] = [];
      const dedup = spec.dataType === 'activity' ? new BatchDedup() : null;
      let rows = 0;
      let last: (string | null)[] | null = null;
      try {
        const copy = client.query(copyFrom('COPY stage FROM STDIN'));
        copyOpen = true;
        const copyDone = once(copy, 'finish');
        copyDone.catch(() => undefined); // observed below; a read failure may leave it unawaited
        let buffer = '';
        let copyError = null as Error | null; // set by the stream's error event
        copy.on('error', (e: Error) => { copyError = e; });
        const rowsIter = session.read(relationOf(spec), mapping.columns, {
          cursor: spec.cursor.column,
          key: spec.cursor.key,
          after,
          upperBound,
          limit: spec.batchSize,
        });
        for await (const row of rowsIter) {
          rows++;
          last = row;
          const r = mapping.map(row, rows);
          if (!r.ok) {
            errors.push({ column: r.column, value: r.value, reason: r.reason, key: row[mapping.keyIndex] ?? null, cursor: row[mapping.cursorIndex] ?? null });
          } else if (dedup && r.dedup !== undefined && !dedup.firstSighting(r.dedup)) {
            // counted as a duplicate below
          } else {
            for (const line of r.lines) buffer += `${line}\n`;
            if (buffer.length >= FLUSH_BYTES) {
              if (copyError) throw copyError;
              const ok = copy.write(buffer);
              buffer = '';
              if (!ok) await once(copy, 'drain');
            }
          }
          if (rows % HEARTBEAT_EVERY_ROWS === 0) heartbeat({ stage: 'reading', rows });
        }
        if (buffer) copy.write(buffer);
        copy.end();
        await copyDone;
        copyOpen = false;
        if (copyError) throw copyError;
      } finally {
        await session.close();
      }
      if (rows === 0) {
        await client.query('ROLLBACK');
        committed = true;
        const run = await deps.store.query('SELECT * FROM runs WHERE id = $1', [runId]);
        return { rows: 0, done: true, position: after, run: runRecordOf(run.rows[0]) };
      }
      heartbeat({ stage: 'loading', rows });
      const counts = rows - errors.length > 0 ? await loader.merge({ client, spec, importId, runId }) : zeroCounts();
      counts.duplicates += dedup?.duplicates ?? 0;
      if (errors.length > 0) {
        await client.query(
          `INSERT INTO row_errors (run_id, import_id, source_key, cursor_value, column_name, value, reason)
           SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
          [runId, importId, errors.map((e) => e.key), errors.map((e) => e.cursor), errors.map((e) => e.column),
            errors.map((e) => e.value), errors.map((e) => e.reason)],
        );
      }
      const position: Position = { cursor: last![mapping.cursorIndex]!, key: last![mapping.keyIndex]! };
      const run = await client.query(
        `UPDATE runs SET rows_read = rows_read + $2, created = created + $3, updated = updated + $4,
           unchanged = unchanged + $5, duplicates = duplicates + $6, rejected = rejected + $7, skipped = skipped + $8,
           removed = removed + $9, profiles_created = profiles_created + $10, batches = batches + 1,
           to_cursor = $11, to_key = $12
         WHERE id = $1 RETURNING *`,
        [runId, rows, counts.created, counts.updated, counts.unchanged, counts.duplicates, errors.length,
          counts.skipped, counts.removed, counts.profilesCreated, position.cursor, position.key],
      );
      await client.query(
        'UPDATE positions SET cursor_value = $2, key_value = $3, updated_at = now() WHERE import_id = $1',
        [importId, position.cursor, position.key],
      );
      await client.query('COMMIT');
      committed = true;
      return { rows, done: rows < spec.batchSize, position, run: runRecordOf(run.rows[0]) };
    } finally {
      if (copyOpen) {
        client.release(true);
      } else {
        if (!committed) await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
    }
  };
}
