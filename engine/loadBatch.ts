/**
 * The one batch path, free of Temporal: read the source after a position up to the run's upper bound,
 * map and validate each row, drop in-batch duplicates, and load the rest into the store, inside the
 * caller's transaction. importBatch commits it with the position and the run's counters; the dry run
 * rolls it back. Both run exactly this code, so what a dry run predicts is what a run does.
 *
 * The batch is loaded in chunks, pipelined: while the store stages and merges one chunk, the worker reads
 * and maps the next. At most one chunk is in the store's hands and one is being built, so memory stays
 * bounded whatever the batch size. Applying a batch chunk by chunk is the same as applying smaller batches
 * in cursor order, inside one transaction.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import { type ImportSpec, jsonColumns } from '../domain/importSpec';
import { type Counts, type LoadContext, type Loader, type MergeResult, zeroCounts } from '../store/loaders/types';
import { dataTypes } from '../dataTypes';
import { stageTableColumns } from '../dataTypes/dataType';
import { addCounts } from '../store/runs';
import { type Position, type SourceSession, sourceRowError } from '../connectors/source';
import { relationOf } from './extract';
import { copyField, type MapResult, type RowError } from './mapValidate';
import { compileMapping } from './compileMapping';
import { ChunkBuffer, copyIn, copyLinesExcept, RowLineBuffer, type RowLines } from './chunkBuffers';
import { BufferPool } from './bufferPool';
import { BatchDedup } from './dedup';
import { type CursorKind, sourceOrderOf } from './sourceOrder';

/**
 * A chunk goes to the store when it holds this many source rows or its share of CHUNK_BYTES of COPY text.
 * The first chunks of a batch are smaller, so the store starts working early; then they double. The two
 * chunks in hand (one being built, one being sent) are what is resident in the worker.
 */
const FIRST_CHUNK_ROWS = 2_500;
const CHUNK_ROWS = 20_000;
/**
 * COPY text in the chunks being built, for the whole worker: batches running at once (a backfill's
 * partitions) share it, each down to MIN_CHUNK_BYTES, so the worker's chunk buffers stay about the same
 * size however many batches it runs.
 */
const CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_CHUNK_BYTES = 1024 * 1024;
/** A chunk buffer's first size: it grows to what the batch's chunks need (a small batch stays small). */
const FIRST_BUFFER_BYTES = 64 * 1024;
const HEARTBEAT_EVERY_ROWS = 2000;

/**
 * The chunk buffers of this worker's batches, reused from batch to batch. What it keeps idle is about the
 * four buffers of one batch at full chunks; batches running at once beyond that borrow new ones.
 */
const copyBuffers = new BufferPool(4 * (CHUNK_BYTES + 1024 * 1024));
/** Batches of this worker now building chunks. */
let batchesRunning = 0;
/** A batch's share of CHUNK_BYTES when `batches` batches of the worker are building chunks. */
export const chunkByteShare = (batches: number): number =>
  Math.max(MIN_CHUNK_BYTES, Math.floor(CHUNK_BYTES / Math.max(1, batches)));

type Row = (string | null)[];

/** A rejected row, with where it stands: its 1-based place in the batch, its source key and cursor. */
export type BatchRowError = RowError & { row: number; key: string | null; cursor: string | null };

export interface LoadBatchInput {
  /** A store connection inside the caller's open transaction. */
  client: pg.PoolClient;
  session: SourceSession;
  spec: ImportSpec;
  importId: string;
  runId: number;
  after: Position | null;
  upperBound: string;
  limit: number;
  /** The kind of the cursor column, which says how rows are ordered across streams (null: unknown). */
  cursorKind: CursorKind | null;
  /** Whether an event's user is seen for the first time (and so staged for creation); default: always. */
  firstUse?: (user: string) => boolean;
  /** Rejected rows of one chunk, handed over on the store's queue (importBatch records them). */
  onRowErrors(client: pg.PoolClient, errors: BatchRowError[]): Promise<void>;
  /** Called while reading and loading (the activity heartbeats). */
  onProgress?(stage: 'reading' | 'loading', rows: number): void;
}

