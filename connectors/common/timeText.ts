/** A source clock reading minus a lag, exactly to the microsecond, as `YYYY-MM-DD HH:MM:SS.ffffff[+00:00]`. */
import { parseTimestamp } from '../../spec/timestamps';

export function minusLag(clock: string, lagSeconds: number, withZone: boolean): string {
  const t = parseTimestamp(clock.trim(), undefined, 'UTC');
  if (!t) throw new Error(`unreadable source clock "${clock}"`);
  const us = t.ms * 1000 + t.us - Math.round(lagSeconds * 1e6);
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(us - ms * 1000).padStart(3, '0')}`;
  return withZone ? `${text}+00:00` : text;
}
