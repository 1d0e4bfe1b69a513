/**
 * A streaming RFC 4180 CSV parser over decoded text. Fields may be quoted; a quoted field holds
 * delimiters, newlines and doubled quotes. Records end at LF, CRLF or a CR alone, mixed or not, as
 * spreadsheets and Python's csv read them (a file saved with CR line ends is one record per line, not one
 * record holding the whole file); inside a quoted field any of them is data.
 * An empty unquoted field is NULL, an empty quoted one ("") is the empty string, so the two stay apart.
 *
 * Each record comes with the line it starts on and the byte offset of its start in the file, counted
 * from its text by the decoding's rule: that pair is the record's position, from which a resumed read
 * seeks. A malformed record (text after a closing quote, a quote never closed) is returned with an error
 * instead of its values, and parsing goes on at the next record.
 */

export interface CsvOptions {
  delimiter: string;
  quote: string;
  /** Bytes a piece of text took in the file (see decoding.ts). */
  bytesOf(text: string): number;
  /** Longest record, in characters: a quote never closed must not swallow the whole file into memory. */
  maxRecordChars?: number;
}

export interface CsvRecord {
  fields: (string | null)[];
  /** The 1-based line the record starts on. */
  line: number;
  /** Byte offset of the record's first byte in the file. */
  offset: number;
  /** Why the record could not be read, if it could not. */
  error: string | null;
}

const LF = 10;
const CR = 13;
const DEFAULT_MAX_RECORD_CHARS = 64 * 1024 * 1024;

export class CsvParser {
  private buf = '';
  private pos = 0;
  private line: number;
  private offset: number;
  private readonly delim: number;
  private readonly quoteCode: number;
  private readonly maxRecordChars: number;

  /** Start at `line` and byte `offset` of the file (1 and the BOM's length for a whole file). */
  constructor(
    private readonly options: CsvOptions,
    start: { line: number; offset: number },
  ) {
    if (options.delimiter.length !== 1) throw new Error('a CSV delimiter is one character');
    this.delim = options.delimiter.charCodeAt(0);
    this.quoteCode = options.quote.charCodeAt(0);
    this.line = start.line;
    this.offset = start.offset;
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  }

  /** Records completed by this text; an unfinished one waits for more. */
  push(text: string, out: CsvRecord[]): void {
    this.buf = this.pos === 0 ? this.buf + text : this.buf.slice(this.pos) + text;
    this.pos = 0;
    this.drain(false, out);
    if (this.buf.length - this.pos > this.maxRecordChars) {
      throw new Error(
        `line ${this.line}: a record longer than ${this.maxRecordChars} characters (is a quote never closed?)`,
      );
    }
  }

  /** The file has ended: the last record needs no newline. */
  end(out: CsvRecord[]): void {
    this.drain(true, out);
  }

  private drain(final: boolean, out: CsvRecord[]): void {
    for (;;) {
      const rec = this.record(final);
      if (rec === null) return;
      if (rec !== SKIP) out.push(rec);
    }
  }

  /** One record from `pos`, SKIP for a blank line, or null when the text so far does not complete one. */
  private record(final: boolean): CsvRecord | typeof SKIP | null {
    const buf = this.buf;
    const len = buf.length;
    const start = this.pos;
    if (start >= len) return null;
    const fields: (string | null)[] = [];
    let p = start;
    let newlines = 0;
    let error: string | null = null;
    const q = this.quoteCode;
    const d = this.delim;
    for (;;) {
      if (buf.charCodeAt(p) === q) {
        // A quoted field: runs to the next quote not doubled.
        let value = '';
        let from = p + 1;
        for (;;) {
          const close = buf.indexOf(this.options.quote, from);
          if (close < 0) {
            if (!final) return null;
            error = `a quoted field starting on line ${this.line + newlines} is never closed`;
            value += buf.slice(from);
            p = len;
            break;
          }
          value += buf.slice(from, close);
          if (close + 1 >= len && !final) return null; // a doubled quote may continue in the next chunk
          if (buf.charCodeAt(close + 1) === q) {
            value += this.options.quote;
            from = close + 2;
            continue;
          }
          p = close + 1;
          break;
        }
        newlines += countLf(value);
        // After the closing quote: a delimiter, the end of the record, or (malformed) more text.
        let c = buf.charCodeAt(p);
        if (p < len && c !== d && c !== LF && c !== CR) {
          const stop = nextStop(buf, p, d);
          if (stop < 0 && !final) return null;
          const end = stop < 0 ? len : stop;
          error ??= `line ${this.line + newlines}: text after the closing quote of field ${fields.length + 1}`;
          value += buf.slice(p, end);
          p = end;
          c = buf.charCodeAt(p);
        }
        if (p >= len) {
          if (!final) return null;
          fields.push(value);
          break;
        }
        // A CR just before the chunk's end may be the first half of a CR LF.
        if (c === CR && p + 1 >= len && !final) return null;
        fields.push(value);
        if (c === d) {
          p++;
          continue;
        }
        p += lineEnd(buf, p);
        newlines++;
        break;
      }
      // An unquoted field: up to the next delimiter or line end.
      const stop = nextStop(buf, p, d);
      if (stop < 0) {
        if (!final) return null;
        fields.push(emptyIsNull(buf.slice(p, len)));
        p = len;
        break;
      }
      const c = buf.charCodeAt(stop);
      if (c === CR && stop + 1 >= len && !final) return null; // the first half of a CR LF, perhaps
      fields.push(emptyIsNull(buf.slice(p, stop)));
      if (c !== d) {
        p = stop + lineEnd(buf, stop);
        newlines++;
        break;
      }
      p = stop + 1;
      if (p >= len && !final) return null; // a delimiter just before the chunk's end: one more field follows
      if (p >= len) {
        fields.push(null);
        break;
      }
    }
    const line = this.line;
    const offset = this.offset;
    this.pos = p;
    this.line += newlines;
    this.offset += this.options.bytesOf(p - start === len ? buf : buf.slice(start, p));
    // A blank line (a line end alone) is no record.
    if (fields.length === 1 && fields[0] === null && error === null) return SKIP;
    return { fields, line, offset, error };
  }
}

const SKIP = Symbol('blank line');

function countLf(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** The index of the next delimiter, LF or CR at or after `from`, or -1. */
function nextStop(buf: string, from: number, delim: number): number {
  for (let i = from; i < buf.length; i++) {
    const c = buf.charCodeAt(i);
    if (c === delim || c === LF || c === CR) return i;
  }
  return -1;
}

/** The length of the line end at `at` (an LF or a CR): 2 for CR LF, else 1. */
const lineEnd = (buf: string, at: number): number =>
  buf.charCodeAt(at) === CR && buf.charCodeAt(at + 1) === LF ? 2 : 1;

const emptyIsNull = (s: string): string | null => (s === '' ? null : s);
