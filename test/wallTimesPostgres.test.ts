/**
 * Wall-clock times read in a zone mean what real Postgres's `timestamp AT TIME ZONE` says they mean, for
 * every zone Node knows and every clock change from 1970 to 2037: the times around each change (in its gap
 * or overlap, and just outside) are read by timestampText and by Postgres, and must agree to the
 * microsecond. Clock changes are found here by bisection over Intl offsets, independently of the code under
 * test. Where Node's time zone data and Postgres's disagree about a zone's offsets, no reading can agree
 * with both: such zones are named, skipped, and asserted to be a small known set.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { timestampText } from '../domain/timestamps';
import { TIMESTAMP_PINS } from './unit/timestampPins';

const FROM = Date.UTC(1970, 0, 1);
const TO = Date.UTC(2038, 0, 1);
const STEP = 10 * 86_400_000;
const MIN = 60_000;
const HOUR = 3_600_000;

/** en-GB's printed wall clock, `dd/mm/yyyy, HH:MM:SS`. */
const PRINTED = /^(\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;
const zoneFormat = (zone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });

/** Offset in ms of a zone at an instant, from the wall clock Intl prints (whole seconds). */
function intlOffset(fmt: Intl.DateTimeFormat, ms: number): number {
  const m = PRINTED.exec(fmt.format(new Date(ms)));
  if (!m) throw new Error(`unexpected Intl output ${fmt.format(new Date(ms))}`);
  const wall = Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  return wall - Math.floor(ms / 1000) * 1000;
}

interface Change {
  at: number;
  before: number;
  after: number;
}

/** Clock changes of a zone in [FROM, TO): samples ten days apart, then bisection to the second. */
function changesOf(zone: string): Change[] {
  const fmt = zoneFormat(zone);
  const out: Change[] = [];
  const find = (lo: number, hi: number, offLo: number, offHi: number) => {
    // A pair of changes within ten days that cancel out is not seen: those wall times are not compared.
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      const o = intlOffset(fmt, mid);
      if (o === offLo) lo = mid;
      else if (o === offHi) hi = mid;
      else {
        find(lo, mid, offLo, o);
        lo = mid;
        offLo = o;
      }
    }
    out.push({ at: hi, before: offLo, after: offHi });
  };
  let prev = intlOffset(fmt, FROM);
  for (let t = FROM + STEP; t < TO + STEP; t += STEP) {
    const o = intlOffset(fmt, t);
    if (o !== prev) find(t - STEP, t, prev, o);
    prev = o;
  }
  return out.filter((c) => c.at >= FROM && c.at < TO).sort((a, b) => a.at - b.at);
}

/** `YYYY-MM-DD HH:MM:SS` of epoch ms read as UTC fields. */
const wallText = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const OFFSETS_AROUND = [-HOUR, -MIN, 0, MIN, 30 * MIN, HOUR, HOUR + 59 * MIN];

/**
 * Zones whose offsets Node (ICU) and Postgres (its tzdata) give differently for some instant of 1970–2037
 * (a rule the two data sets disagree on). Checked below: this set is what the comparison finds.
 */
const KNOWN_DIFFERENT = new Set<string>(['America/Vancouver', 'Europe/Chisinau']);

