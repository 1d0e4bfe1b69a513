/**
 * clockBound: the upper bound of a time cursor from the source's clock. Expected wall times are the
 * zones' known offsets on those days (New York -05:00 in December, -04:00 in July; Kolkata +05:30).
 */
import { describe, expect, it } from 'vitest';
import { clockBound } from '../../connectors/common/timeText';

describe('clockBound', () => {
  it('an instant cursor: the clock less the lag, exactly, in UTC whatever the zone', () => {
    expect(clockBound('2026-12-05 02:00:00.000001+00', 30, 'instant', 'America/New_York')).toBe(
      '2026-12-05 01:59:30.000001+00:00',
    );
    expect(clockBound('2026-12-05 07:30:00.5+05:30', 0.25, 'instant', 'Asia/Kolkata')).toBe(
      '2026-12-05 02:00:00.250000+00:00',
    );
  });
  it("a cursor without a zone: the import's wall clock less the lag", () => {
    expect(clockBound('2026-12-05 02:00:00.000001+00', 30, 'wall', 'America/New_York')).toBe(
      '2026-12-04 20:59:30.000001',
    );
    expect(clockBound('2026-07-05T02:00:00Z', 30, 'wall', 'America/New_York')).toBe('2026-07-04 21:59:30.000000');
    expect(clockBound('2026-12-05 20:00:00+00', 60, 'wall', 'Asia/Kolkata')).toBe('2026-12-06 01:29:00.000000');
    expect(clockBound('2026-12-05 20:00:00+00', 60, 'wall', 'UTC')).toBe('2026-12-05 19:59:00.000000');
  });
  it("a date cursor: the date in the import's zone, less the lag in whole days", () => {
    expect(clockBound('2026-12-05 02:00:00+00', 30, 'date', 'America/New_York')).toBe('2026-12-03');
    expect(clockBound('2026-12-05 20:00:00+00', 30, 'date', 'Asia/Kolkata')).toBe('2026-12-05');
    expect(clockBound('2026-12-05 20:00:00+00', 0, 'date', 'Asia/Kolkata')).toBe('2026-12-06');
    expect(clockBound('2026-12-05 20:00:00+00', 86_401, 'date', 'UTC')).toBe('2026-12-03');
  });
  it('refuses a clock it cannot read', () => {
    expect(() => clockBound('soon', 0, 'wall', 'UTC')).toThrow(/unreadable source clock "soon"/);
  });
});
