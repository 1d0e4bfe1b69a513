/**
 * Parquet values as exact text (every value reaches the store as it was written).
 * hyparquet's own conversions are lossy: a DECIMAL goes through a double, timestamps become a Date
 * (milliseconds only) and a local timestamp is read as UTC. So parquet.ts reads DECIMALs unscaled
 * and timestamps and dates as raw counts (PARSERS, rawMetadata), and a renderer built here from
 * the column's schema element turns each raw value into its text:
 *   DECIMAL(p,s)        the unscaled integer with the point put back: 0.3, 12.50 (s digits kept)
 *   TIMESTAMP           ISO 8601 with every digit of its unit (.123, .123456, .123456789); a `Z` only
 *                       when isAdjustedToUTC, so a local one is read in the import's time zone
 *   INT96               nanoseconds, UTC (Spark's and Hive's convention for this legacy type)
 *   DATE                yyyy-MM-dd
 *   FLOAT, FLOAT16      the shortest text that reads back as the same 32-bit (16-bit) float (0.1, not 0.10000000149011612)
 *   DOUBLE              JavaScript's shortest round-trip text
 *   JSON                the document, numbers with every digit
 * A nested column (LIST, MAP, struct) is JSON text of its values rendered by the same rules (numbers
 * as JSON numbers, timestamps and dates as strings).
 */
import type { ParquetParsers, SchemaElement, SchemaTree } from 'hyparquet';
import { parseLossless, RawNumber, stringifyLossless, type LosslessValue } from '../../common/losslessJson';

const utf8 = new TextDecoder();

/** Parsers that keep hyparquet's raw counts and texts for the renderers here to format. */
export const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => v,
  timestampFromMicroseconds: (v: bigint) => v,
  timestampFromNanoseconds: (v: bigint) => v,
  dateFromDays: (days: number) => days,
  // JSON.parse would round big numbers: parse keeping their text (and keep text that is not JSON).
  jsonFromBytes: (bytes: Uint8Array | undefined) => {
    if (!bytes) return undefined;
    const text = utf8.decode(bytes);
    try {
      return parseLossless(text);
    } catch {
      return text;
    }
  },
};

const isDecimal = (e: SchemaElement): boolean => e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL';

/**
 * The metadata hyparquet reads with: DECIMAL annotations removed, so their unscaled integers (or
 * bytes) come through untouched instead of being multiplied into a double.
 */
export function rawMetadata<M extends { schema: SchemaElement[] }>(metadata: M): M {
  const schema = metadata.schema.map((e) =>
    isDecimal(e) ? { ...e, converted_type: undefined, logical_type: undefined } : e,
  );
  return { ...metadata, schema };
}

type Render = (v: unknown) => LosslessValue;

/** A top-level column's renderer: raw value (as read with PARSERS and rawMetadata) → its text, or null. */
export function columnText(column: SchemaTree): (v: unknown) => string | null {
  const render = renderer(column);
  return (v) => {
    const r = v === null || v === undefined ? null : render(v);
    if (r === null) return null;
    if (typeof r === 'string') return r;
    if (r instanceof RawNumber) return r.text;
    if (typeof r === 'boolean') return r ? 'true' : 'false';
    return stringifyLossless(r);
  };
}

/** The renderer of a schema node, mirroring how hyparquet assembles nested values (assemble.js). */
function renderer(node: SchemaTree): Render {
  const e = node.element;
  let render: Render;
  if (isList(node)) {
    let item = node.children[0]!;
    if (item.children.length === 1) item = item.children[0]!;
    const inner = nullable(renderer(item));
    render = (v) => (Array.isArray(v) ? v.map(inner) : generic(v));
  } else if (isMap(node)) {
    const inner = nullable(renderer(node.children[0]!.children[1]!));
    render = (v) => (isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inner(x)])) : generic(v));
  } else if (node.children.length > 0 && e.logical_type?.type !== 'VARIANT') {
    const fields = new Map(node.children.map((c) => [c.element.name, nullable(renderer(c))]));
    render = (v) =>
      isObject(v)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, (fields.get(k) ?? generic)(x)]))
        : generic(v);
  } else {
    render = node.children.length > 0 ? generic : leaf(e);
  }
  // A repeated field outside a LIST annotation (the legacy form) arrives as an array of its values.
  if (e.repetition_type === 'REPEATED') {
    const one = render;
    render = (v) => (Array.isArray(v) ? v.map(nullable(one)) : one(v));
  }
  return render;
}

const nullable =
  (r: Render): Render =>
  (v) =>
    v === null || v === undefined ? null : r(v);

function isList(node: SchemaTree): boolean {
  const first = node.children[0];
  return (
    node.element.converted_type === 'LIST' &&
    node.children.length === 1 &&
    first!.children.length <= 1 &&
    first!.element.repetition_type === 'REPEATED'
  );
}