describe('wall times around every clock change, 1970–2037, against real Postgres', () => {
  let db: pg.Client;
  beforeAll(async () => {
    db = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await db.connect();
    await db.query(`SET TimeZone = 'UTC'`);
  });
  afterAll(async () => {
    await db?.end();
  });

  it('agree with timestamp AT TIME ZONE for every zone whose rules Node and Postgres share', async () => {
    const started = Date.now();
    const pgZones = new Set(
      (await db.query<{ name: string }>('SELECT name FROM pg_timezone_names')).rows.map((r) => r.name),
    );
    const zones = Intl.supportedValuesOf('timeZone');
    const changes = new Map(zones.map((z) => [z, changesOf(z)]));

    // 1. Offsets at instants, Intl against Postgres: a second either side of each change, midway between
    //    changes, and twice a year.
    const unknownToPostgres = zones.filter((z) => !pgZones.has(z));
    const sampleZones: string[] = [];
    const sampleAt: string[] = [];
    const expected: number[] = [];
    for (const zone of zones) {
      if (!pgZones.has(zone)) continue;
      const fmt = zoneFormat(zone);
      const instants: number[] = [];
      for (let y = 1970; y < 2038; y++) instants.push(Date.UTC(y, 0, 15), Date.UTC(y, 6, 15));
      let last = FROM;
      for (const c of changes.get(zone)!) {
        instants.push(c.at - 1000, c.at, last + Math.floor((c.at - last) / 2000) * 1000);
        last = c.at;
      }
      for (const t of instants) {
        sampleZones.push(zone);
        sampleAt.push(new Date(t).toISOString());
        expected.push(intlOffset(fmt, t));
      }
    }
    const offsetRows = await db.query<{ ms: string }>(
      `SELECT (extract(epoch FROM (t AT TIME ZONE z) - (t AT TIME ZONE 'UTC')) * 1000)::bigint::text AS ms
         FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS u(z, t, n) ORDER BY n`,
      [sampleZones, sampleAt],
    );
    const differing = new Set<string>(unknownToPostgres);
    offsetRows.rows.forEach((r, i) => {
      if (Number(r.ms) === expected[i] || differing.has(sampleZones[i]!)) return;
      differing.add(sampleZones[i]!);
      console.log(
        `${sampleZones[i]} at ${sampleAt[i]}: Node ${expected[i]! / 1000} s, Postgres ${Number(r.ms) / 1000} s`,
      );
    });

    // 2. Wall times around each change, read by both sides.
    const wallZones: string[] = [];
    const walls: string[] = [];
    for (const zone of zones) {
      if (differing.has(zone)) continue;
      for (const c of changes.get(zone)!) {
        for (const side of [c.at + c.before, c.at + c.after]) {
          for (const d of OFFSETS_AROUND) {
            wallZones.push(zone);
            walls.push(wallText(side + d));
          }
        }
      }
    }
    const readRows = await db.query<{ t: string }>(
      `SELECT to_char((w AT TIME ZONE z) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
         FROM unnest($1::text[], $2::timestamp[]) WITH ORDINALITY AS u(z, w, n) ORDER BY n`,
      [wallZones, walls],
    );
    const wrong: string[] = [];
    readRows.rows.forEach((r, i) => {
      const got = timestampText(walls[i]!, undefined, wallZones[i]!);
      if (got !== r.t) wrong.push(`${wallZones[i]} ${walls[i]}: ${got}, Postgres ${r.t}`);
    });

    const skipped = [...differing].sort();
    console.log(
      `${zones.length} zones, ${[...changes.values()].reduce((n, c) => n + c.length, 0)} clock changes, ` +
        `${walls.length} wall times compared (${wrong.length} disagree) in ${Date.now() - started} ms; skipped (Node and Postgres rules differ): ${skipped.join(', ') || 'none'}`,
    );
    expect(wrong.slice(0, 30)).toEqual([]);
    expect(walls.length).toBeGreaterThan(100_000);
    expect(skipped).toEqual([...KNOWN_DIFFERENT].sort());
  });

  it('agree for every pinned wall time read in a zone (the pins hold what Postgres says)', async () => {
    const pins = TIMESTAMP_PINS.filter(
      ([raw, format, zone, want]) =>
        format === null &&
        zone !== 'UTC' &&
        want !== null &&
        /^\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?$/.test(raw),
    );
    const res = await db.query<{ t: string }>(
      `SELECT to_char((w AT TIME ZONE z) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
         FROM unnest($1::text[], $2::timestamp[]) WITH ORDINALITY AS u(z, w, n) ORDER BY n`,
      [pins.map((p) => p[2]), pins.map((p) => p[0])],
    );
    const disagree = pins.flatMap((p, i) =>
      p[3] === res.rows[i]!.t ? [] : [`${p[2]} ${p[0]}: pin ${p[3]}, Postgres ${res.rows[i]!.t}`],
    );
    expect(pins.length).toBeGreaterThan(100);
    expect(disagree).toEqual([]);
  });
});
