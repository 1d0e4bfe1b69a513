/**
 * Timestamp parsing to the microsecond. JavaScript's Date holds milliseconds only, so a
 * parsed instant is kept as epoch milliseconds plus the extra microseconds, and written out as an
 * ISO 8601 UTC string with six fractional digits, which Postgres reads back exactly.
 *
 * The canonical text is part of every event's dedup key, and the store remembers keys across versions:
 * a value read once must give the same text forever. Digits beyond the microsecond are truncated, not
 * rounded (`.1234569` → `.123456`), for that reason.
 */

export interface Instant {
  /** Whole milliseconds since the epoch (UTC). */
  ms: number;
  /** Microseconds beyond `ms`, 0..999. */
  us: number;
}

// The date and time may be separated by `T`, `t` (RFC 3339 allows either case) or a space.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The canonical text has a four-digit year, so instants are kept within 0001-01-01 and 9999-12-31 (UTC);
 * Postgres has no year 0 either. Anything outside is a value that cannot be read, never a six-digit year.
 */
const FIRST_MS = -62_135_596_800_000; // 0001-01-01T00:00:00Z
const END_MS = 253_402_300_800_000; // 10000-01-01T00:00:00Z
const inCanonicalRange = (t: Instant): boolean => t.ms >= FIRST_MS && t.ms < END_MS;

/** Format an instant as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (within years 0001–9999, as parseTimestamp gives). */
export function formatInstant(t: Instant): string {
  if (!inCanonicalRange(t)) throw new RangeError(`instant ${t.ms} ms is outside the years 0001–9999`);
  const iso = new Date(t.ms).toISOString(); // ...SS.mmmZ
  return `${iso.slice(0, 23)}${String(t.us).padStart(3, '0')}Z`;
}

const isLeapYear = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (y: number, mo: number): number => (mo === 2 && isLeapYear(y) ? 29 : DAYS_IN_MONTH[mo - 1]!);

/** Epoch ms of UTC calendar fields. Date.UTC reads the years 0–99 as 1900–1999, so those set the year first. */
function utcMsOf(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (y >= 100) return Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  return t.setUTCHours(h, mi, s, ms);
}

const dtfCache = new Map<string, Intl.DateTimeFormat>();
function zoneFormat(zone: string): Intl.DateTimeFormat {
  let dtf = dtfCache.get(zone);
  if (!dtf) {
    dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short', // the year before 1 AD is "1 BC"
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    dtfCache.set(zone, dtf);
  }
  return dtf;
}

/** The wall clock as en-US prints it, `MM/dd/yyyy AD, HH:mm:ss`. */
const PRINTED_WALL = /^(\d{2})\/(\d{2})\/(\d+) (AD|BC), (\d{2}):(\d{2}):(\d{2})$/;
const yearOf = (year: string, era: string): number => (era === 'BC' ? 1 - Number(year) : Number(year));
type Fields = [year: number, month: number, day: number, hour: number, minute: number, second: number];

/**
 * Wall-clock fields of a zone at an instant (the year before 1 AD is 0). Read from format(), which is
 * several times faster than formatToParts(); formatToParts() only if the printed layout ever differs.
 */
function wallFields(dtf: Intl.DateTimeFormat, at: Date): Fields {
  const m = PRINTED_WALL.exec(dtf.format(at));
  if (m) return [yearOf(m[3]!, m[4]!), +m[1]!, +m[2]!, +m[5]!, +m[6]!, +m[7]!];
  const p = Object.fromEntries(dtf.formatToParts(at).map((q) => [q.type, q.value]));
  return [yearOf(p.year!, p.era!), +p.month!, +p.day!, +p.hour!, +p.minute!, +p.second!];
}

/**
 * Offset in milliseconds of `zone` at the given UTC instant, asked of Intl (no cache). Whole seconds, as
 * the zone database has them: local mean times such as New York's -4:56:02 or Monrovia's -0:44:30 (until
 * 1972) are not whole minutes.
 */
function exactOffsetMs(zone: string, utcMs: number): number {
  const [y, mo, d, h, mi, s] = wallFields(zoneFormat(zone), new Date(utcMs));
  return utcMsOf(y, mo, d, h, mi, s, 0) - Math.floor(utcMs / 1000) * 1000;
}

