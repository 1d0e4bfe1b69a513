/**
 * Canonical JSON text of a JSON document, read in one pass over its text: no whitespace, object keys
 * sorted (UTF-16 code unit order; a repeated key keeps its last value, as JSON.parse does), strings as
 * JSON.stringify writes them, numbers as JavaScript prints them whenever that is the same number.
 *
 * Why not JSON.parse and back: a parse turns every number into a double, so 12345678901234567890 came back
 * as 12345678901234567000 and 1e400 as null, silently. Here a number that a double cannot hold keeps its
 * exact value, in the same notation JavaScript uses (digits, then an exponent past 21 digits). Reading
 * the text once is also about twice as fast as building the objects and printing them again.
 *
 * The dedup memory hashes this text for events, and remembers keys across versions: for every document
 * whose numbers a double holds exactly, the text is the one earlier versions produced (legacyCanonicalJson,
 * kept to prove it). For the rare document that has a number a double cannot hold, `key` is that earlier
 * text, so an event loaded before this fix is still known as the same event; `json`, what is stored, is exact.
 */
import { exactNumber, fitsStoreNumeric, NUMERIC_LIMITS, sameNumber } from './decimalText';
import { unstorable } from './storableText';

export interface CanonicalJson {
  /** The exact canonical text: what is stored. */
  json: string;
  /** The text the dedup key is computed from: `json`, unless a number lost digits in the earlier rendering. */
  key: string;
}

export function canonicalJsonText(raw: string): CanonicalJson {
  const reader = new Reader(raw);
  const json = reader.document();
  return { json, key: reader.inexact ? legacyCanonicalJson(JSON.parse(raw)) : json };
}

/**
 * Valid JSON the store cannot hold: a number past its numeric type's limits, or a string with a NUL or an
 * unpaired surrogate (jsonb refuses both). A row error; left to the store, it would fail the whole batch.
 */
export class UnstorableJsonError extends Error {
  constructor(readonly what: string) {
    super(`JSON holds ${what}`);
  }
}

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * The members of the objects being read, innermost last, shared by every read (a read is synchronous and
 * restores the top it found): a member's key, where its text starts and ends in the document, and its
 * canonical text, or null when that is the document's own text there. No arrays per object.
 */
const memberKeys: string[] = [];
const memberStarts: number[] = [];
const memberEnds: number[] = [];
const memberTexts: (string | null)[] = [];
/** Past this many members, the shared stacks are let go after a read rather than kept for the next. */
const KEEP_MEMBERS = 1024;

/**
 * Each read returns a value's canonical text, or null when that text is the document's own text from
 * valueStart to the read's end (no whitespace, keys in order, strings and numbers as JSON.stringify writes
 * them): the common case costs no string at all, and a document already canonical is returned as it is.
 */
class Reader {
  i = 0;
  /** A number was met whose double differs from its text (the legacy rendering changed it). */
  inexact = false;
  /** Where the value read last starts (after any whitespace). */
  valueStart = 0;
  /** The value of the key read last (key() returns its text, or null when written canonically). */
  keyValue = '';
  /** The first value the store cannot hold, reported once the whole text is known to be JSON. */
  unstorable: string | null = null;
  /** The top of the shared member stacks. */
  private top = 0;

  constructor(private readonly s: string) {}

  document(): string {
    try {
      const v = this.value();
      const start = this.valueStart;
      const end = this.i;
      this.space();
      if (this.i !== this.s.length) this.fail();
      if (this.unstorable !== null) throw new UnstorableJsonError(this.unstorable);
      if (v !== null) return v;
      return start === 0 && end === this.s.length ? this.s : this.s.slice(start, end);
    } finally {
      if (memberKeys.length > KEEP_MEMBERS) {
        memberKeys.length = 0;
        memberStarts.length = 0;
        memberEnds.length = 0;
        memberTexts.length = 0;
      }
    }
  }

  private fail(): never {
    throw new SyntaxError(`invalid JSON at position ${this.i}`);
  }

  /** Skips whitespace; whether there was any. */
  private space(): boolean {
    const s = this.s;
    const from = this.i;
    let i = from;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
    return i !== from;
  }

