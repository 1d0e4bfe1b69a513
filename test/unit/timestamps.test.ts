/**
 * Timestamps and dates to canonical text (domain/timestamps.ts). The text is part of every event's dedup key,
 * so the first test pins what earlier versions gave; the rest cover values that were read wrongly before.
 */
import { describe, expect, it, vi } from 'vitest';
import { formatInstant, parseDate, timestampText } from '../../domain/timestamps';
import { toJson } from '../../domain/values';
import { DATE_PINS, TIMESTAMP_PINS } from './timestampPins';

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ts = (raw: string, format?: string, zone = 'UTC') => timestampText(raw, format, zone);

describe('values read correctly before', () => {
  it('give byte-identical canonical text (dedup keys of events already loaded)', () => {
    const changed = TIMESTAMP_PINS.filter(([raw, format, zone, want]) => ts(raw, format ?? undefined, zone) !== want);
    expect(changed).toEqual([]);
    const changedDates = DATE_PINS.filter(([raw, format, want]) => parseDate(raw, format ?? undefined) !== want);
    expect(changedDates).toEqual([]);
    expect(TIMESTAMP_PINS.length).toBeGreaterThan(800);
  });
  it('truncate fractions beyond the microsecond, on both paths (rounding would change loaded keys)', () => {
    expect(ts('2026-01-02T03:04:05.1234569Z')).toBe('2026-01-02T03:04:05.123456Z');
    expect(ts('2026-01-02T03:04:05.1234569+01:00')).toBe('2026-01-02T02:04:05.123456Z');
    expect(ts('1767225600.1234569', 'epoch_s')).toBe('2026-01-01T00:00:00.123456Z');
  });
});

