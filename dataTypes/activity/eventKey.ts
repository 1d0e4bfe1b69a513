/**
 * What makes two events the same, written once: the event's dedup key and its key in the dedup memory,
 * their texts and their hashes. The store remembers both across runs and versions (events.dedup_key and
 * events.memory_key, event_dedup.memory_key), so their input must never change: a new rule that changes a
 * stored event's key needs a migration that rewrites the keys (test/eventKeys.test.ts pins them against the
 * store's own md5 and event_memory_key).
 *
 * The texts hashed are the event's fields as stored, joined by the unit separator (U+001F), which no
 * identifier, event type or canonical text holds unescaped:
 *   - the dedup key: md5(event type US occurred_at US properties), 32 hex digits, where occurred_at is the
 *     canonical timestamp (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, domain/timestamps.ts) and properties the canonical
 *     JSON's key text (the mapping kit's props `key`, domain/canonicalJson.ts), `{}` when there are none;
 *   - the memory key: the user folded into the dedup key (see eventMemoryKey).
 */
import { hash } from 'node:crypto';

/** Same event type, microsecond timestamp and typed properties: the same event (for one user). */
export function eventDedupKey(eventType: string, at: string, properties: string): string {
  return hash('md5', `${eventType}\u001f${at}\u001f${properties}`, 'hex');
}

/**
 * The event's key in the dedup memory: the user folded into the event's dedup key, so the memory is one
 * 16-byte key per event (a uuid index, no text compared). Its first 4 bytes are the event's UTC day (days
 * since 1970, offset by 2^31, big-endian), the other 12 bytes 5-16 of md5(id type US id value US dedup key):
 * the index is ordered by day first, so a batch's insertions land in the few recent days' pages (cached,
 * written together) rather than anywhere in the whole index, and the cost does not grow with the memory.
 * The store's function event_memory_key (migration 050) computes the same from the events table's columns
 * (purge, the migration itself).
 */
export function eventMemoryKey(idType: string, idValue: string, dedupKey: string, at: string): string {
  return dayHex(utcDay(at)) + hash('md5', `${idType}\u001f${idValue}\u001f${dedupKey}`, 'hex').slice(8);
}

let lastDay = NaN;
let lastDayHex = '';
function dayHex(day: number): string {
  if (day !== lastDay) {
    lastDay = day;
    lastDayHex = ((day + 0x80000000) >>> 0).toString(16).padStart(8, '0');
  }
  return lastDayHex;
}

/** Days since 1970-01-01 of a canonical timestamp (`YYYY-MM-DDT…Z`, or ISO's `±YYYYYY-MM-DDT…Z`). */
export function utcDay(at: string): number {
  const t = at.indexOf('T');
  const y = t === 10 ? digitsAt(at, 0, 4) : Number(at.slice(0, t - 6));
  return daysFromCivil(y, digitsAt(at, t - 5, 2), digitsAt(at, t - 2, 2));
}

function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) v = v * 10 + s.charCodeAt(i) - 48;
  return v;
}

/** Proleptic Gregorian date (astronomical years) to days since 1970-01-01 (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, m: number, d: number): number {
  const y = m <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
