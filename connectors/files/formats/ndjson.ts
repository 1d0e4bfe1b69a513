/**
 * NDJSON: one JSON object per line. A record's values are its top-level members: strings as they are,
 * numbers as their exact source text (no rounding through a double), booleans as true/false, null as
 * NULL, and objects or arrays as JSON text (for json-typed mappings). Blank lines are skipped; a line
 * that is not a JSON object is a row error naming its line, never quoting it: a file that is not NDJSON
 * (any text file a connection names) must not come back through its errors.
 */
import { parseLossless, RawNumber, stringifyLossless, type LosslessValue } from '../../common/losslessJson';

export interface NdjsonRecord {
  values: Map<string, string | null>;
  line: number;
  offset: number;
  error: string | null;
}

export class NdjsonParser {
  private buf = '';
  private line: number;
  private offset: number;

  constructor(
    private readonly bytesOf: (text: string) => number,
    start: { line: number; offset: number },
  ) {
    this.line = start.line;
    this.offset = start.offset;
  }

  push(text: string, out: NdjsonRecord[]): void {
    this.buf += text;
    let from = 0;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n', from)) {
      this.take(this.buf.slice(from, nl + 1), out);
      from = nl + 1;
    }
    this.buf = this.buf.slice(from);
  }

  end(out: NdjsonRecord[]): void {
    if (this.buf.length > 0) this.take(this.buf, out);
    this.buf = '';
  }

  private take(raw: string, out: NdjsonRecord[]): void {
    const line = this.line;
    const offset = this.offset;
    this.line++;
    this.offset += this.bytesOf(raw);
    const text = raw.trim();
    if (text === '') return;
    let parsed: LosslessValue;
    try {
      parsed = parseLossless(text);
    } catch (err) {
      // The parser's message quotes the text around the fault: only where it is is told (see notJson).
      out.push({ values: new Map(), line, offset, error: notJson(line, err) });
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || parsed instanceof RawNumber) {
      out.push({ values: new Map(), line, offset, error: `line ${line}: a JSON object was expected` });
      return;
    }
    const values = new Map<string, string | null>();
    for (const [k, v] of Object.entries(parsed)) values.set(k, jsonValueText(v));
    out.push({ values, line, offset, error: null });
  }
}

/** `line N: not JSON (at character K)`: where the parser stopped, none of the line's text. */
function notJson(line: number, err: unknown): string {
  const at = /\bat (?:position )?(\d+)/.exec((err as Error).message)?.[1];
  return `line ${line}: not JSON${at !== undefined ? ` (at character ${Number(at) + 1})` : ''}`;
}

export function jsonValueText(v: LosslessValue): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof RawNumber) return v.text;
  return stringifyLossless(v);
}
