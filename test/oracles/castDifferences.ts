/**
 * Where our conversions deliberately differ from Postgres's casts, each with its reason (docs/values.md says
 * the same to users). A value the differential finds differing must match one of these; each must match at
 * least one value of the corpus. The predicates describe the inputs as the docs do, not as the code reads
 * them.
 */
import type { Compared, OracleKind } from './castOracle';

export type Outcome = 'agree' | 'we refuse' | 'we read' | 'different value' | 'store fails';

export interface Difference {
  id: string;
  checks: OracleKind[];
  outcome: Exclude<Outcome, 'agree' | 'store fails'>;
  /** Only for values read with this format (none: only without a format). */
  format?: string;
  reason: string;
  applies(raw: string, c: Compared): boolean;
}

/** agree: same value, or both refuse. store fails: we accepted a value the store cannot read back (a bug). */
export function classify(c: Compared): Outcome {
  const pgReads = c.postgres.startsWith('=');
  if (c.ours === null) return pgReads ? 'we refuse' : 'agree';
  if (c.ours.startsWith('!')) return pgReads ? 'store fails' : 'we read';
  if (!pgReads) return 'we read';
  return c.ours === c.postgres ? 'agree' : 'different value';
}

/** What surrounds the value's text once trimmed as JavaScript trims (all Unicode white space and the BOM). */
function edges(raw: string): string {
  const t = raw.trim();
  if (t === '') return raw;
  const i = raw.indexOf(t);
  return raw.slice(0, i) + raw.slice(i + t.length);
}
const unicodeSpaceAround = (raw: string): boolean => /[^ \t\n\v\f\r]/.test(edges(raw));

/** The number syntax of JSON (RFC 8259). */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
/** The timestamp forms docs/values.md lists: ISO 8601, dd/MM/yyyy HH:mm:ss, epoch numbers. */
const ISO_FORM =
  /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const SLASH_FORM = /^\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{1,2}:\d{1,2}$/;
const EPOCH_FORM = /^-?\d+(?:\.\d+)?$/;
const timestampForm = (s: string): boolean => ISO_FORM.test(s) || SLASH_FORM.test(s) || EPOCH_FORM.test(s);
/** The date forms: yyyy-MM-dd, or a date-time at exactly midnight with no offset or a zero one. */
const DATE_FORM =
  /^\d{4}-\d{2}-\d{2}(?:[Tt ]00:00(?::00(?:[.,]0{1,9})?)?)?\s*(?:[Zz]|[+-]00(?::?00)?)?$|^\d{1,2}\/\d{1,2}\/\d{4} 0{1,2}:0{1,2}:0{1,2}$/;
/** Postgres's epoch seconds of the instant, when it read one. */
const pgEpoch = (c: Compared): number => Number(c.postgres.slice(1));
/** Epoch seconds text (`=-12.5`, `1767225600.123456`) as whole microseconds, exactly (digits past them dropped). */
function micros(text: string): bigint {
  const t = text.replace(/^=/, '').trim();
  const neg = t.startsWith('-');
  const [int, frac = ''] = (neg ? t.slice(1) : t).split('.');
  const v = BigInt(int!) * 1_000_000n + BigInt(frac.padEnd(6, '0').slice(0, 6));
  return neg ? -v : v;
}

const NUMERIC: OracleKind[] = ['numeric', 'float8'];
const SCALARS: OracleKind[] = ['numeric', 'float8', 'boolean', 'timestamptz', 'date'];

