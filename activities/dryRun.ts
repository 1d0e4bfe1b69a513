/**
 * Dry run (brief §5): read a sample from the import's position (or the start), map and validate it, and
 * merge it into the store inside a transaction that is always rolled back. The loaders' own counts then
 * say exactly what a real run would do (profiles created, updated, unchanged; events new and duplicate),
 * and nothing is written: no rows, no position, no run record.
 */
import { once } from 'node:events';
import { from as copyFrom } from 'pg-copy-streams';
import { guardStream } from '../connectors/common/droppedConnection';
import { loaders, zeroCounts } from '../connectors/store/loaders';
import type { Counts } from '../connectors/store/loaders/types';
import type { Position } from '../connectors/source';
import { type ImportSpec, jsonColumns } from '../spec/importSpec';
import { BatchDedup } from './dedup';
import { type ActivityDeps, openSource } from './deps';
import { checkColumns, relationOf } from './extract';
import { compileMapping, copyField } from './mapValidate';
import { copyLinesExcept, RowLineBuffer } from './chunkBuffers';

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
}

export async function dryRun(deps: ActivityDeps, spec: ImportSpec, options: { sampleSize: number; fromPosition: boolean }): Promise<DryRunResult> {
  const { session } = await openSource(deps, spec.source.connection);
  const relation = relationOf(spec);
  const client = await deps.store.connect();
  let copyOpen = false;
  try {
    const cursor = await checkColumns(session, spec);
    const upperBound = await session.upperBound(relation, cursor, spec.cursor.lag);
    const nullCursor = await session.countNullCursor(relation, spec.cursor.column, spec.cursor.key);
    let from: Position | null = null;
    if (options.fromPosition) {
      const pos = await deps.store.query("SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = ''", [spec.id]);
      if (pos.rows[0]?.cursor_value != null) from = { cursor: pos.rows[0].cursor_value, key: pos.rows[0].key_value };
    }
    const result: DryRunResult = {
      sampleSize: options.sampleSize, rowsRead: 0, counts: { ...zeroCounts(), rejected: 0 }, nullCursor, from, upperBound, rowErrors: [],
    };
    if (upperBound === null) return result;

    const mapping = compileMapping(spec);
    const loader = loaders[spec.dataType];
    const dedup = spec.dataType === 'activity' ? new BatchDedup() : null;
    await client.query('BEGIN');
    await client.query(`CREATE TEMP TABLE stage (seq integer, ${loader.stageColumns}) ON COMMIT DROP`);
    const copy = guardStream(client.query(copyFrom('COPY stage FROM STDIN')));
    copyOpen = true;
    // The COPY stays open while the sample is read: a store connection lost meanwhile fails it, and
    // writing to it then would throw a TypeError from the driver instead of the reason.
    const copyFailure: { error: Error | null } = { error: null };
    copy.on('error', (err: Error) => { copyFailure.error ??= err; });
    const done = once(copy, 'finish');
    done.catch(() => undefined);
    let buffer = '';
    let loadable = 0;
    // Loaders that COPY rows straight into their table (events): the rows' lines, as a real batch has them.
    const lines = loader.copyRowsInto ? new RowLineBuffer(64 * 1024, `${copyField(spec.id)}\t0\t`) : null;
    const rows = session.read(relation, mapping.columns, {
      cursor: spec.cursor.column, key: spec.cursor.key, after: from, upperBound, limit: options.sampleSize,
    }, { json: jsonColumns(spec) });
    for await (const row of rows) {
      result.rowsRead++;
      const r = mapping.map(row, result.rowsRead);
      if (!r.ok) {
        result.counts.rejected++;
        if (result.rowErrors.length < 1000) {
          result.rowErrors.push({
            row: result.rowsRead, sourceKey: row[mapping.keyIndex] ?? null, cursor: row[mapping.cursorIndex] ?? null,
            column: r.column, value: r.value, reason: r.reason,
          });
        }
      } else if (dedup && r.dedup !== undefined && !dedup.firstSighting(r.dedup)) {
        // a duplicate within the sample, counted below
      } else {
        loadable++;
        buffer += r.text;
        if (r.row && lines) lines.append(result.rowsRead, r.row);
      }
    }
    if (copyFailure.error) throw copyFailure.error;
    copy.end(buffer);
    await done;
    copyOpen = false;
    if (loadable > 0) {
      const { skip, ...counts } = await loader.merge({ client, spec, importId: spec.id, runId: 0 });
      if (loader.copyRowsInto && lines) {
        counts.created += await copyLinesExcept(client, `COPY ${loader.copyRowsInto} FROM STDIN`, lines.take(), skip ?? []);
      }
      Object.assign(result.counts, counts);
    }
    result.counts.duplicates += dedup?.duplicates ?? 0;
    return result;
  } finally {
    // Always rolled back: a dry run writes nothing. A connection left mid-COPY is discarded instead.
    if (copyOpen) client.release(true);
    else {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
    await session.close();
  }
}
