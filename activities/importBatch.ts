/**
 * importBatch: one batch, exactly once. In a single store transaction it locks the import's position,
 * streams rows from the source after that position (never from what the workflow remembers), maps and
 * validates them, drops in-batch duplicates, loads them, records row errors and run counters, and moves
 * the position, all committed together. A crash at any instant leaves either all of it or none of it.
 *
 * Within the transaction the batch is loaded in chunks, pipelined: while the store stages and merges one
 * chunk, the worker reads and maps the next. At most one chunk is in the store's hands and one is being
 * built, so memory stays bounded whatever the batch size. Applying a batch chunk by chunk is the same as
 * applying smaller batches in cursor order, inside one transaction.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { heartbeat } from './keepAlive';
import type pg from 'pg';
import { type ImportSpec, jsonColumns } from '../spec/importSpec';
import { type Counts, loaders, zeroCounts } from '../connectors/store/loaders';
import { type Position, sourceRowError } from '../connectors/source';
import { type ActivityDeps, openSource } from './deps';
import { relationOf } from './extract';
import { compileMapping, copyField, userScopeOf, type MapResult, type RowError } from './mapValidate';
import { ChunkBuffer, copyIn, copyLinesExcept, RowLineBuffer, type RowLines } from './chunkBuffers';
import { BatchDedup, BatchUsers } from './dedup';
import { KnownUsers } from './knownUsers';
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

/**
 * A chunk goes to the store when it holds this many source rows or this many bytes of COPY text. The
 * first chunks of a batch are smaller, so the store starts working early; then they double.
 * 4 MB: the two chunks in hand (one being built, one being sent) are resident in the worker; with events'
 * lines (~350 bytes a row) that is ~12,000 rows a chunk. Bench (1M events): 8 MB chunks peaked at
 * 294-314 MB RSS, 4 MB at 283-284 MB, in the same time (the store's cost per chunk is small).
 */
const FIRST_CHUNK_ROWS = 2_500;
const CHUNK_ROWS = 20_000;
const CHUNK_BYTES = 4 * 1024 * 1024;
const STAGE_BUFFER_BYTES = CHUNK_BYTES + 64 * 1024;
const HEARTBEAT_EVERY_ROWS = 2000;

type Row = (string | null)[];
type StagedError = RowError & { key: string | null; cursor: string | null };