/**
 * Offset of `zone` at the given UTC instant, cached per zone and UTC hour, but only for an hour whose
 * offset is the same at its first and last second. Zones change clocks at any minute (America/St_Johns at
 * 05:30 UTC, Australia/Lord_Howe at 15:30 UTC, local mean times at odd seconds), so the offset found at one
 * instant of an hour may not hold for the rest of it; an hour that holds a change is asked of Intl at each
 * instant. Either way an answer never depends on which values were read before. (No zone changes its clocks
 * twice within one hour, so equal ends mean one offset throughout.)
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const CHANGES_WITHIN = NaN;
const offsetCache = new Map<string, number>();
function zoneOffsetMs(zone: string, utcMs: number): number {
  const hour = Math.floor(utcMs / HOUR_MS);
  const key = `${zone}|${hour}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    const first = exactOffsetMs(zone, hour * HOUR_MS);
    const last = exactOffsetMs(zone, (hour + 1) * HOUR_MS - 1000);
    offset = first === last ? first : CHANGES_WITHIN;
    if (offsetCache.size > 10_000) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return Number.isNaN(offset) ? exactOffsetMs(zone, utcMs) : offset;
}

/** The first instant in (lo, hi] whose offset is not `before` (there is one at hi), to the second. */
function changeWithin(zone: string, lo: number, hi: number, before: number): Change {
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (exactOffsetMs(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return { at: hi, after: exactOffsetMs(zone, hi) };
}

interface Change {
  at: number;
  after: number;
}

/**
 * The clock changes of `zone` within the UTC day (day, day + 1], found by sampling the offset hourly (no zone
 * changes twice within an hour) and narrowing each change to the second; cached per zone and day.
 */
const changeCache = new Map<string, Change[]>();
function changesOfDay(zone: string, day: number): Change[] {
  const key = `${zone}|${day}`;
  let list = changeCache.get(key);
  if (list === undefined) {
    list = [];
    let t0 = day * DAY_MS;
    let o0 = exactOffsetMs(zone, t0);
    for (let k = 0; k < 24; k++) {
      const t1 = t0 + HOUR_MS;
      const o1 = exactOffsetMs(zone, t1);
      if (o1 !== o0) list.push(changeWithin(zone, t0, t1, o0));
      t0 = t1;
      o0 = o1;
    }
    if (changeCache.size > 10_000) changeCache.clear();
    changeCache.set(key, list);
  }
  return list;
}

/** The first clock change of `zone` in (from, from + 2 days], or null. */
function nextChange(zone: string, from: number): Change | null {
  const day = Math.floor(from / DAY_MS);
  for (let d = day; d <= day + 2; d++) {
    for (const c of changesOfDay(zone, d)) {
      if (c.at > from) return c.at <= from + 2 * DAY_MS ? c : null;
    }
  }
  return null;
}

/**
 * The instant a wall-clock time of `zone` means (wall fields given as if UTC), as Postgres reads
 * `timestamp AT TIME ZONE zone`: take the first clock change after the wall time less a day (no offset
 * reaches a day) and the offsets before and after it. If both readings of the wall time fall on the same
 * side of the change, that side's reading; otherwise the wall time is skipped (a gap, clocks went forward)
 * or happens twice (an overlap, clocks went back), and the later reading wins: in a gap the offset from
 * before the change (02:30 in New York on the day clocks go forward is 07:30Z, as 02:30 EST), in an
 * overlap the offset after it (01:30 on the day they go back is 06:30Z, the second 01:30). So the store and
 * Postgres agree on what a wall time means.
 */
function exactWallToUtc(wall: number, zone: string): number {
  const from = wall - DAY_MS;
  const before = zoneOffsetMs(zone, from);
  const change = nextChange(zone, from);
  if (!change) return wall - before;
  const early = wall - before;
  const late = wall - change.after;
  if (early < change.at && late < change.at) return early;
  if (early >= change.at && late >= change.at) return late;
  return Math.max(early, late);
}

/**
 * The offset to subtract from the wall times of a zone, cached per zone and local hour when it is the same
 * at the hour's first and last second (no zone changes clocks twice within an hour, so then it is the same
 * throughout); an hour that holds a gap or an overlap is worked out for each value. A hit is one lookup.
 */
const wallCache = new Map<string, number>();
function wallToUtc(wall: number, zone: string): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return wall;
  const hour = Math.floor(wall / HOUR_MS);
  const key = `${zone}|${hour}`;
  let offset = wallCache.get(key);
  if (offset === undefined) {
    const start = hour * HOUR_MS;
    const end = start + HOUR_MS - 1000;
    const first = start - exactWallToUtc(start, zone);
    offset = first === end - exactWallToUtc(end, zone) ? first : CHANGES_WITHIN;
    if (wallCache.size > 10_000) wallCache.clear();
    wallCache.set(key, offset);
  }
  return Number.isNaN(offset) ? exactWallToUtc(wall, zone) : wall - offset;
}

/** The wall clock of `zone` at an instant, as epoch ms whose UTC fields are the wall-clock fields. */
export function wallClockMs(utcMs: number, zone: string): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return utcMs;
  return utcMs + zoneOffsetMs(zone, utcMs);
}

