/**
 * Keyset reads shared by the SQL connectors: rows after a (cursor, key) position and at or below the run's
 * upper bound, in (cursor, key) order. Written as `c > x OR (c = x AND k > y)` rather than a row
 * comparison, which not every dialect has (ClickHouse 18, Snowflake) or plans well (MySQL).
 */
import type { Position } from '../source';

export interface KeysetSql {
  where: string;
  orderBy: string;
}

/**
 * `c` and `k` are quoted column expressions; `lit(kind, text)` renders a value as a literal or a bind
 * placeholder of the column's type (each dialect decides how to keep it exact).
 */
export function keysetSql(
  c: string,
  k: string,
  after: Position | null,
  upperBound: string,
  lit: (which: 'cursor' | 'key', value: string) => string,
): KeysetSql {
  let where = `${c} IS NOT NULL AND ${k} IS NOT NULL AND ${c} <= ${lit('cursor', upperBound)}`;
  if (after) {
    where += ` AND (${c} > ${lit('cursor', after.cursor)} OR (${c} = ${lit('cursor', after.cursor)} AND ${k} > ${lit('key', after.key)}))`;
  }
  return { where, orderBy: `${c}, ${k}` };
}

/**
 * `max - lag` for a number cursor, computed exactly on the decimal text (a BIGINT or DECIMAL beyond 2^53
 * must not round). Float text with an exponent falls back to floating point, which is what it is.
 */
export function subtractLag(max: string, lag: number): string {
  if (lag === 0) return max;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(max.trim());
  if (!m || !Number.isInteger(lag)) return String(Number(max) - lag);
  const frac = m[3] ?? '';
  const scale = 10n ** BigInt(frac.length);
  const scaled = BigInt(`${m[1]}${m[2]}${frac}`) - BigInt(lag) * scale;
  const neg = scaled < 0n;
  const abs = neg ? -scaled : scaled;
  const intPart = abs / scale;
  const fracPart = frac.length ? `.${(abs % scale).toString().padStart(frac.length, '0')}` : '';
  return `${neg ? '-' : ''}${intPart}${fracPart}`;
}
