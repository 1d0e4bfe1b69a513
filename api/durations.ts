/** Durations as people write them in settings and query strings: `30d`, `12h`, `15m`, `3s`, `250ms`. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration such as 30d, 12h, 15m or 3s`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}