/** Every `step` minutes of a local day, as `yyyy-MM-dd HH:mm`. */
function wallTimes(day: string, step = 5): string[] {
  const out: string[] = [];
  for (let m = 0; m < 24 * 60; m += step) {
    out.push(`${day} ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  }
  return out;
}

/** A seeded shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('zone offsets', () => {
  // Days holding a clock change: St_Johns changes at 05:30/04:30 UTC, Lord_Howe by 30 minutes at 15:00/15:30
  // UTC, Kathmandu from +05:30 to +05:45 at 18:30 UTC on 1985-12-31, Berlin on the hour.
  const days: [string, string][] = [
    ['America/St_Johns', '2026-03-08'],
    ['America/St_Johns', '2026-11-01'],
    ['Europe/Berlin', '2026-03-29'],
    ['Europe/Berlin', '2026-10-25'],
    ['Australia/Lord_Howe', '2026-04-05'],
    ['Australia/Lord_Howe', '2026-10-04'],
    ['Asia/Kathmandu', '1985-12-31'],
    ['Asia/Kathmandu', '1986-01-01'],
  ];

  it('do not depend on the order values are read in: ascending, descending, shuffled = read alone', async () => {
    // Read alone: a fresh copy of the module for each value, so no cache holds anything yet.
    const alone = new Map<string, string | null>();
    for (const [zone, day] of days) {
      for (const w of wallTimes(day)) {
        vi.resetModules();
        const fresh = await import('../../domain/timestamps');
        alone.set(`${zone}|${w}`, fresh.timestampText(w, undefined, zone));
      }
    }
    const orders = {
      ascending: (l: string[]) => l,
      descending: (l: string[]) => [...l].reverse(),
      shuffled: (l: string[]) => shuffled(l, 20260308),
    };
    for (const [name, order] of Object.entries(orders)) {
      vi.resetModules();
      const shared = await import('../../domain/timestamps'); // one cache for the whole pass, as in a run
      const wrong: string[] = [];
      for (const [zone, day] of days) {
        for (const w of order(wallTimes(day))) {
          const got = shared.timestampText(w, undefined, zone);
          if (got !== alone.get(`${zone}|${w}`))
            wrong.push(`${name} ${zone} ${w}: ${got} alone ${alone.get(`${zone}|${w}`)}`);
        }
      }
      expect(wrong).toEqual([]);
    }
  });

  it('put every wall time that exists once at that wall time', () => {
    for (const [zone, day] of days) {
      const local = new Intl.DateTimeFormat('sv-SE', {
        timeZone: zone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
      const walls = shuffled(wallTimes(day), 7);
      const back = walls.map((w) => local.format(new Date(ts(w, undefined, zone)!)));
      // The only misses are the wall times skipped when clocks go forward (30, 60 or 15 minutes).
      const misses = walls.filter((w, i) => back[i] !== w).sort();
      const gap = {
        'America/St_Johns|2026-03-08': 12,
        'Europe/Berlin|2026-03-29': 12,
        'Australia/Lord_Howe|2026-10-04': 6,
        'Asia/Kathmandu|1986-01-01': 3,
      };
      expect(misses.length).toBe(gap[`${zone}|${day}` as keyof typeof gap] ?? 0);
    }
  });

  it('read an earlier wall time right after a later one of the same UTC hour (St_Johns changes at 05:30 UTC)', () => {
    const zone = 'America/St_Johns';
    expect(ts('2026-03-08 05:45', undefined, zone)).toBe('2026-03-08T08:15:00.000000Z');
    expect(ts('2026-03-08 01:45', undefined, zone)).toBe('2026-03-08T05:15:00.000000Z');
    expect(ts('2026-03-08 01:59:59.999999', undefined, zone)).toBe('2026-03-08T05:29:59.999999Z');
    expect(ts('2026-03-08 03:00', undefined, zone)).toBe('2026-03-08T05:30:00.000000Z');
  });
});

describe('years 1 to 100 in a zone', () => {
  it('stay in their year (Date.UTC reads 0–99 as 1900–1999)', () => {
    // Before 1883 New York kept local mean time, -04:56:02, which is read to the second, as Postgres reads it.
    expect(ts('0001-01-01 00:00:00', undefined, 'America/New_York')).toBe('0001-01-01T04:56:02.000000Z');
    expect(ts('0050-06-01 12:00:00', undefined, 'Europe/Berlin')).toBe('0050-06-01T11:06:32.000000Z');
    expect(ts('0099-12-31 23:00:00', undefined, 'Asia/Tokyo')).toBe('0099-12-31T13:41:01.000000Z');
    expect(ts('0100-01-01 00:00:00', undefined, 'America/New_York')).toBe('0100-01-01T04:56:02.000000Z');
    expect(ts('0004-02-29 12:00:00.5', undefined, 'Europe/Paris')).toBe('0004-02-29T11:50:39.500000Z');
    expect(ts('01/01/0001 12:00:00', undefined, 'Asia/Tokyo')).toBe('0001-01-01T02:41:01.000000Z');
  });
  it('are refused when the instant falls before 0001-01-01 UTC', () => {
    expect(ts('0001-01-01 05:00:00', undefined, 'Asia/Tokyo')).toBeNull();
    expect(ts('0001-01-01T00:30:00+01:00')).toBeNull();
    expect(ts('0000-06-01T00:00:00', undefined, 'America/New_York')).toBeNull();
    expect(ts('0000-06-01T00:00:00Z')).toBeNull();
  });
});

describe('dates', () => {
  const date = (raw: string, format?: string) => toJson(raw, 'date', format, 'UTC');

  it('read yyyy-MM-dd, and date-times at midnight with no offset or a zero one', () => {
    for (const raw of [
      '2026-01-02',
      '2026-01-02T00:00:00Z',
      '2026-01-02 00:00:00',
      '2026-01-02 00:00:00+00',
      '2026-01-02T00:00:00.000000-00:00',
      '2026-01-02T00:00',
      '2026-01-02Z',
      '02/01/2026 00:00:00',
      ' 2026-01-02 ',
    ]) {
      expect(date(raw), raw).toEqual({ ok: true, json: '"2026-01-02"' });
    }
    expect(date('0001-01-01')).toEqual({ ok: true, json: '"0001-01-01"' });
  });

  it('refuse epoch numbers and date-times with a time or an offset, saying a date was expected', () => {
    for (const raw of [
      '20260102',
      '2026',
      '0',
      '1767225600',
      '1767225600000',
      '300000000000000',
      '2026-01-02 15:30:00',
      '2026-01-02T00:30:00+02:00',
      '2026-01-02T02:00:00+02:00',
      '2026-01-02T00:00:00.000001Z',
      '2026-01-01T23:59:60Z',
      '01/01/2026 23:59:60',
      '02/01/2026 15:30:00',
      '2026-01-02+01:00',
      '0000-01-01',
    ]) {
      expect(date(raw), raw).toEqual({ ok: false, reason: `expected a date, got "${raw}"` });
    }
  });

  it('with a format, read what the format says', () => {
    expect(date('20260102', 'yyyyMMdd')).toEqual({ ok: true, json: '"2026-01-02"' });
    expect(date('31/12/2025', 'dd/MM/yyyy')).toEqual({ ok: true, json: '"2025-12-31"' });
    expect(date('1767225600', 'epoch_s')).toEqual({ ok: true, json: '"2026-01-01"' });
    expect(date('31/12/2025 23:30', 'dd/MM/yyyy HH:mm')).toEqual({ ok: true, json: '"2025-12-31"' });
    expect(date('1767225600000000', 'epoch_ms')).toEqual({
      ok: false,
      reason: 'expected a date in format epoch_ms, got "1767225600000000"',
    });
  });
});

describe('epoch numbers and the years 0001–9999', () => {
  it('read bare numbers as epoch seconds below 1e11 and milliseconds above, as documented', () => {
    expect(ts('1767225600')).toBe('2026-01-01T00:00:00.000000Z');
    expect(ts('99999999999')).toBe('5138-11-16T09:46:39.000000Z');
    expect(ts('100000000000')).toBe('1973-03-03T09:46:40.000000Z');
    expect(ts('-62135596800')).toBe('0001-01-01T00:00:00.000000Z');
    expect(ts('253402300799999')).toBe('9999-12-31T23:59:59.999000Z');
    expect(ts('31536000')).toBe('1971-01-01T00:00:00.000000Z'); // 8 digits, but 3153-60-00 is no date
    expect(ts('19701301')).toBe('1970-08-17T00:35:01.000000Z'); // month 13: no date
  });

  it('refuse an 8-digit number that is also a date without a format (ambiguous), and read it with one', () => {
    expect(ts('20260102')).toBeNull();
    expect(ts('19700101')).toBeNull();
    expect(ts('20260102', 'epoch_s')).toBe('1970-08-23T11:48:22.000000Z');
    expect(ts('20260102', 'yyyyMMdd')).toBe('2026-01-02T00:00:00.000000Z');
  });

  it('refuse a 6-digit yyMMdd and a 14-digit yyyyMMddHHmmss number too (Postgres reads the first as its date), and read them with a format', () => {
    expect(ts('260102')).toBeNull(); // was 1970-01-04T00:15:02Z; Postgres: 2026-01-02
    expect(ts('991231')).toBeNull();
    expect(ts('20260102123456')).toBeNull(); // was 2612-01-07T22:08:43.456Z, as milliseconds
    expect(ts('260102', 'epoch_s')).toBe('1970-01-04T00:15:02.000000Z');
    expect(ts('20260102123456', 'yyyyMMddHHmmss')).toBe('2026-01-02T12:34:56.000000Z');
    expect(ts('20260102123456', 'epoch_ms')).toBe('2612-01-07T22:08:43.456000Z');
    // Not a date: still epoch counts.
    expect(ts('261302')).toBe('1970-01-04T00:35:02.000000Z');
    expect(ts('20260102126056')).toBe('2612-01-07T22:08:46.056000Z');
  });

  it('read a lowercase t between date and time (RFC 3339), on both paths', () => {
    expect(ts('2026-01-02t03:04:05Z')).toBe('2026-01-02T03:04:05.000000Z');
    expect(ts('2026-01-02t03:04:05', undefined, 'America/New_York')).toBe('2026-01-02T08:04:05.000000Z');
    expect(parseDate('2026-01-02t00:00:00z', undefined)).toBe('2026-01-02');
  });

  it('refuse counts that fall outside the years 0001–9999 instead of printing six-digit years', () => {
    expect(ts('1767225600000000')).toBeNull(); // microseconds, read as milliseconds: year 57971
    expect(ts('1767225600000000000')).toBeNull();
    expect(ts('1767225600000000', 'epoch_us')).toBe('2026-01-01T00:00:00.000000Z');
    expect(ts('300000000000123', 'epoch_ms')).toBeNull();
    expect(ts('253402300800000')).toBeNull();
    expect(ts('-62135596801')).toBeNull();
    expect(ts('-62198755200123', 'epoch_ms')).toBeNull();
    expect(ts('253402300800', 'epoch_s')).toBeNull();
    expect(ts('9999-12-31T23:59:59.999999-00:01')).toBeNull();
    expect(ts('9999-12-31 23:30:00', undefined, 'America/New_York')).toBeNull();
    expect(ts('9999-12-31T23:59:59.999999Z')).toBe('9999-12-31T23:59:59.999999Z');
    expect(() => formatInstant({ ms: 253402300800000, us: 0 })).toThrow(RangeError);
  });

  it('give canonical text for every value accepted, over a spread of forms', () => {
    const inputs: [string, string | undefined, string][] = [];
    for (let k = -70; k <= 90; k++) {
      const s = String(Math.round(10 ** (k / 10 + 9))); // 1e2 .. 1e18, seconds through nanoseconds
      inputs.push(
        [s, undefined, 'UTC'],
        [`-${s}`, undefined, 'UTC'],
        [s, 'epoch_ms', 'UTC'],
        [s, 'epoch_us', 'UTC'],
        [s, 'epoch_s', 'UTC'],
      );
    }
    for (const y of ['0001', '0099', '0100', '1883', '2026', '9999']) {
      for (const zone of ['UTC', 'Pacific/Kiritimati', 'Pacific/Niue', 'Asia/Kathmandu']) {
        inputs.push([`${y}-01-01 00:00:00`, undefined, zone], [`${y}-12-31 23:59:59.999999`, undefined, zone]);
        inputs.push([`${y}-06-15T12:00:00-15:59`, undefined, zone], [`${y}-06-15T12:00:00+15:59`, undefined, zone]);
      }
    }
    const bad = inputs
      .map(([raw, f, z]) => [raw, f, z, ts(raw, f, z)])
      .filter(([, , , t]) => t !== null && !CANONICAL.test(t!));
    expect(bad).toEqual([]);
  });
});

describe('written offsets', () => {
  it('accept up to ±15:59, as Postgres does, and refuse more hours or 60+ minutes', () => {
    expect(ts('2026-01-02T03:04:05+15:59')).toBe('2026-01-01T11:05:05.000000Z');
    expect(ts('2026-01-02T03:04:05-15:59')).toBe('2026-01-02T19:03:05.000000Z');
    expect(ts('2026-01-02T03:04:05+14:00')).toBe('2026-01-01T13:04:05.000000Z');
    for (const raw of [
      '2026-01-02T03:04:05+99:99',
      '2026-01-02T03:04:05+05:75',
      '2026-01-02T03:04:05+16:00',
      '2026-01-02T03:04:05-16',
      '2026-01-02T03:04:05+0560',
      '2026-01-02 03:04:05.5 -2400',
    ]) {
      expect(ts(raw), raw).toBeNull();
    }
    expect(ts('2026-01-02T03:04:05+99:99', "yyyy-MM-dd'T'HH:mm:ssXXX")).toBeNull();
    expect(toJson('2026-01-02T03:04:05+05:75', 'timestamp', undefined, 'UTC')).toEqual({
      ok: false,
      reason: 'expected a timestamp, got "2026-01-02T03:04:05+05:75"',
    });
  });
});
