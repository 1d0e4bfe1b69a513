/**
 * The identifier differential: our identifier normalisation (trim, lowerCase) against Postgres's own
 * Unicode functions: white space trimmed as its regular expressions' [[:space:]] (Unicode White_Space under
 * the builtin C.UTF-8 collation) and lower() under pg_unicode_fast (full Unicode case mapping). Every code
 * point alone, and words that need more than one character's mapping (final sigma, İ).
 */
import type pg from 'pg';
import { identifierNormaliser } from '../../domain/identifiers';

export const IDENTIFIER_WORDS = [
  ' Ana@Example.COM ',
  'ΟΔΟΣ',
  'ΣΑΣ Σ',
  'ΑΣ.',
  'İstanbul',
  'I\u0307',
  'STRASSE',
  'ẞ',
  'ǅǈ',
  'ᾈ',
  '\u00a0Bob\u2003',
  '\ufeffid-1',
  '\u0085x\u0085',
  '\u200bzero-width',
  'ＡＢＣ',
  '𐐀𐐨',
  'MiXeD CaSe',
  '\t\n tab\r\n',
];

/** Every code point but the surrogates and NUL, each alone. */
export function everyCodePoint(): string[] {
  const out: string[] = [];
  for (let cp = 1; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) out.push(String.fromCodePoint(cp));
  return out;
}

export interface IdentifierCompared {
  raw: string;
  ours: string | null;
  postgres: string | null;
}

/** Ours (null: refused as blank) and Postgres's (null: blank once trimmed) for each value. */
export async function compareIdentifiers(db: pg.Client, raws: string[]): Promise<IdentifierCompared[]> {
  const norm = identifierNormaliser({ trim: true, lowerCase: true, reserved: [], maxLength: 1024 });
  const res = await db.query<{ p: string }>(
    `SELECT lower(regexp_replace(v COLLATE pg_c_utf8, '^[[:space:]]+|[[:space:]]+$', '', 'g') COLLATE pg_unicode_fast) AS p
       FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n`,
    [raws],
  );
  return res.rows.map((r, i) => {
    const o = norm(raws[i]!);
    return { raw: raws[i]!, ours: o.ok ? o.value : null, postgres: r.p === '' ? null : r.p };
  });
}

/** Where the two differ on purpose or by their Unicode data, with the reason (docs/values.md says the same). */
export const IDENTIFIER_DIFFERENCES: { id: string; reason: string; applies(c: IdentifierCompared): boolean }[] = [
  {
    id: 'bom-trimmed',
    reason:
      'a byte order mark (U+FEFF) at either end is trimmed, as JavaScript trims it; it is not Unicode white space, so Postgres keeps it',
    applies: (c) =>
      /^\ufeff|\ufeff$/.test(c.raw) &&
      c.postgres !== null &&
      c.postgres.replace(/^\ufeff+|\ufeff+$/g, '') === (c.ours ?? ''),
  },
  {
    id: 'next-line-kept',
    reason:
      'NEXT LINE (U+0085) at either end is kept: JavaScript does not count it as white space, Unicode (and Postgres) does',
    applies: (c) =>
      /^\u0085|\u0085$/.test(c.raw) &&
      c.ours !== null &&
      c.ours.replace(/^\u0085+|\u0085+$/g, '') === (c.postgres ?? ''),
  },
  {
    id: 'newer-unicode',
    reason:
      "letters whose lower case Node's Unicode data has and the Postgres server's older data lacks (such as U+A7CE, U+16EA0–16EB8) are lower-cased; Postgres leaves them",
    applies: (c) => c.postgres === c.raw && c.ours !== null && c.ours !== c.raw && [...c.raw].length === 1,
  },
];
