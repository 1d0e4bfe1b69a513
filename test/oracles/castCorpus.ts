/**
 * The inputs of the cast differential: hand-picked tricky values per type, and seeded generated ones that
 * combine the same ingredients (signs, points, exponents, whitespace, calendar fields, offsets, fractions).
 */
import { rng, type Rng } from './random';

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const digits = (r: Rng, n: number): string => Array.from({ length: n }, () => String(r.int(0, 9))).join('');
/** ASCII whitespace (Postgres trims it) and Unicode whitespace (it does not), around a value. */
const SPACES = ['', '', '', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2003', '\ufeff', '\v', '\f'];
const wrap = (r: Rng, s: string): string => (r.chance(0.25) ? r.pick(SPACES) + s + r.pick(SPACES) : s);

export const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '1e3',
  '1E3',
  '1e+3',
  '1E-3',
  ' 12 ',
  '\t7\n',
  '\u00a07',
  '7\u2003',
  '+5',
  '-+5',
  '0x1F',
  '0X1f',
  '0o17',
  '0b101',
  '1_000',
  '1__0',
  '_1',
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  'inf',
  '-inf',
  '1e400',
  '-1e400',
  '1e-400',
  '1e308',
  '1.7976931348623157e308',
  '1.7976931348623159e308',
  '4.9e-324',
  '2.4e-324',
  '.5',
  '-.5',
  '5.',
  '5.e3',
  '.e3',
  '.',
  '',
  ' ',
  '-',
  'e3',
  '1e',
  '1e+',
  '１２',
  '١٢',
  '00012',
  '0.0',
  '-0.0',
  '0.10',
  '1.50',
  '123456789012345678901234567890',
  '0.1234567890123456789',
  '12345678901234567',
  '9007199254740993',
  '1.0000000000000001',
  '0.30000000000000004',
  '1e131071',
  '1e131072',
  '1e-16383',
  '1e-16384',
  '1.5e-16383',
  '12abc',
  '1,5',
  '1 000',
  '1.2.3',
  '--1',
  '0e0',
  '0E-5',
  '1e0000000000000000001',
];

export const BOOLEANS = [
  't',
  'f',
  'true',
  'false',
  'TRUE',
  'False',
  'tRuE',
  'y',
  'n',
  'yes',
  'no',
  'YES',
  'No',
  'on',
  'off',
  'ON',
  'Off',
  'oN',
  '1',
  '0',
  'TRUE ',
  ' off',
  ' t',
  '\tf\n',
  '\u00a0t',
  'true\u2003',
  '\ufeffyes',
  'tr',
  'tru',
  'fa',
  'fal',
  'fals',
  'ye',
  'of',
  'o',
  'n ',
  '',
  ' ',
  '2',
  '-1',
  '01',
  '1.0',
  'truee',
  'yess',
  'nope',
  'null',
  'T',
  'F',
  'Y',
  'N',
  'ıf',
  'İ',
  'ＴＲＵＥ',
];

export const TIMESTAMPS = [
  '2026-01-02 03:04:05',
  '2026-01-02T03:04:05Z',
  '2026-01-02T03:04:05z',
  '2026-01-02t03:04:05Z',
  '2026-01-02 03:04:05+05:30',
  '2026-01-02 03:04:05 +05:30',
  '2026-01-02 03:04:05+0530',
  '2026-01-02 03:04:05+05',
  '2026-01-02 03:04:05-03:30',
  '2026-01-02 03:04:05+15:59',
  '2026-01-02 03:04:05-15:59',
  '2026-01-02 03:04:05+16:00',
  '2026-01-02 03:04:05+05:30:15',
  '2026-01-02 03:04:05+5',
  '2026-01-02 03:04:05 UTC',
  '2026-01-02 03:04:05 EST',
  '2026-01-02 03:04:05 America/Chicago',
  '2026-01-02T03:04:05.1Z',
  '2026-01-02T03:04:05.123456Z',
  '2026-01-02T03:04:05.1234564Z',
  '2026-01-02T03:04:05.1234565Z',
  '2026-01-02T03:04:05.1234569Z',
  '2026-01-02T03:04:05.999999999Z',
  '2026-01-02T03:04:05.Z',
  '2026-01-02T03:04:05,5Z',
  '2016-12-31T23:59:60Z',
  '2016-12-31 23:59:60.5Z',
  '2026-06-30T23:59:60',
  '2026-01-01 24:00:00',
  '2026-01-01 24:00:01',
  '2026-01-01 23:60:00',
  '2026-01-01 25:00:00',
  '1969-07-20 20:17:40Z',
  '1900-01-01 00:00:00',
  '1883-11-18 12:00:00',
  '0001-01-01 00:00:00Z',
  '0001-01-01 00:00:00+01',
  '0001-01-01 00:00:00-01',
  '0000-01-01',
  '-0001-01-01',
  '0044-03-15 BC',
  '0050-06-01 12:00Z',
  '0099-12-31 23:59:59.999999Z',
  '9999-12-31 23:59:59.999999Z',
  '9999-12-31 23:00:00-05:00',
  '10000-01-01',
  'infinity',
  '-infinity',
  'epoch',
  'now',
  'today',
  'allballs',
  '2026-02-29',
  '2024-02-29 00:00Z',
  '1900-02-29',
  '2000-02-29',
  '2026-04-31',
  '2026-13-01',
  '2026-00-10',
  '2026-01-00',
  '2026-01-02',
  '2026-01-02 03:04',
  '2026-01-02 3:04',
  '2026-1-2',
  '2026-01-02T03',
  '2026-01-02 03:04:05.',
  ' 2026-01-02 03:04:05Z ',
  '\u00a02026-01-02',
  '02/01/2026 10:00:00',
  '2/1/2026 1:2:3',
  '31/12/2026 23:59:59',
  '12/31/2026 23:59:59',
  '02/01/2026',
  '2026/01/02',
  'January 2, 2026',
  '2 Jan 2026 03:04',
  'Fri Jan 02 03:04:05 2026',
  '20260102T030405Z',
  '20260102 030405',
  '20260102',
  '260102',
  '19700101',
  '1700000000',
  '1700000000123',
  '1767225600.5',
  '-1',
  '0',
  '86400',
  '1230',
  '99999999999',
  '100000000000',
  '20260102123456',
  '202601021234',
  '1e9',
  '+1700000000',
  '.5',
  'J2451187',
  '2026-01-02T03:04:05+01:00:00',
  '2026-01-02T03:04:05.123+01:00',
  '2026-01-02 03:04:05-00',
  '2026-01-02 03:04:05 -0000',
  '２０２６-01-02',
];

