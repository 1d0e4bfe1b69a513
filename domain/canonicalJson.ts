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

class Reader {
  i = 0;
  /** A number was met whose double differs from its text (the legacy rendering changed it). */
  inexact = false;
  /** The value of the string read last (string() returns its text). */
  stringValue = '';
  /** The first value the store cannot hold, reported once the whole text is known to be JSON. */
  unstorable: string | null = null;

  constructor(private readonly s: string) {}

  document(): string {
    const v = this.value();
    this.space();
    if (this.i !== this.s.length) this.fail();
    if (this.unstorable !== null) throw new UnstorableJsonError(this.unstorable);
    return v;
  }

  private fail(): never {
    throw new SyntaxError(`invalid JSON at position ${this.i}`);
  }

  private space(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  private value(): string {
    this.space();
    const c = this.s.charCodeAt(this.i);
    if (c === QUOTE) return this.string();
    if (c === 123) return this.object();
    if (c === 91) return this.array();
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    const word = c === 116 ? 'true' : c === 102 ? 'false' : c === 110 ? 'null' : null;
    if (word === null || !this.s.startsWith(word, this.i)) return this.fail();
    this.i += word.length;
    return word;
  }

  private object(): string {
    this.i++; // {
    this.space();
    if (this.s.charCodeAt(this.i) === 125) {
      this.i++;
      return '{}';
    }
    const keys: string[] = [];
    const texts: string[] = [];
    let sorted = true;
    for (;;) {
      this.space();
      if (this.s.charCodeAt(this.i) !== QUOTE) this.fail();
      const keyText = this.string();
      const key = this.stringValue;
      this.space();
      if (this.s.charCodeAt(this.i) !== 58) this.fail(); // :
      this.i++;
      const value = this.value();
      if (keys.length > 0 && !(keys[keys.length - 1]! < key)) sorted = false;
      keys.push(key);
      texts.push(`${keyText}:${value}`);
      this.space();
      const c = this.s.charCodeAt(this.i++);
      if (c === 44) continue; // ,
      if (c === 125) break; // }
      this.i--;
      this.fail();
    }
    if (!sorted) sortMembers(keys, texts);
    // Of equal keys (now side by side, in the order read), the last one wins, as in JSON.parse.
    let out = '{';
    for (let n = 0; n < keys.length; n++) {
      if (n + 1 < keys.length && keys[n + 1] === keys[n]) continue;
      out += out.length === 1 ? texts[n] : `,${texts[n]}`;
    }
    return `${out}}`;
  }

  private array(): string {
    this.i++; // [
    this.space();
    if (this.s.charCodeAt(this.i) === 93) {
      this.i++;
      return '[]';
    }
    let out = '[';
    for (;;) {
      out += this.value();
      this.space();
      const c = this.s.charCodeAt(this.i++);
      if (c === 44) {
        out += ',';
        continue;
      }
      if (c === 93) break;
      this.i--;
      this.fail();
    }
    return `${out}]`;
  }

  /** A string's text as JSON.stringify would write it; its value is left in stringValue (for keys). */
  private string(): string {
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
      this.stringValue = s.slice(start + 1, i);
      return s.slice(start, i + 1);
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
    this.stringValue = value;
    return JSON.stringify(value);
  }

  private number(): string {
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
    const text = s.slice(start, i);
    // An integer of at most 15 digits is a double exactly and prints as written (but -0 prints as 0).
    if (simple && intEnd - intStart <= 15 && text !== '-0') return text;
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

/**
 * Sort an object's members by key, in place, keeping equal keys in the order read. Most objects have a
 * few keys: an insertion sort of the two arrays side by side (no index array, no comparator closure).
 * Larger ones sort an index (stable), so a document with thousands of keys is not quadratic.
 */
function sortMembers(keys: string[], texts: string[]): void {
  if (keys.length > 16) {
    const order = keys.map((_, n) => n);
    order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
    const k = order.map((n) => keys[n]!);
    const t = order.map((n) => texts[n]!);
    for (let n = 0; n < k.length; n++) {
      keys[n] = k[n]!;
      texts[n] = t[n]!;
    }
    return;
  }
  for (let n = 1; n < keys.length; n++) {
    const key = keys[n]!;
    const text = texts[n]!;
    let m = n - 1;
    while (m >= 0 && keys[m]! > key) {
      keys[m + 1] = keys[m]!;
      texts[m + 1] = texts[m]!;
      m--;
    }
    keys[m + 1] = key;
    texts[m + 1] = text;
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
