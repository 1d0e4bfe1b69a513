/**
 * Generated CSV files (seeded) and what their writer meant: quoted fields holding delimiters, quotes and
 * newlines, empty fields unquoted (NULL) and quoted (the empty string), LF, CRLF and CR line ends mixed or
 * not, a BOM or none, a last line with or without its newline, trailing delimiters, unicode, very long
 * fields, other delimiters and quotes. A few files are broken on purpose (text after a closing quote, a quote
 * never closed) after some good records.
 */
import type { Rng } from './random';

export interface CsvCase {
  name: string;
  delimiter: string;
  quote: string;
  text: string;
  bom: boolean;
  /** The records as written: null for an unquoted empty field. */
  records: (string | null)[][];
  /** Every record ends with the same line end (LF or CRLF), as Postgres's COPY requires. */
  uniformLineEnds: boolean;
  /** Holds a blank line (no record for us and Python; a row of NULLs, or an error, for COPY). */
  blankLine: boolean;
  /** Broken on purpose at this record (0-based), or null. */
  brokenAt: number | null;
}

const DIALECTS: [delimiter: string, quote: string][] = [
  [',', '"'],
  [',', '"'],
  [';', '"'],
  ['\t', '"'],
  ['|', "'"],
  [':', '"'],
  ['~', '^'],
];

function cell(r: Rng, delimiter: string, quote: string): string {
  const pieces = [
    'plain',
    'Smith, Jo',
    'a;b',
    'x|y',
    'tab\there',
    'said "hi"',
    "it's",
    'multi\nline',
    'cr\rinside',
    'crlf\r\nin',
    ' padded ',
    'Zoë',
    '𝄞 clef',
    'Ωmega',
    '日本語',
    '😀',
    'e\u0301',
    '\u00a0nbsp',
    'back\\slash',
    '\\N',
    'NULL',
    ' ',
    '  ',
    '=1+2',
    '#',
    delimiter,
    quote,
    quote + quote,
    `${quote}x${quote}`,
    '\n',
    '\r\n',
    '\r',
    'a^b',
    'x~y',
    'c:d',
  ];
  const n = r.int(1, 3);
  let s = '';
  for (let i = 0; i < n; i++) s += r.chance(0.6) ? r.pick(pieces) : String(r.int(0, 99999));
  if (r.chance(0.01)) s = 'L'.repeat(r.int(10_000, 200_000)) + s;
  return s;
}

/** A field as written: quoted when it must be (or at random), a doubled quote inside. */
function writeField(v: string | null, r: Rng, delimiter: string, quote: string): string {
  if (v === null) return '';
  const must = v === '' || v.includes(delimiter) || v.includes(quote) || v.includes('\n') || v.includes('\r');
  if (!must && !r.chance(0.2)) return v;
  return quote + v.split(quote).join(quote + quote) + quote;
}

export function csvCase(r: Rng, n: number): CsvCase {
  const [delimiter, quote] = r.pick(DIALECTS);
  const width = r.chance(0.1) ? 1 : r.int(2, 7);
  const uniform = r.chance(0.7);
  const ends = uniform ? [r.pick(['\n', '\r\n'])] : ['\n', '\r\n', '\r'];
  const records: (string | null)[][] = [];
  const rows = r.int(1, 40);
  const ragged = r.chance(0.1);
  for (let i = 0; i < rows; i++) {
    const w = ragged ? r.int(1, width + 1) : width;
    const rec: (string | null)[] = [];
    for (let k = 0; k < w; k++) {
      const kind = r.next();
      rec.push(kind < 0.12 ? null : kind < 0.2 ? '' : cell(r, delimiter, quote));
    }
    // A record of one unquoted empty field is a blank line (no record): write it quoted.
    if (rec.length === 1 && rec[0] === null) rec[0] = '';
    records.push(rec);
  }
  let text = '';
  const brokenAt = r.chance(0.1) ? r.int(0, rows - 1) : null;
  let blankLine = false;
  records.forEach((rec, i) => {
    let line = rec.map((v) => writeField(v, r, delimiter, quote)).join(delimiter);
    if (i === brokenAt)
      line = r.chance(0.5) ? `${line}${delimiter}${quote}ab${quote}cd` : `${line}${delimiter}${quote}never closed`;
    const last = i === records.length - 1;
    text += line + (last && r.chance(0.3) ? '' : r.pick(ends));
    if (!last && r.chance(0.01)) {
      text += r.pick(ends);
      blankLine = true;
    }
  });
  const bom = r.chance(0.2);
  return {
    name: `case${n}.csv`,
    delimiter,
    quote,
    text: (bom ? '\ufeff' : '') + text,
    bom,
    records,
    uniformLineEnds: uniform,
    blankLine,
    brokenAt,
  };
}