/** A source's rows in arrays when it offers them (one await per chunk), else one at a time. */
async function* rowChunks(rows: AsyncIterable<Row>): AsyncIterable<Row[]> {
  const chunked = rows as AsyncIterable<Row> & { chunks?: () => AsyncIterable<Row[]> };
  if (typeof chunked.chunks === 'function') {
    yield* chunked.chunks();
    return;
  }
  let chunk: Row[] = [];
  for await (const row of rows) {
    chunk.push(row);
    if (chunk.length >= 500) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function addCounts(into: Counts, c: Counts): void {
  into.created += c.created;
  into.updated += c.updated;
  into.unchanged += c.unchanged;
  into.duplicates += c.duplicates;
  into.skipped += c.skipped;
  into.removed += c.removed;
  into.profilesCreated += c.profilesCreated;
}

async function insertErrors(client: pg.PoolClient, runId: number, importId: string, errors: StagedError[]): Promise<void> {
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
    // The store's queue of work: chunks are staged and merged one after the other on this connection.
    let loading: Promise<void> = Promise.resolve();
    // A statement of the queue failed: the connection's state is not known, so it is discarded.
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
      if (!pos.rows[0]) throw new Error(`run ${runId} of import ${importId} has no position row: was beginRun called?`);
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
      const usersEpoch = spec.dataType === 'activity' ? await knownUsers.check(client) : null;
      const scope = userScopeOf(spec);
      const mapping = compileMapping(spec, { firstUse: (user) => !knownUsers.has(scope, user) && users.firstUse(user) });
      const loader = loaders[spec.dataType];
      // The merges sort and hash a chunk at a time: keep that in memory.
      await client.query("SET LOCAL work_mem = '64MB'");
      await client.query(`CREATE TEMP TABLE stage (seq integer, ${loader.stageColumns}) ON COMMIT DROP`);

      const totals = zeroCounts();
      let rejected = 0;
      let chunksLoaded = 0;
      // Stage one chunk and merge it, after whatever the store is doing now.
      const load = (data: Buffer, lines: RowLines | null, errors: StagedError[]): void => {
        loading = loading.then(async () => {
          try {
            if (data.length > 0) {
              if (chunksLoaded++ > 0) await client.query('TRUNCATE stage');
              await copyIn(client, 'COPY stage FROM STDIN', data);
              const merged = await loader.merge({ client, spec, importId, runId });
              addCounts(totals, merged);
              if (loader.copyRowsInto && lines) {
                totals.created += await copyLinesExcept(client, `COPY ${loader.copyRowsInto} FROM STDIN`, lines, merged.skip ?? []);
              }
            }
            if (errors.length > 0) await insertErrors(client, runId, importId, errors);
          } catch (err) {
            storeFailed = true;
            throw err;
          }
        });
        loading.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
      };

      const { session } = await openSource(deps, spec.source.connection);
      const dedup = spec.dataType === 'activity' ? new BatchDedup() : null;
      let rows = 0;
      let lastCursor: string | null = null;
      let lastKey: string | null = null;
      // Two buffers in turn: one being sent to the store while the other is filled.
      const buffers = [new ChunkBuffer(STAGE_BUFFER_BYTES), new ChunkBuffer(STAGE_BUFFER_BYTES)];
      // Loaders that COPY rows straight into their table: the rows' lines, beside the stage's.
      const linePrefix = `${copyField(importId)}\t${runId}\t`;
      const lineBuffers = loader.copyRowsInto
        ? [new RowLineBuffer(CHUNK_BYTES + 64 * 1024, linePrefix), new RowLineBuffer(CHUNK_BYTES + 64 * 1024, linePrefix)]
        : null;
      const chunkBytes = (): number => buffers[filling]!.length + (lineBuffers?.[filling]!.length ?? 0);
      let filling = 0;
      let chunkRows = 0;
      let chunkLimit = FIRST_CHUNK_ROWS;
      let errors: StagedError[] = [];
      // Hand the chunk built so far to the store, once the store has finished the one before it.
      const flush = async (): Promise<void> => {
        await loading;
        load(buffers[filling]!.take(), lineBuffers?.[filling]!.take() ?? null, errors);
        filling = 1 - filling;
        chunkRows = 0;
        chunkLimit = Math.min(chunkLimit * 2, CHUNK_ROWS);
        errors = [];
        // Keys are unique within a chunk; across chunks the store's dedup memory sees the earlier ones.
        dedup?.reset();
        heartbeat({ stage: 'loading', rows });
      };
      try {
        const source = session.read(relationOf(spec), mapping.columns, {
          cursor: spec.cursor.column,
          key: spec.cursor.key,
          after,
          upperBound,
          limit,
        }, { json: jsonColumns(spec) });
        for await (const chunk of rowChunks(source)) {
          for (const row of chunk) {
            rows++;
            chunkRows++;
            // A row the source could not read (a malformed CSV record) is a row error as it stands.
            const unreadable = sourceRowError(row);
            const r: MapResult = unreadable ? { ok: false, ...unreadable } : mapping.map(row, rows);
            if (!r.ok) {
              rejected++;
              errors.push({ column: r.column, value: r.value, reason: r.reason, key: row[mapping.keyIndex] ?? null, cursor: row[mapping.cursorIndex] ?? null });
            } else if (dedup && r.dedup !== undefined && !dedup.firstSighting(r.dedup)) {
              // counted as a duplicate with the totals
            } else if (!r.text && !r.row) {
              // Nothing to stage (a segments row with an empty array): a row that changes nothing.
              totals.unchanged++;
            } else {
              if (r.text) buffers[filling]!.append(r.text);
              if (r.row && lineBuffers) lineBuffers[filling]!.append(rows, r.row);
            }
            if (rows % HEARTBEAT_EVERY_ROWS === 0) heartbeat({ stage: 'reading', rows });
          }
          const last = chunk[chunk.length - 1];
          if (last) {
            lastCursor = last[mapping.cursorIndex] ?? null;
            lastKey = last[mapping.keyIndex] ?? null;
          }
          if (chunkRows >= chunkLimit || chunkBytes() >= CHUNK_BYTES) await flush();
          // Rows arrive faster than they are mapped, so without this the loop would run on microtasks alone:
          // give the event loop a turn, to send the store its COPY data and notice when a merge is done.
          else await nextTurn();
        }
      } finally {
        await session.close();
      }
      if (rows === 0) {
        await loading;
        await client.query('ROLLBACK');
        committed = true;
        const run = await deps.store.query('SELECT * FROM runs WHERE id = $1', [runId]);
        return { rows: 0, done: true, position: after, run: runRecordOf(run.rows[0]) };
      }
      if (chunkBytes() > 0 || errors.length > 0) await flush();
      await loading;
      totals.duplicates += dedup?.duplicates ?? 0;
      const position: Position = { cursor: lastCursor!, key: lastKey! };
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
      if (spec.dataType === 'activity') knownUsers.addAll(scope, users.staged(), usersEpoch);
      return { rows, done: rows < limit, position, run: runRecordOf(run.rows[0]) };
    } finally {
      // Whatever the store is still doing ends first (its COPY data is always complete, so it does end).
      await loading.catch(() => undefined);
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