/** Wall times in and around clock changes of the zones the differential reads timestamps in. */
const ZONE_WALLS = [
  '2026-03-08 01:59:59',
  '2026-03-08 02:00',
  '2026-03-08 02:30',
  '2026-03-08 03:00',
  '2026-11-01 00:59:59',
  '2026-11-01 01:00',
  '2026-11-01 01:30:00.5',
  '2026-11-01 02:00',
  '2026-04-05 01:45',
  '2026-04-05 02:15',
  '2026-10-04 02:00',
  '2026-10-04 02:15',
  '2026-03-29 01:30',
  '2026-10-25 01:30',
  '1970-01-01 00:00',
  '1945-08-14 19:00',
  '1918-03-31 02:30',
];

export const DATES = [
  '2026-01-02',
  ' 2026-01-02 ',
  '2026-01-02T00:00:00Z',
  '2026-01-02 00:00:00+00',
  '2026-01-02 00:00:00-00',
  '2026-01-02 00:00 +00:00',
  '2026-01-02 00:00:00.000',
  '2026-01-02 00:00:00.000000001',
  '2026-01-02 10:00',
  '2026-01-02 00:00:00+05',
  '2026-01-02 00:00:01',
  '02/01/2026 00:00:00',
  '2/1/2026 0:0:0',
  '02/01/2026',
  '2026/01/02',
  '20260102',
  '260102',
  '0001-01-01',
  '0000-12-31',
  '9999-12-31',
  '10000-01-01',
  'infinity',
  'epoch',
  'today',
  '2026-02-29',
  '2024-02-29',
  '2026-02-30',
  '1 BC',
  '0044-03-15 BC',
  'Jan 2 2026',
  '1767225600',
  '2026-01-02T00:00Z',
  '2026-01-02t00:00:00z',
  '2026-1-2',
  '\u00a02026-01-02',
];

export const STRINGS = [
  '',
  ' ',
  'plain',
  ' padded ',
  'quote " inside',
  "apostrophe ' here",
  'back\\slash',
  'tab\there',
  'new\nline',
  'cr\rlf',
  'ctrl\u0001\u001f\u007f',
  'nul\u0000byte',
  'lone \ud800 high',
  'lone \udfff low',
  '😀 emoji',
  'e\u0301 combining',
  '\u2028\u2029',
  '\ufeffbom',
  'ＷＩＤＥ',
  'ß',
  '{"not":"json"}',
  '\\N',
  '\\u0000',
];

export const JSONS = [
  '{}',
  '[]',
  'null',
  'true',
  '1',
  '-0',
  '1.0',
  '1.50',
  '1e2',
  '1E+2',
  '-1e-2',
  '12345678901234567890',
  '1e400',
  '1e-400',
  '0.1',
  '123456789012345678901234567890.5',
  '{"b":1,"a":2}',
  '{"a":1,"a":2}',
  '{"a":{"a":1,"a":[1,2]},"a":3}',
  ' { "a" : [ 1 , 2 ] } ',
  '"str"',
  '"\\u0000"',
  '"\\ud800"',
  '"\\udc00\\ud800"',
  '"\\ud83d\\ude00"',
  '"\\u00e9"',
  '"é"',
  '{"\\u0061":1,"a":2}',
  'NaN',
  'Infinity',
  '01',
  '.5',
  '+1',
  '[1,]',
  '{"a":1,}',
  "{'a':1}",
  '',
  ' ',
  'nul',
  '[1e131072]',
  '[1e-16383]',
  '[1e-16384]',
  '"\\/"',
  '"\\b\\f\\n\\r\\t"',
  '\ufeff{}',
  '{"a":-0.0}',
  '[true,false,null]',
  '\u00a0{}',
  '{"":1}',
  '"\\uD834\\uDD1E"',
  '[0.30000000000000004, 9007199254740993]',
];

