/**
 * A chunk's COPY text, built outside the JavaScript heap as rows are mapped: each row's text is garbage
 * at once (cheap for the young generation), and the chunk itself lives in a reusable buffer.
 */
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { guardStream } from '../connectors/common/droppedConnection';
import type { BufferPool } from './bufferPool';

/**
 * Rows' texts are joined into a pending string and written to the buffer a few kilobytes at a time: each
 * Buffer.write costs about as much as the bytes of a short line, whatever its length.
 */
const PENDING_CHARS = 16 * 1024;

export class ChunkBuffer {
  private buf: Buffer;
  /** Bytes in buf. */
  written = 0;
  /** Text appended since the last flush, not yet in buf. */
  pending = '';

  /**
   * `capacity`: the first size; the buffer doubles as the text needs. With a pool, its buffers come from
   * there and go back to it (release()), so a chunk that needed a large one leaves it for the next batch.
   */
  constructor(
    capacity: number,
    private readonly pool: BufferPool | null = null,
  ) {
    this.buf = pool ? pool.acquire(capacity) : Buffer.allocUnsafe(capacity);
  }

  /** The bytes so far (the pending text counted as one byte a character: a lower bound). */
  get length(): number {
    return this.written + this.pending.length;
  }

  append(text: string): void {
    this.pending += text;
    if (this.pending.length >= PENDING_CHARS) this.flush();
  }

  /** Write the pending text into the buffer. */
  flush(): void {
    const text = this.pending;
    if (text === '') return;
    this.pending = '';
    const at = this.written;
    if (this.buf.length - at < text.length * 3) {
      const bytes = Buffer.byteLength(text);
      if (this.buf.length - at < bytes) {
        const size = Math.max(this.buf.length * 2, at + bytes);
        const bigger = this.pool ? this.pool.acquire(size) : Buffer.allocUnsafe(size);
        this.buf.copy(bigger, 0, 0, at);
        // No view of the smaller one is in use: take() hands out views only of what this buffer holds now.
        this.pool?.release(this.buf);
        this.buf = bigger;
      }
    }
    this.written += this.buf.write(text, at);
  }

  /** The bytes from `from` to the end of what is written (a view: valid until the buffer is appended to). */
  bytes(from: number): Buffer {
    return this.buf.subarray(from, this.written);
  }

  /** The bytes so far; the buffer must not be appended to again until they have been sent. */
  take(): Buffer {
    this.flush();
    const out = this.buf.subarray(0, this.written);
    this.written = 0;
    return out;
  }

  /** Give the buffer back to the pool, once no view of it is in use; this ChunkBuffer is done. */
  release(): void {
    this.pool?.release(this.buf);
    this.buf = EMPTY;
    this.written = 0;
    this.pending = '';
  }
}

const EMPTY = Buffer.alloc(0);

/** A chunk's rows for a loader that COPYs them straight into its table, each line known by its seq. */
export interface RowLines {
  data: Buffer;
  /** Seq of each line, ascending. */
  seqs: Int32Array;
  /** Byte offset where each line ends. */
  ends: Int32Array;
}

/**
 * Lines of COPY text, each tagged with the seq of the source row it came from, so the merge can name the
 * ones to leave out (duplicates) and the rest go to the store as they are, in a few contiguous slices.
 */
export class RowLineBuffer {
  private readonly text: ChunkBuffer;
  private seqs = new Int32Array(4096);
  private ends = new Int32Array(4096);
  count = 0;
  /** Lines from this index on are in the pending text, their ends counted in characters (settle()). */
  private settled = 0;

  constructor(
    capacity: number,
    private readonly prefix = '',
    pool: BufferPool | null = null,
  ) {
    this.text = new ChunkBuffer(capacity, pool);
  }

  get length(): number {
    return this.text.length;
  }

  /**
   * One line, ending with a newline, its only one (COPY text escapes those within values); the buffer's
   * prefix goes before it.
   */
  append(seq: number, line: string): void {
    if (this.count === this.seqs.length) {
      const seqs = new Int32Array(this.count * 2);
      seqs.set(this.seqs);
      this.seqs = seqs;
      const ends = new Int32Array(this.count * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    const text = this.text;
    text.pending = this.prefix ? text.pending + this.prefix + line : text.pending + line;
    this.seqs[this.count] = seq;
    this.ends[this.count] = text.written + text.pending.length;
    this.count++;
    if (text.pending.length >= PENDING_CHARS) this.settle();
  }

  /**
   * Write the pending lines. Their ends were counted in characters from where the text is written: right
   * when every character is one byte (ASCII); otherwise each line ends at its newline in the bytes written.
   */
  private settle(): void {
    const text = this.text;
    const at = text.written;
    const chars = text.pending.length;
    text.flush();
    if (text.written - at !== chars) {
      const bytes = text.bytes(at);
      let from = 0;
      for (let n = this.settled; n < this.count; n++) {
        const nl = bytes.indexOf(10, from);
        if (nl < 0) throw new Error('a COPY line without its newline');
        from = nl + 1;
        this.ends[n] = at + from;
      }
    }
    this.settled = this.count;
  }

  /** The lines so far (views of this buffer: not to be appended to until they have been sent). */
  take(): RowLines {
    this.settle();
    const out = {
      data: this.text.take(),
      seqs: this.seqs.subarray(0, this.count),
      ends: this.ends.subarray(0, this.count),
    };
    // The views above stay valid: the next chunk writes into fresh arrays.
    this.seqs = new Int32Array(this.seqs.length);
    this.ends = new Int32Array(this.ends.length);
    this.count = 0;
    this.settled = 0;
    return out;
  }

  /** Give the text's buffer back to its pool (see ChunkBuffer.release). */
  release(): void {
    this.text.release();
  }
}

/** COPY complete lines of text into the store and wait until the server has taken them all. */
export async function copyIn(client: pg.PoolClient, sql: string, data: Buffer | Buffer[]): Promise<number> {
  // The COPY's failure reaches us through `done`; a second error event must not be thrown.
  const copy = guardStream(client.query(copyFrom(sql)));
  const done = once(copy, 'finish');
  if (Array.isArray(data)) {
    for (const part of data) copy.write(part);
    copy.end();
  } else copy.end(data);
  await done;
  return Number(copy.rowCount ?? 0);
}

/**
 * COPY the lines but those whose seq is in `skip` (ascending): the lines between them go as slices of
 * the buffer, nothing copied. Returns the number of lines the store took.
 */
export async function copyLinesExcept(
  client: pg.PoolClient,
  sql: string,
  lines: RowLines,
  skip: number[],
): Promise<number> {
  if (lines.seqs.length === 0) return 0;
  const parts: Buffer[] = [];
  let from = 0; // byte offset of the first line not yet sent
  let lo = 0; // lines before this index are behind us
  for (const seq of skip) {
    // Binary search for the line of this seq.
    let a = lo;
    let b = lines.seqs.length - 1;
    let at = -1;
    while (a <= b) {
      const mid = (a + b) >> 1;
      const s = lines.seqs[mid]!;
      if (s === seq) {
        at = mid;
        break;
      }
      if (s < seq) a = mid + 1;
      else b = mid - 1;
    }
    if (at < 0) throw new Error(`the merge named row ${seq} to leave out, which is not in the chunk`);
    const start = at === 0 ? 0 : lines.ends[at - 1]!;
    if (start > from) parts.push(lines.data.subarray(from, start));
    from = lines.ends[at]!;
    lo = at + 1;
  }
  if (from < lines.data.length) parts.push(lines.data.subarray(from));
  if (parts.length === 0) return 0;
  return copyIn(client, sql, parts);
}