  private value(): string | null {
    this.space();
    const start = this.i;
    const c = this.s.charCodeAt(start);
    let v: string | null;
    if (c === QUOTE) v = this.string(false);
    else if (c === 123) v = this.object();
    else if (c === 91) v = this.array();
    else if (c === 45 || (c >= 48 && c <= 57)) v = this.number();
    else {
      const word = c === 116 ? 'true' : c === 102 ? 'false' : c === 110 ? 'null' : null;
      if (word === null || !this.s.startsWith(word, start)) return this.fail();
      this.i += word.length;
      v = null;
    }
    this.valueStart = start;
    return v;
  }

  private object(): string | null {
    const s = this.s;
    this.i++; // {
    let verbatim = !this.space();
    if (s.charCodeAt(this.i) === 125) {
      this.i++;
      return verbatim ? null : '{}';
    }
    const base = this.top;
    let sorted = true;
    for (;;) {
      if (this.space()) verbatim = false;
      if (s.charCodeAt(this.i) !== QUOTE) this.fail();
      const keyStart = this.i;
      const keyText = this.string(true);
      const key = this.keyValue;
      const keyEnd = this.i;
      // Whether the member's text in the document is its canonical text.
      let member = !this.space() && keyText === null;
      if (s.charCodeAt(this.i) !== 58) this.fail(); // :
      this.i++;
      const value = this.value();
      if (this.valueStart !== keyEnd + 1) member = false;
      const end = this.i;
      const top = this.top;
      if (top > base && !(memberKeys[top - 1]! < key)) sorted = false;
      memberKeys[top] = key;
      memberStarts[top] = keyStart;
      memberEnds[top] = end;
      if (member && value === null) memberTexts[top] = null;
      else {
        memberTexts[top] = `${keyText ?? s.slice(keyStart, keyEnd)}:${value ?? s.slice(this.valueStart, end)}`;
        verbatim = false;
      }
      this.top = top + 1;
      if (this.space()) verbatim = false;
      const c = s.charCodeAt(this.i++);
      if (c === 44) continue; // ,
      if (c === 125) break; // }
      this.i--;
      this.fail();
    }
    const top = this.top;
    this.top = base;
    if (sorted && verbatim) return null;
    if (!sorted) sortMembers(base, top);
    // Of equal keys (now side by side, in the order read), the last one wins, as in JSON.parse.
    let out = '{';
    for (let n = base; n < top; n++) {
      if (n + 1 < top && memberKeys[n + 1] === memberKeys[n]) continue;
      const text = memberTexts[n] ?? s.slice(memberStarts[n], memberEnds[n]);
      out += out.length === 1 ? text : `,${text}`;
    }
    return `${out}}`;
  }

  private array(): string | null {
    const s = this.s;
    const open = this.i;
    this.i++; // [
    const spaced = this.space();
    if (s.charCodeAt(this.i) === 93) {
      this.i++;
      return spaced ? '[]' : null;
    }
    // The canonical text, once it differs from the document's: until then, the document's text is it.
    let out: string | null = spaced ? '[' : null;
    for (;;) {
      const before = this.i;
      const v = this.value();
      if (out === null && (v !== null || this.valueStart !== before)) out = s.slice(open, before);
      if (out !== null) out += v ?? s.slice(this.valueStart, this.i);
      const after = this.i;
      if (this.space() && out === null) out = s.slice(open, after);
      const c = s.charCodeAt(this.i++);
      if (c === 44) {
        if (out !== null) out += ',';
        continue;
      }
      if (c === 93) break;
      this.i--;
      this.fail();
    }
    return out === null ? null : `${out}]`;
  }

  /**
   * A string's text as JSON.stringify would write it, or null when that is its text in the document; for a
   * key, its value is left in keyValue.
   */
  private string(isKey: boolean): string | null {
    const s = this.s;
    const start = this.i;
    let i = start + 1;
    let plain = true;
    for (;;) {
      if (i >= s.length) this.fail();
      const c = s.charCodeAt(i);
      if (c === QUOTE) break;
      if (c < 32) {
        this.i = i;
        this.fail();
      }
      if (c === BACKSLASH) {
        plain = false;
        i += 2;
        continue;
      }
      // Surrogates: a lone one is written escaped by JSON.stringify; leave both kinds to it.
      if (c >= 0xd800 && c <= 0xdfff) plain = false;
      i++;
    }
    this.i = i + 1;
    // Without escapes or surrogates, the text is already what JSON.stringify writes.
    if (plain) {
      if (isKey) this.keyValue = s.slice(start + 1, i);
      return null;
    }
    let value: string;
    try {
      value = JSON.parse(s.slice(start, i + 1)) as string;
    } catch {
      this.i = start;
      return this.fail();
    }
    // Escapes can spell what the store refuses (\u0000, a lone \ud800).
    const bad = unstorable(value);
    if (bad) this.unstorable ??= `a string with ${bad}`;
    if (isKey) this.keyValue = value;
    return JSON.stringify(value);
  }

