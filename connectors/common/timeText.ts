/**
 * The upper bound of a time cursor from the source's own clock (so a skewed worker clock cannot move it),
 * less the lag, exactly to the microsecond.
 */
import { parseTimestamp, wallClockMs } from '../../domain/timestamps';

/**
 * How a cursor column holds time: an instant (a type with a zone, or one the source keeps in UTC), a wall
 * clock without a zone (read in the import's `timeZone`, as the rows' values are), or a date.
 */
export type ClockKind = 'instant' | 'wall' | 'date';

/**
 * `clock` is the source's current instant as it prints it (with its offset; a reading without one is UTC).
 * An instant bound is that instant less the lag, `YYYY-MM-DD HH:MM:SS.ffffff+00:00`. A wall bound is the
 * wall clock of `timeZone` at that instant, `YYYY-MM-DD HH:MM:SS.ffffff`: rows without a zone are written in
 * local time, so a bound read in UTC would be hours away from them (ahead west of UTC, where the lag then
 * protects nothing and a late commit is skipped; behind east of it, delaying every row). A date bound is the
 * date in `timeZone` now, less the lag in whole days (rounded up), `YYYY-MM-DD`.
 */
export function clockBound(clock: string, lagSeconds: number, kind: ClockKind, timeZone: string): string {
  const t = parseTimestamp(clock.trim(), undefined, 'UTC');
  if (!t) throw new Error(`unreadable source clock "${clock}"`);
  if (kind === 'date') {
    const today = Math.floor(wallClockMs(t.ms, timeZone) / 86_400_000);
    return new Date((today - Math.ceil(lagSeconds / 86_400)) * 86_400_000).toISOString().slice(0, 10);
  }
  const us = t.ms * 1000 + t.us - Math.round(lagSeconds * 1e6);
  const ms = Math.floor(us / 1000);
  const shown = kind === 'wall' ? wallClockMs(ms, timeZone) : ms;
  const iso = new Date(shown).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(us - ms * 1000).padStart(3, '0')}`;
  return kind === 'wall' ? text : `${text}+00:00`;
}