function genNumber(r: Rng): string {
  const sign = r.pick(['', '', '', '-', '+']);
  const int = r.chance(0.1)
    ? ''
    : r.chance(0.1)
      ? `0${digits(r, r.int(0, 3))}`
      : String(r.int(1, 9)) + digits(r, r.int(0, r.chance(0.1) ? 40 : 12));
  const frac = r.chance(0.5) ? '' : `.${digits(r, r.int(r.chance(0.1) ? 0 : 1, r.chance(0.1) ? 30 : 8))}`;
  const exp = r.chance(0.7)
    ? ''
    : `${r.pick(['e', 'E'])}${r.pick(['', '+', '-'])}${r.chance(0.05) ? '' : String(r.int(0, r.chance(0.1) ? 400 : 30))}`;
  const body = int + frac + exp;
  return wrap(r, sign + (body === '' ? '0' : body));
}

function genBoolean(r: Rng): string {
  const word = r.pick(['true', 'false', 'yes', 'no', 'on', 'off', 't', 'f', 'y', 'n', '1', '0']);
  let w = r.chance(0.3) ? word.slice(0, r.int(1, word.length)) : word;
  w = [...w].map((c) => (r.chance(0.3) ? c.toUpperCase() : c)).join('');
  return wrap(r, w);
}

/** Calendar fields near and past their limits, in the separators and offsets a source may print. */
function genTimestamp(r: Rng): string {
  const year = r.chance(0.8) ? r.int(1900, 2100) : r.pick([0, 1, 4, 50, 99, 100, 999, 1000, 1582, 9999, 10000]);
  const month = r.chance(0.9) ? r.int(1, 12) : r.pick([0, 13]);
  const day = r.chance(0.85) ? r.int(1, 28) : r.pick([0, 29, 30, 31, 32]);
  let s = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  if (r.chance(0.85)) {
    const hour = r.chance(0.95) ? r.int(0, 23) : 24;
    const minute = r.chance(0.95) ? r.int(0, 59) : 60;
    s += `${r.pick(['T', ' ', ' ', 'T', 't'])}${pad(hour, 2)}:${pad(minute, 2)}`;
    if (r.chance(0.8)) {
      const second = r.chance(0.95) ? r.int(0, 59) : 60;
      s += `:${pad(second, 2)}`;
      if (r.chance(0.5)) s += `${r.chance(0.95) ? '.' : ','}${digits(r, r.int(1, 9))}`;
    }
  }
  if (r.chance(0.6)) {
    const hh = pad(r.chance(0.95) ? r.int(0, 14) : r.int(15, 17), 2);
    const mm = pad(r.pick([0, 0, 0, 30, 45, 59]), 2);
    const sign = r.pick(['+', '-']);
    s +=
      r.pick(['', '', ' ']) +
      r.pick(['Z', 'z', `${sign}${hh}`, `${sign}${hh}:${mm}`, `${sign}${hh}${mm}`, `${sign}${hh}:${mm}`]);
  }
  return wrap(r, s);
}

function genDate(r: Rng): string {
  const t = genTimestamp(r);
  return r.chance(0.5) ? t.trim().slice(0, 10) : t;
}

/** ISO date-times with an offset, for a date read with the format yyyy-MM-dd'T'HH:mm:ssXXX. */
function genOffsetDateTime(r: Rng): string {
  const hh = pad(r.int(0, 14), 2);
  return (
    `${pad(r.int(1, 9999), 4)}-${pad(r.int(1, 12), 2)}-${pad(r.int(1, 28), 2)}T${pad(r.pick([0, 0, 1, 12, 22, 23]), 2)}:` +
    `${pad(r.int(0, 59), 2)}:${pad(r.int(0, 59), 2)}${r.pick(['+', '-'])}${hh}:${pad(r.pick([0, 30, 45]), 2)}`
  );
}

/** Every corpus, each hand-picked list followed by `n` generated values (seeded). */
export function castCorpus(seed: number, n: number) {
  const r = rng(seed);
  const gen = (f: (r: Rng) => string) => Array.from({ length: n }, () => f(r));
  return {
    number: [...NUMBERS, ...gen(genNumber)],
    boolean: [...BOOLEANS, ...gen(genBoolean)],
    timestamp: [...TIMESTAMPS, ...ZONE_WALLS, ...gen(genTimestamp)],
    date: [...DATES, ...gen(genDate)],
    formattedDate: [
      '2026-01-02T00:30:00+02:00',
      '2026-01-02T23:30:00-05:00',
      '2026-01-02T12:00:00+00:00',
      ...gen(genOffsetDateTime).slice(0, 400),
    ],
    string: STRINGS,
    json: JSONS,
  };
}