export const DIFFERENCES: Difference[] = [
  {
    id: 'unicode-white-space',
    checks: SCALARS,
    outcome: 'we read',
    reason:
      'a value is trimmed of all Unicode white space (no-break space, em space, a BOM…) before it is read; Postgres trims ASCII white space only',
    applies: (raw) => unicodeSpaceAround(raw),
  },
  {
    id: 'json-number-syntax',
    checks: NUMERIC,
    outcome: 'we refuse',
    reason:
      "a number is written as JSON writes it (optional minus, no leading zeros, optional fraction and exponent), so the stored number is the source's text; " +
      'Postgres also reads a leading plus, a bare point (.5, 5.), leading zeros (often a code such as a ZIP code, not a quantity), 0x/0o/0b integers and digit separators (1_000)',
    applies: (raw) => !JSON_NUMBER.test(raw.trim()) && !/^[+-]?(nan|inf|infinity)$/i.test(raw.trim()),
  },
  {
    id: 'no-nan-infinity',
    checks: NUMERIC,
    outcome: 'we refuse',
    reason: "NaN and ±Infinity are refused: JSON, and so the store's jsonb, has no such numbers",
    applies: (raw) => /^[+-]?(nan|inf|infinity)$/i.test(raw.trim()),
  },
  {
    id: 'exact-numbers',
    checks: ['float8'],
    outcome: 'we read',
    reason:
      'numbers are kept exactly (jsonb holds numeric), also beyond the range of a double, where ::float8 refuses them',
    applies: (raw) => JSON_NUMBER.test(raw.trim()),
  },
  {
    id: 'no-negative-zero',
    checks: ['float8'],
    outcome: 'different value',
    reason: '-0 is stored as 0: numeric, what jsonb keeps numbers as, has no negative zero (a double has)',
    applies: (raw) => JSON_NUMBER.test(raw.trim()) && raw.trim().startsWith('-') && Number(raw.trim()) === 0,
  },
  {
    id: 'boolean-prefixes',
    checks: ['boolean'],
    outcome: 'we refuse',
    reason:
      'only whole words are read (true/false, yes/no, on/off, t/f, y/n, 1/0, any case); Postgres also reads a prefix such as tr, fals, ye or of, which in data is more likely a cut-off value',
    applies: (raw) => {
      const w = raw.trim().toLowerCase();
      return w.length >= 2 && ['true', 'false', 'yes', 'off'].some((word) => word.startsWith(w) && word !== w);
    },
  },
  {
    id: 'microseconds-truncated',
    checks: ['timestamptz'],
    outcome: 'different value',
    reason:
      "digits past the microsecond are truncated (.1234569 is .123456); Postgres rounds. The canonical text is part of every event's dedup key, and the first versions truncated",
    // Ours is the instant truncated, Postgres's the instant rounded: at most a microsecond apart.
    applies: (raw, c) => /[.,]\d{7,}/.test(raw) && ((d) => d >= -1n && d <= 1n)(micros(c.ours!) - micros(c.postgres)),
  },
  {
    id: 'leap-second-fraction',
    checks: ['timestamptz'],
    outcome: 'we read',
    reason:
      'a leap second is read as the first second of the next minute, with its fraction (23:59:60.5 is 00:00:00.5); Postgres reads 23:59:60 so too but refuses a fraction of it',
    applies: (raw) => /:60[.,]\d/.test(raw),
  },
  {
    id: 'comma-fraction',
    checks: ['timestamptz'],
    outcome: 'we read',
    reason: 'a comma before the fraction of a second (03:04:05,5), which ISO 8601 allows, is read; Postgres refuses it',
    applies: (raw) => /:\d\d,\d/.test(raw),
  },
  {
    id: 'epoch-numbers',
    checks: ['timestamptz'],
    outcome: 'we read',
    reason: 'a bare number is an epoch count, seconds below 1e11 and milliseconds from it; Postgres has no epoch input',
    // And the instant is that count: seconds (to the microsecond) below 1e11, else milliseconds.
    applies: (raw, c) => {
      const t = raw.trim();
      if (!EPOCH_FORM.test(t)) return false;
      const seconds = Math.abs(Number(t)) < 1e11;
      const [int, frac = ''] = t.replace('-', '').split('.');
      const digits = BigInt(int! + frac.padEnd(seconds ? 6 : 3, '0').slice(0, seconds ? 6 : 3));
      return micros(c.ours!) === (t.startsWith('-') ? -digits : digits);
    },
  },
  {
    id: 'compact-dates-ambiguous',
    checks: ['timestamptz'],
    outcome: 'we refuse',
    reason:
      'a 6- or 8-digit number that is also a date (260102, 20260102) is refused as ambiguous: Postgres reads the date, the epoch rule would read seconds of 1970; declare epoch_s or a pattern',
    applies: (raw) => /^\d{6}$|^\d{8}$/.test(raw.trim()),
  },
  {
    id: 'date-with-offset',
    checks: ['timestamptz', 'date'],
    outcome: 'we read',
    reason:
      'a date with an offset and no time (2026-01-02Z, 2026-01-02-05:00) is midnight at that offset; Postgres refuses it',
    applies: (raw) => /^\d{4}-\d{2}-\d{2}\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/.test(raw.trim()),
  },
  {
    id: 'hour-24',
    checks: ['timestamptz'],
    outcome: 'we refuse',
    reason:
      "hour 24 (24:00:00, the end of a day) is refused; Postgres reads it as the next midnight. Sources print the next day's 00:00",
    applies: (raw) => /[Tt ]24:00/.test(raw),
  },
  {
    id: 'four-digit-years',
    checks: ['timestamptz'],
    outcome: 'we refuse',
    reason:
      'an instant must fall within the years 0001–9999 in UTC (the canonical text has a four-digit year); Postgres reads from 4713 BC to 294276 AD',
    applies: (raw, c) =>
      /^\d{4,5}-/.test(raw.trim()) && (pgEpoch(c) < -62_135_596_800 || pgEpoch(c) >= 253_402_300_800),
  },
  {
    id: 'timestamp-forms',
    checks: ['timestamptz'],
    outcome: 'we refuse',
    reason:
      'only ISO 8601, dd/MM/yyyy HH:mm:ss and epoch numbers are read (or a declared format). Postgres also reads month and day names, zone names and ' +
      'abbreviations (EST is ambiguous across countries), BC, Julian days, one-digit fields, yyyy/MM/dd, compact 20260102T030405, offsets with seconds, a point with no ' +
      'digits, and the words infinity, epoch, now and today (now and today would give another value at every read)',
    applies: (raw) => !timestampForm(raw.trim()),
  },
  {
    id: 'dates-are-not-moments',
    checks: ['date'],
    outcome: 'we refuse',
    reason:
      'a date is a date: a value with a time of day other than midnight, or an offset other than zero, is a row error (it would lose the time or shift the day); Postgres drops them',
    applies: (raw) => ISO_FORM.test(raw.trim()) && !DATE_FORM.test(raw.trim()),
  },
  {
    id: 'date-forms',
    checks: ['date'],
    outcome: 'we refuse',
    reason:
      'a date is yyyy-MM-dd, or a date-time at midnight (ISO 8601, or dd/MM/yyyy 00:00:00), or what a declared format reads; Postgres also reads yyyyMMdd, ' +
      'dd/MM/yyyy alone, month names, BC, five-digit years and the words infinity, epoch and today',
    applies: (raw) => !ISO_FORM.test(raw.trim()) && !DATE_FORM.test(raw.trim()),
  },
  {
    id: 'formatted-date-in-utc',
    checks: ['date'],
    format: "yyyy-MM-dd'T'HH:mm:ssXXX",
    outcome: 'different value',
    reason:
      'a date read with a format that has an offset is the UTC date of that instant (2026-01-02T00:30:00+02:00 is 2026-01-01); Postgres keeps the written ' +
      "date. Pinned since the first versions: a date in an event's properties is part of its dedup key",
    applies: (raw, c) => c.ours === `=${new Date(raw).toISOString().slice(0, 10)}`,
  },
  {
    id: 'json-number-notation',
    checks: ['jsonb'],
    outcome: 'different value',
    reason:
      'a number inside a json value is written as JavaScript prints it when that is the same number (1.0 is 1, 1.50 is 1.5): the dedup keys of events ' +
      'loaded before depend on that text. The value is the same (jsonb =); Postgres keeps the written scale',
    applies: (_raw, c) => c.sameJson === true,
  },
];