function validDate(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return false;
  return d <= daysInMonth(y, mo);
}

/**
 * A written offset (`+05:30`, `-0800`, `+02`) in minutes, or null beyond what Postgres accepts: hours up to
 * 15, minutes up to 59 (`+99:99` is a typo, not a zone).
 */
function writtenOffsetMinutes(zone: string): number | null {
  const hh = Number(zone.slice(1, 3));
  const mm = Number(zone.slice(3).replace(':', '') || '0');
  if (hh > 15 || mm > 59) return null;
  return (zone[0] === '-' ? -1 : 1) * (hh * 60 + mm);
}

function fromFields(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  frac: string | undefined,
  zone: string | undefined,
  defaultZone: string,
): Instant | null {
  if (!validDate(y, mo, d, h, mi, s)) return null;
  const digits = (frac ?? '').padEnd(6, '0');
  const msPart = Number(digits.slice(0, 3));
  const us = Number(digits.slice(3, 6));
  let ms = utcMsOf(y, mo, d, h, mi, s, msPart);
  if (zone === undefined) {
    ms = wallToUtc(ms, defaultZone);
  } else if (zone !== 'Z' && zone !== 'z') {
    const offset = writtenOffsetMinutes(zone);
    if (offset === null) return null;
    ms -= offset * 60_000;
  }
  return { ms, us };
}