export interface LoadBatchResult {
  rows: number;
  rejected: number;
  counts: Counts;
  /** The (cursor, key) of the last row read, null when none was. */
  last: Position | null;
}

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

/**
 * Load one batch into the caller's transaction. Throws what the source or the store throws; an error from
 * a statement on the store is marked (isStoreFailure): that connection's state is unknown, so the caller
 * discards it rather than reuse it.
 */
export async function loadBatch(input: LoadBatchInput): Promise<LoadBatchResult> {
  const { client, session, spec, importId, runId, after, upperBound, limit } = input;
  const mapping = compileMapping(spec, {
    ...(input.firstUse ? { firstUse: input.firstUse } : {}),
    sourceOrder: sourceOrderOf(input.cursorKind, spec.timeZone),
  });
  const dataType = dataTypes[spec.dataType];
  const loader = dataType.loader;
  // The merges sort and hash a chunk at a time: keep that in memory.
  await client.query("SET LOCAL work_mem = '64MB'");
  await client.query(`CREATE TEMP TABLE stage (seq integer, ${stageTableColumns(dataType.stage)}) ON COMMIT DROP`);

  const totals = zeroCounts();
  let rejected = 0;
  let chunksLoaded = 0;
  // The store's queue of work: chunks are staged and merged one after the other on this connection.
  let loading: Promise<void> = Promise.resolve();
  let storeFailed = false;
  // Stage one chunk and merge it, after whatever the store is doing now.
  const load = (data: Buffer, lines: RowLines | null, errors: BatchRowError[]): void => {
    loading = loading.then(async () => {
      try {
        if (data.length > 0) {
          if (chunksLoaded++ > 0) await client.query('TRUNCATE stage');
          await copyIn(client, 'COPY stage FROM STDIN', data);
          const merged = await mergeChunk(client, loader, { client, spec, importId, runId }, lines);
          addCounts(totals, merged);
        }
        if (errors.length > 0) await input.onRowErrors(client, errors);
      } catch (err) {
        storeFailed = true;
        throw err;
      }
    });
    loading.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
  };

  const dedup = dataType.dedupInChunk ? new BatchDedup() : null;
  let rows = 0;
  let last: Position | null = null;
  // Two buffers in turn: one being sent to the store while the other is filled.
  const buffers = [new ChunkBuffer(FIRST_BUFFER_BYTES, copyBuffers), new ChunkBuffer(FIRST_BUFFER_BYTES, copyBuffers)];
  // Loaders that COPY rows straight into their table: the rows' lines, beside the stage's.
  const linePrefix = `${copyField(importId)}\t${runId}\t`;
  const lineBuffers = loader.copyRowsInto
    ? [
        new RowLineBuffer(FIRST_BUFFER_BYTES, linePrefix, copyBuffers),
        new RowLineBuffer(FIRST_BUFFER_BYTES, linePrefix, copyBuffers),
      ]
    : null;
  let filling = 0;
  const chunkBytes = (): number => buffers[filling]!.length + (lineBuffers?.[filling]!.length ?? 0);
  let chunkRows = 0;
  let chunkLimit = FIRST_CHUNK_ROWS;
  let errors: BatchRowError[] = [];
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
    input.onProgress?.('loading', rows);
  };
  batchesRunning++;
  try {
    const source = session.read(
      relationOf(spec),
      mapping.columns,
      { cursor: spec.cursor.column, key: spec.cursor.key, after, upperBound, limit },
      { json: jsonColumns(spec) },
    );
    for await (const chunk of rowChunks(source)) {
      for (const row of chunk) {
        rows++;
        chunkRows++;
        // A row the source could not read (a malformed CSV record) is a row error as it stands.
        const unreadable = sourceRowError(row);
        const r: MapResult = unreadable ? { ok: false, ...unreadable } : mapping.map(row, rows);
        if (!r.ok) {
          rejected++;
          errors.push({
            row: rows,
            column: r.column,
            value: r.value,
            reason: r.reason,
            key: row[mapping.keyIndex] ?? null,
            cursor: row[mapping.cursorIndex] ?? null,
          });
        } else if (dedup && r.dedup !== undefined && !dedup.firstSighting(r.dedup)) {
          // counted as a duplicate with the totals
        } else if (!r.text && !r.row) {
          // Nothing to stage (a segments row with an empty array): a row that changes nothing.
          totals.unchanged++;
        } else {
          if (r.text) buffers[filling]!.append(r.text);
          if (r.row && lineBuffers) lineBuffers[filling]!.append(rows, r.row);
        }
        if (rows % HEARTBEAT_EVERY_ROWS === 0) input.onProgress?.('reading', rows);
      }
      const end = chunk[chunk.length - 1];
      if (end) last = { cursor: end[mapping.cursorIndex]!, key: end[mapping.keyIndex]! };
      if (chunkRows >= chunkLimit || chunkBytes() >= chunkByteShare(batchesRunning)) await flush();
      // Rows arrive faster than they are mapped, so without this the loop would run on microtasks alone:
      // give the event loop a turn, to send the store its COPY data and notice when a merge is done.
      else await nextTurn();
    }
    if (rows > 0 && (chunkBytes() > 0 || errors.length > 0)) await flush();
    await loading;
  } catch (err) {
    // Whatever the store is still doing ends first (its COPY data is always complete, so it does end).
    await loading.catch(() => undefined);
    throw storeFailed ? markStoreFailure(err) : err;
  } finally {
    batchesRunning--;
    // The store is done with every chunk (awaited above either way): the buffers can serve another batch.
    for (const b of buffers) b.release();
    for (const b of lineBuffers ?? []) b.release();
  }
  totals.duplicates += dedup?.duplicates ?? 0;
  return { rows, rejected, counts: totals, last };
}