  private number(): string | null {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    const intStart = i;
    if (s.charCodeAt(i) === 48) i++;
    else if (isDigit(s.charCodeAt(i))) while (isDigit(s.charCodeAt(i))) i++;
    else {
      this.i = i;
      this.fail();
    }
    const intEnd = i;
    let simple = true;
    if (s.charCodeAt(i) === 46) {
      i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.i = i;
        this.fail();
      }
      while (isDigit(s.charCodeAt(i))) i++;
      simple = false;
    }
    const e = s.charCodeAt(i);
    if (e === 101 || e === 69) {
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.i = i;
        this.fail();
      }
      while (isDigit(s.charCodeAt(i))) i++;
      simple = false;
    }
    this.i = i;
    // An integer of at most 15 digits is a double exactly and prints as written (but -0 prints as 0).
    if (simple && intEnd - intStart <= 15 && !(i - start === 2 && s.charCodeAt(start + 1) === 48 && intStart > start))
      return null;
    const text = s.slice(start, i);
    const printed = JSON.stringify(Number(text));
    if (sameNumber(text, printed)) return printed;
    this.inexact = true;
    const exact = exactNumber(text);
    if (!fitsStoreNumeric(exact)) {
      this.unstorable ??= `a number out of the store's range ${NUMERIC_LIMITS}: ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
    }
    return exact;
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Moves member `from` of the shared stacks to place `to`. */
function moveMember(from: number, to: number): void {
  memberKeys[to] = memberKeys[from]!;
  memberStarts[to] = memberStarts[from]!;
  memberEnds[to] = memberEnds[from]!;
  memberTexts[to] = memberTexts[from] ?? null;
}

/**
 * Sort the members from base to top by key, in place, keeping equal keys in the order read. Most objects
 * have a few keys: an insertion sort of the stacks side by side (no index array, no comparator closure).
 * Larger ones sort an index (stable), so a document with thousands of keys is not quadratic.
 */
function sortMembers(base: number, top: number): void {
  if (top - base > 16) {
    const order: number[] = [];
    for (let n = base; n < top; n++) order.push(n);
    order.sort((a, b) => (memberKeys[a]! < memberKeys[b]! ? -1 : memberKeys[a]! > memberKeys[b]! ? 1 : a - b));
    const k = order.map((n) => memberKeys[n]!);
    const st = order.map((n) => memberStarts[n]!);
    const en = order.map((n) => memberEnds[n]!);
    const t = order.map((n) => memberTexts[n] ?? null);
    for (let n = 0; n < k.length; n++) {
      memberKeys[base + n] = k[n]!;
      memberStarts[base + n] = st[n]!;
      memberEnds[base + n] = en[n]!;
      memberTexts[base + n] = t[n] ?? null;
    }
    return;
  }
  for (let n = base + 1; n < top; n++) {
    const key = memberKeys[n]!;
    const start = memberStarts[n]!;
    const end = memberEnds[n]!;
    const text = memberTexts[n] ?? null;
    let m = n - 1;
    while (m >= base && memberKeys[m]! > key) {
      moveMember(m, m + 1);
      m--;
    }
    memberKeys[m + 1] = key;
    memberStarts[m + 1] = start;
    memberEnds[m + 1] = end;
    memberTexts[m + 1] = text;
  }
}

/**
 * The rendering of earlier versions: JSON.parse, then keys sorted and values printed. Numbers pass
 * through doubles. Kept as the dedup key's text for documents whose numbers a double cannot hold.
 */
export function legacyCanonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(legacyCanonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${legacyCanonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}