function isMap(node: SchemaTree): boolean {
  const first = node.children[0];
  return (
    node.element.converted_type === 'MAP' &&
    node.children.length === 1 &&
    first!.children.length === 2 &&
    first!.element.repetition_type === 'REPEATED'
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** A primitive column's renderer, from its physical type and annotations. */
function leaf(e: SchemaElement): Render {
  const lt = e.logical_type;
  if (isDecimal(e)) {
    const scale = (lt?.type === 'DECIMAL' ? lt.scale : undefined) ?? e.scale ?? 0;
    return (v) => new RawNumber(decimalText(unscaled(v), scale));
  }
  if (e.type === 'INT96' && !e.converted_type) return timestamp(9, true);
  if (lt?.type === 'TIMESTAMP') return timestamp(UNIT_DIGITS[lt.unit], lt.isAdjustedToUTC);
  // The legacy annotations mean an instant (UTC), as isAdjustedToUTC=true does.
  if (e.converted_type === 'TIMESTAMP_MILLIS') return timestamp(3, true);
  if (e.converted_type === 'TIMESTAMP_MICROS') return timestamp(6, true);
  if (e.converted_type === 'DATE' || lt?.type === 'DATE')
    return (v) => (typeof v === 'number' ? dateText(v) : generic(v));
  // hyparquet parses JSON only under the legacy annotation (PARSERS.jsonFromBytes); the logical one alone comes as bytes.
  if (e.converted_type === 'JSON' || lt?.type === 'JSON')
    return (v) => (v instanceof Uint8Array ? generic(PARSERS.jsonFromBytes!(v)) : generic(v));
  if (e.type === 'FLOAT') return (v) => (typeof v === 'number' ? numberValue(v, float32Text) : generic(v));
  if (lt?.type === 'FLOAT16') return (v) => (typeof v === 'number' ? numberValue(v, float16Text) : generic(v));
  // Unannotated BYTE_ARRAY is text by convention (hyparquet's utf8 default, which parquet.ts turns off
  // so that unscaled DECIMAL bytes stay bytes).
  if (e.type === 'BYTE_ARRAY') return (v) => (v instanceof Uint8Array ? utf8.decode(v) : generic(v));
  return generic;
}

const UNIT_DIGITS = { MILLIS: 3, MICROS: 6, NANOS: 9 } as const;

function timestamp(digits: number, utc: boolean): Render {
  return (v) => (typeof v === 'bigint' || typeof v === 'number' ? timestampText(BigInt(v), digits, utc) : generic(v));
}

/** Any other value: numbers in their shortest exact form, bytes as base64, containers element-wise. */
function generic(v: unknown): LosslessValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean' || v instanceof RawNumber) return v;
  if (typeof v === 'bigint') return new RawNumber(v.toString());
  if (typeof v === 'number') return numberValue(v, String);
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(generic);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, generic);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, generic(x)]));
  throw new Error(`a Parquet value of type ${typeof v}`);
}

/** A JSON number, or (NaN, ±Infinity, which JSON has no number for) their names as text. */
const numberValue = (v: number, text: (v: number) => string): LosslessValue =>
  Number.isFinite(v) ? new RawNumber(text(v)) : String(v);

/**
 * The shortest decimal text that reads back, rounded to the narrower float (`round`), as the same value:
 * `digits` significant digits always identify one (9 for 32 bits, 5 for 16).
 */
function shortestText(v: number, round: (x: number) => number, digits: number): string {
  for (let p = 1; p < digits; p++) {
    const t = Number(v.toPrecision(p));
    if (round(t) === v) return String(t);
  }
  return String(Number(v.toPrecision(digits)));
}

/** The shortest decimal text that reads back (rounded to 32 bits) as the same float. */
export const float32Text = (v: number): string => shortestText(v, Math.fround, 9);

/** The shortest decimal text that reads back (rounded to 16 bits) as the same half-precision float. */
export const float16Text = (v: number): string => shortestText(v, f16round, 5);

/** `x` rounded to the nearest IEEE 754 half-precision value, ties to even (Math.f16round is not in Node 20). */
export function f16round(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(x) || a === 0) return x;
  if (a >= 65520) return Math.sign(x) * Infinity; // halfway past the largest half, 65504
  let e = Math.max(Math.floor(Math.log2(a)), -14);
  if (e > -14 && 2 ** e > a) e--; // log2 can be off by one next to a power of two
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  const f = Math.floor(q);
  const r = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  return Math.sign(x) * r * ulp;
}

/** A DECIMAL's unscaled value: INT32, INT64, or big-endian two's complement bytes. */
function unscaled(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (v instanceof Uint8Array) {
    let n = 0n;
    for (const b of v) n = (n << 8n) | BigInt(b);
    return v.length > 0 && v[0]! >= 0x80 ? n - (1n << BigInt(v.length * 8)) : n;
  }
  throw new Error(`a Parquet DECIMAL holds ${typeof v}`);
}

export function decimalText(n: bigint, scale: number): string {
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString();
  if (scale <= 0) return `${negative ? '-' : ''}${digits}${'0'.repeat(-scale)}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** `count` units of 10^-digits seconds since the epoch as ISO 8601, all digits kept. */
export function timestampText(count: bigint, digits: number, utc: boolean): string {
  const unit = 10n ** BigInt(digits);
  let seconds = count / unit;
  let fraction = count % unit;
  if (fraction < 0n) {
    fraction += unit;
    seconds -= 1n;
  }
  let days = seconds / 86_400n;
  let secondOfDay = Number(seconds % 86_400n);
  if (secondOfDay < 0) {
    secondOfDay += 86_400;
    days -= 1n;
  }
  const hh = Math.floor(secondOfDay / 3600);
  const mm = Math.floor((secondOfDay % 3600) / 60);
  const ss = secondOfDay % 60;
  const time = `${two(hh)}:${two(mm)}:${two(ss)}.${fraction.toString().padStart(digits, '0')}`;
  return `${dateText(Number(days))}T${time}${utc ? 'Z' : ''}`;
}

/** Days since 1970-01-01 as yyyy-MM-dd (the proleptic Gregorian calendar, any year). */
export function dateText(days: number): string {
  const [y, m, d] = civilFromDays(days);
  const year =
    y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : `${y < 0 ? '-' : '+'}${String(Math.abs(y)).padStart(6, '0')}`;
  return `${year}-${two(m)}-${two(d)}`;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Howard Hinnant's civil_from_days: exact for any day count (Date stops at ±100,000,000 days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}