/** A compiled custom pattern such as `dd/MM/yyyy HH:mm:ss.SSSSSS` (yyyy MM dd HH mm ss S… and literals). */
function compilePattern(pattern: string): (s: string, zone: string) => Instant | null {
  const fields: string[] = [];
  let re = '^';
  const tokens = pattern.match(/yyyy|MM|dd|HH|mm|ss|S{1,9}|XXX|Z|'[^']*'|./g) ?? [];
  for (const tok of tokens) {
    if (tok === 'yyyy') {
      re += '(\\d{4})';
      fields.push('y');
    } else if (tok === 'MM' || tok === 'dd' || tok === 'HH' || tok === 'mm' || tok === 'ss') {
      re += '(\\d{1,2})';
      fields.push(tok);
    } else if (/^S+$/.test(tok)) {
      re += `(\\d{1,${tok.length}})`;
      fields.push('S');
    } else if (tok === 'XXX' || tok === 'Z') {
      re += '(Z|[+-]\\d{2}:?\\d{2})';
      fields.push('zone');
    } else if (tok.startsWith("'")) re += tok.slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else re += tok.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const compiled = new RegExp(`${re}$`);
  return (s, defaultZone) => {
    const m = compiled.exec(s);
    if (!m) return null;
    const v: Record<string, string> = {};
    fields.forEach((f, i) => {
      v[f] = m[i + 1]!;
    });
    return fromFields(
      Number(v.y ?? '1970'),
      Number(v.MM ?? '1'),
      Number(v.dd ?? '1'),
      Number(v.HH ?? '0'),
      Number(v.mm ?? '0'),
      Number(v.ss ?? '0'),
      v.S,
      v.zone,
      defaultZone,
    );
  };
}

const patternCache = new Map<string, (s: string, zone: string) => Instant | null>();
function pattern(format: string): (s: string, zone: string) => Instant | null {
  let fn = patternCache.get(format);
  if (!fn) {
    fn = compilePattern(format);
    patternCache.set(format, fn);
  }
  return fn;
}

const EPOCH = /^-?\d+(\.\d+)?$/;

/**
 * What a bare number means without a format: an epoch count, as the README promises (seconds or
 * milliseconds, told apart by magnitude: seconds below 1e11, which reach the year 5138; milliseconds from
 * 1e11, which is 1973-03-03). Microseconds are not guessed: a count of microseconds or nanoseconds, read as
 * milliseconds, lands past the year 9999 and is refused by the range check (declare `epoch_us`); only a
 * count of microseconds of 1970–1977 is small enough to pass as seconds or milliseconds. An 8-digit
 * number that is also a calendar date (`20260102`) is refused as ambiguous: as seconds it is a moment of
 * 1970–1973, which such a column almost never means, and Postgres reads it as the date; declare `epoch_s`
 * or `yyyyMMdd`. A 6-digit one (`260102`, `yyMMdd`) likewise, and a 14-digit date and time
 * (`20260102123456`, `yyyyMMddHHmmss`): as milliseconds it is a moment after 2286; declare `epoch_ms` or
 * the pattern.
 */
function bareEpochUnit(s: string): 'epoch_s' | 'epoch_ms' | null {
  if (isCompactDate(s)) return null;
  return Math.abs(Number(s)) < 1e11 ? 'epoch_s' : 'epoch_ms';
}

/**
 * `yyyyMMdd`, or `yyMMdd`, with a real month and day: Postgres reads both as dates (a two-digit year below
 * 70 in the 2000s, else the 1900s). As epoch seconds a `yyMMdd` is a moment of the first twelve days of 1970.
 * Also `yyyyMMddHHmmss` with a real date and time, which as epoch milliseconds is a moment after 2286.
 */
function isCompactDate(s: string): boolean {
  if ((s.length !== 8 && s.length !== 6 && s.length !== 14) || !/^\d+$/.test(s)) return false;
  const date = s.length === 14 ? s.slice(0, 8) : s;
  if (s.length === 14 && !(Number(s.slice(8, 10)) <= 23 && Number(s.slice(10, 12)) <= 59 && Number(s.slice(12)) <= 59))
    return false;
  const yy = Number(date.slice(0, date.length - 4));
  const y = date.length === 8 ? yy : yy < 70 ? 2000 + yy : 1900 + yy;
  const mo = Number(date.slice(-4, -2));
  const d = Number(date.slice(-2));
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/**
 * Parse a timestamp. Without a format: ISO 8601 (with or without zone), `yyyy-MM-dd`,
 * `dd/MM/yyyy HH:mm:ss`, or an epoch number (see bareEpochUnit). With a format: `epoch_s`, `epoch_ms`,
 * `epoch_us`, or a pattern. Returns null when it cannot be read, or when the instant falls outside the
 * years 0001–9999 (UTC).
 */
export function parseTimestamp(raw: string, format: string | undefined, timeZone: string): Instant | null {
  const t = readTimestamp(raw.trim(), format, timeZone);
  return t && inCanonicalRange(t) ? t : null;
}

function readTimestamp(s: string, format: string | undefined, timeZone: string): Instant | null {
  if (s === '') return null;
  if (format === 'epoch_s' || format === 'epoch_ms' || format === 'epoch_us' || (!format && EPOCH.test(s))) {
    if (!EPOCH.test(s)) return null;
    const unit = format || bareEpochUnit(s);
    if (!unit) return null;
    return fromEpoch(s, unit === 'epoch_s' ? 6 : unit === 'epoch_ms' ? 3 : 0);
  }
  if (format) return pattern(format)(s, timeZone);
  const m = ISO.exec(s);
  if (m) {
    return fromFields(
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      Number(m[4] ?? '0'),
      Number(m[5] ?? '0'),
      Number(m[6] ?? '0'),
      m[7],
      m[8],
      timeZone,
    );
  }
  return pattern('dd/MM/yyyy HH:mm:ss')(s, timeZone);
}

/** Epoch text scaled to microseconds by `shift` decimal places, exactly (no float rounding). */
function fromEpoch(s: string, shift: number): Instant | null {
  const neg = s.startsWith('-');
  const [intPart, fracPart = ''] = (neg ? s.slice(1) : s).split('.');
  const digits = `${intPart}${fracPart.padEnd(shift, '0').slice(0, shift)}`;
  let micros = BigInt(digits);
  if (neg) micros = -micros;
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const us = Number(micros - ms * 1000n);
  const msNum = Number(ms);
  if (!Number.isFinite(msNum) || Math.abs(msNum) > 8.64e15) return null;
  return { ms: msNum, us };
}

/**
 * The date forms read without a format: `yyyy-MM-dd`, and a date-time at exactly midnight with no offset
 * or a zero one (how databases print a date cast to a timestamp: `2026-01-02 00:00:00+00`,
 * `02/01/2026 00:00:00`). A time of day, another offset or an epoch number is not a date (a
 * value of the wrong type is a row error, never a silent coercion); it would lose the time or shift the day.
 */
const DATE_FORM =
  /^\d{4}-\d{2}-\d{2}(?:[Tt ]00:00(?::00(?:[.,]0{1,9})?)?)?\s*(?:[Zz]|[+-]00(?::?00)?)?$|^\d{1,2}\/\d{1,2}\/\d{4} 0{1,2}:0{1,2}:0{1,2}$/;

/**
 * Parse a date: a date form above, or with a format what the format reads (the UTC date of that
 * instant). Returns `YYYY-MM-DD` or null.
 */
export function parseDate(raw: string, format: string | undefined): string | null {
  if (!format && !DATE_FORM.test(raw.trim())) return null;
  const t = parseTimestamp(raw, format, 'UTC');
  if (!t) return null;
  return new Date(t.ms).toISOString().slice(0, 10);
}

const DIGIT0 = 48;
const twoDigits = (s: string, i: number): number => {
  const a = s.charCodeAt(i) - DIGIT0;
  const b = s.charCodeAt(i + 1) - DIGIT0;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
};

/**
 * The fast path of timestampText: ISO 8601 in UTC as databases print it (`2026-01-02 03:04:05.123456+00`,
 * `2026-01-02T03:04:05Z`, and zone-less values when the import's zone is UTC). Then the canonical text is a
 * rearrangement of the input's digits. Returns undefined for anything else (the general parser decides).
 */
function utcIsoText(s: string, timeZone: string): string | undefined {
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 45 /* - */ || s.charCodeAt(7) !== 45) return undefined;
  const y1 = twoDigits(s, 0);
  const y2 = twoDigits(s, 2);
  const mo = twoDigits(s, 5);
  const d = twoDigits(s, 8);
  // Years below 100 take another path in the general parser (two-digit years are not shifted there).
  if (y1 < 1 || y2 < 0 || mo < 1 || mo > 12 || d < 1) return undefined;
  const y = y1 * 100 + y2;
  if (d > daysInMonth(y, mo)) return undefined;
  let clock = '00:00:00';
  let frac = '';
  let i = 10;
  if (i < n) {
    const sep = s.charCodeAt(i);
    if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32 /* space */) return undefined;
    if (n < i + 6 || s.charCodeAt(i + 3) !== 58 /* : */) return undefined;
    const h = twoDigits(s, i + 1);
    const mi = twoDigits(s, i + 4);
    if (h < 0 || h > 23 || mi < 0 || mi > 59) return undefined;
    i += 6;
    clock = `${s.slice(11, 16)}:00`;
    if (i < n && s.charCodeAt(i) === 58) {
      const sec = twoDigits(s, i + 1);
      // A leap second (60) rolls over in the general parser.
      if (sec < 0 || sec > 59) return undefined;
      clock = s.slice(11, 19);
      i += 3;
      if (i < n && (s.charCodeAt(i) === 46 /* . */ || s.charCodeAt(i) === 44) /* , */) {
        const start = ++i;
        while (i < n && i - start < 9) {
          const c = s.charCodeAt(i);
          if (c < 48 || c > 57) break;
          i++;
        }
        if (i === start) return undefined;
        frac = s.slice(start, Math.min(i, start + 6));
      }
    }
  }
  if (i === n) {
    // No zone: the import's zone, which must be UTC for this path.
    if (timeZone !== 'UTC' && timeZone !== 'Etc/UTC') return undefined;
  } else {
    const rest = s.slice(i).trimStart();
    if (
      rest !== 'Z' &&
      rest !== 'z' &&
      rest !== '+00' &&
      rest !== '+00:00' &&
      rest !== '+0000' &&
      rest !== '-00' &&
      rest !== '-00:00' &&
      rest !== '-0000'
    )
      return undefined;
  }
  return `${s.slice(0, 10)}T${clock}.${frac.length === 6 ? frac : frac.padEnd(6, '0')}Z`;
}

/**
 * A timestamp as canonical text, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (what formatInstant(parseTimestamp(…))
 * gives), or null when it cannot be read. UTC values in ISO form skip the general parser.
 */
export function timestampText(raw: string, format: string | undefined, timeZone: string): string | null {
  if (format === undefined) {
    const c0 = raw.charCodeAt(0);
    const cn = raw.charCodeAt(raw.length - 1);
    // Leading or trailing whitespace (or an empty value): the general parser trims.
    if (c0 > 32 && cn > 32) {
      const fast = utcIsoText(raw, timeZone);
      if (fast !== undefined) return fast;
    }
  }
  const t = parseTimestamp(raw, format, timeZone);
  return t ? formatInstant(t) : null;
}
