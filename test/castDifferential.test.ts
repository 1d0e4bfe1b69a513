/**
 * Our type conversions against Postgres's own casts. Every value of a tricky corpus (hand-picked and seeded
 * generated) is read by our mapping as an attribute of its type and cast by the real Postgres; both sides
 * must agree (same value, or both refuse), or differ in a way listed in castDifferences.ts with its reason
 * (docs/values.md says the same to users). A difference nobody listed fails the test, and so does a listed
 * one the corpus no longer shows (the list and the docs stay true).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import type { ValueType } from '../domain/importSpec';
import { castCorpus } from './oracles/castCorpus';
import { compare, ourEventTime, ourJson, SETUP_SQL, type Compared, type OracleKind } from './oracles/castOracle';
import { classify, DIFFERENCES, type Difference } from './oracles/castDifferences';
import {
  compareIdentifiers,
  everyCodePoint,
  IDENTIFIER_DIFFERENCES,
  IDENTIFIER_WORDS,
} from './oracles/identifierOracle';

const SEED = 20261205;
const GENERATED = 1500;
/** Zones timestamps are read in: UTC, west and east of it, a half-hour offset, a half-hour DST (Lord Howe). */
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Europe/London'];

interface Check {
  type: ValueType;
  kind: OracleKind;
  zone: string;
  format?: string;
  corpus?: 'formattedDate';
}
const CHECKS: Check[] = [
  { type: 'number', kind: 'numeric', zone: 'UTC' },
  { type: 'number', kind: 'float8', zone: 'UTC' },
  { type: 'boolean', kind: 'boolean', zone: 'UTC' },
  ...ZONES.map((zone): Check => ({ type: 'timestamp', kind: 'timestamptz', zone })),
  { type: 'date', kind: 'date', zone: 'UTC' },
  { type: 'date', kind: 'date', zone: 'UTC', format: "yyyy-MM-dd'T'HH:mm:ssXXX", corpus: 'formattedDate' },
  { type: 'string', kind: 'text', zone: 'UTC' },
  { type: 'json', kind: 'jsonb', zone: 'UTC' },
];

const show = (c: Compared) => `${JSON.stringify(c.raw)}: ours ${c.ours ?? 'refused'}, Postgres ${c.postgres}`;

describe('type conversions against Postgres casts', () => {
  let db: pg.Client;
  beforeAll(async () => {
    db = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await db.connect();
    await db.query(SETUP_SQL);
    // Slash dates are day first in our reading; Postgres reads them so with DateStyle DMY.
    await db.query(`SET DateStyle = 'ISO, DMY'`);
  });
  afterAll(async () => {
    await db?.end();
  });

  it('agree, or differ only as documented', async () => {
    const started = Date.now();
    const corpus = castCorpus(SEED, GENERATED);
    const undocumented: string[] = [];
    const used = new Map<Difference, number>();
    const examples = new Map<Difference, string>();
    let values = 0;
    let documented = 0;
    for (const check of CHECKS) {
      // Each value's Postgres-readable twin is compared too, and must read as the value does: the value
      // trimmed of Unicode white space, and a comma fraction written with a point.
      const twins = (v: string) => [v.trim(), v.trim().replace(/(:\d\d),(\d)/, '$1.$2')];
      const raws = [
        ...new Set(
          corpus[check.corpus ?? check.type].flatMap((v) =>
            check.type === 'string' || check.type === 'json' ? [v] : [v, ...twins(v)],
          ),
        ),
      ];
      await db.query(`SET TimeZone = '${check.zone}'`);
      const ours = raws.map((v) => ourJson(v, check.type, check.zone, check.format));
      if (check.type === 'timestamp') {
        // An event's timestamp is read as a timestamp attribute is.
        const events = raws.map((v) => ourEventTime(v, check.zone));
        expect(events).toEqual(ours);
      }
      if (check.type !== 'string' && check.type !== 'json') {
        const read = new Map(raws.map((v, i) => [v, ours[i]]));
        const unlike = raws.filter((v) => twins(v).some((t) => read.get(t) !== read.get(v)));
        expect(unlike).toEqual([]);
      }
      const rows = await compare(db, check.kind, raws, ours);
      values += rows.length;
      for (const c of rows) {
        const outcome = classify(c);
        if (outcome === 'agree') continue;
        const rule = DIFFERENCES.find(
          (d) =>
            d.checks.includes(check.kind) &&
            d.outcome === outcome &&
            (d.format ?? null) === (check.format ?? null) &&
            d.applies(c.raw, c),
        );
        if (!rule) {
          undocumented.push(
            `${check.kind} in ${check.zone}${check.format ? ` with format ${check.format}` : ''}, ${outcome}: ${show(c)}`,
          );
          continue;
        }
        documented++;
        used.set(rule, (used.get(rule) ?? 0) + 1);
        if (!examples.has(rule)) examples.set(rule, show(c));
      }
    }
    for (const d of DIFFERENCES)
      console.log(`  ${d.id} (${d.outcome}, ${used.get(d) ?? 0}×): ${d.reason}\n    e.g. ${examples.get(d) ?? 'none'}`);
    for (const u of undocumented) console.log(`UNDOCUMENTED ${u}`);
    console.log(
      `cast differential: ${values} values, ${new Set(CHECKS.map((c) => c.kind)).size} types, ` +
        `${DIFFERENCES.length} documented differences (${documented} values), ${undocumented.length} disagree, in ${Date.now() - started} ms`,
    );
    expect(undocumented).toEqual([]);
    expect(DIFFERENCES.filter((d) => !used.has(d)).map((d) => d.id)).toEqual([]);
  });

  it('identifiers are trimmed and lower-cased as Postgres does, or differ only as documented', async () => {
    const started = Date.now();
    const rows = await compareIdentifiers(db, [...IDENTIFIER_WORDS, ...everyCodePoint()]);
    const undocumented: string[] = [];
    const used = new Map<string, string[]>();
    for (const c of rows) {
      if (c.ours === c.postgres) continue;
      const rule = IDENTIFIER_DIFFERENCES.find((d) => d.applies(c));
      const hex = [...c.raw]
        .map((ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)
        .join(' ');
      if (!rule)
        undocumented.push(
          `${JSON.stringify(c.raw)} (${hex}): ours ${JSON.stringify(c.ours)}, Postgres ${JSON.stringify(c.postgres)}`,
        );
      else used.set(rule.id, [...(used.get(rule.id) ?? []), hex]);
    }
    for (const d of IDENTIFIER_DIFFERENCES)
      console.log(
        `  ${d.id} (${used.get(d.id)?.length ?? 0}×): ${d.reason}\n    ${used.get(d.id)?.slice(0, 8).join(', ')}`,
      );
    for (const u of undocumented.slice(0, 40)) console.log(`UNDOCUMENTED ${u}`);
    console.log(
      `identifier differential: ${rows.length} values, ${IDENTIFIER_DIFFERENCES.length} documented differences ` +
        `(${[...used.values()].reduce((n, l) => n + l.length, 0)} values), ${undocumented.length} disagree, in ${Date.now() - started} ms`,
    );
    expect(undocumented).toEqual([]);
    expect(IDENTIFIER_DIFFERENCES.filter((d) => !used.has(d.id)).map((d) => d.id)).toEqual([]);
  });
});