/** Times a chunk is merged again after its COPY met a concurrent transaction's rows (see Loader). */
const UNIQUE_RETRIES = 5;

/**
 * Merge the staged chunk and, for loaders that COPY their rows, COPY the lines the merge did not leave
 * out (counted as created). A loader whose COPY can meet a concurrent transaction's keys runs both from a
 * savepoint, and again when the COPY fails on that index: the merge then sees the committed rows.
 */
export async function mergeChunk(
  client: pg.PoolClient,
  loader: Loader,
  ctx: LoadContext,
  lines: RowLines | null,
): Promise<MergeResult> {
  const copy = async (merged: MergeResult): Promise<MergeResult> => {
    if (!loader.copyRowsInto || !lines) return merged;
    const created = await copyLinesExcept(client, `COPY ${loader.copyRowsInto} FROM STDIN`, lines, merged.skip ?? []);
    return { ...merged, created: (merged.created ?? 0) + created };
  };
  const index = loader.retryOnUniqueViolation;
  if (!index || !loader.copyRowsInto || !lines) return copy(await loader.merge(ctx));
  for (let attempt = 1; ; attempt++) {
    await client.query('SAVEPOINT chunk');
    try {
      const merged = await copy(await loader.merge(ctx));
      await client.query('RELEASE SAVEPOINT chunk');
      return merged;
    } catch (err) {
      const e = err as { code?: unknown; constraint?: unknown };
      if (e.code !== '23505' || e.constraint !== index || attempt >= UNIQUE_RETRIES) throw err;
      await client.query('ROLLBACK TO SAVEPOINT chunk');
    }
  }
}

const STORE_FAILED = Symbol('tributary.storeFailed');

function markStoreFailure(err: unknown): unknown {
  if (err !== null && typeof err === 'object') (err as Record<symbol, boolean>)[STORE_FAILED] = true;
  return err;
}

/** Whether loadBatch threw because a statement on the store failed (the connection must be discarded). */
export const isStoreFailure = (err: unknown): boolean =>
  err !== null && typeof err === 'object' && (err as Record<symbol, boolean>)[STORE_FAILED] === true;
