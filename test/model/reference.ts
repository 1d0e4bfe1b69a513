/**
 * The reference model of an import: what the README's rules say the store holds after a history of
 * source snapshots and runs. Pure and engine-free on purpose (no activities/, spec/ or connector code):
 * it is the oracle the real workflow is compared with, so it must be obviously right on its own.
 *
 * Rules modelled:
 * - A run fixes its upper bound B when it starts and reads, in (cursor, key) order, the committed rows
 *   with (cursor, key) > the position and cursor <= B; the position becomes the last row read. Rows with a
 *   NULL cursor are never read, only counted. A row committed later below the position is never read.
 * - A backfill beside a run takes over part of that run's stretch: together they read each row of it once.
 * - profile (upsert): per user, the row last in (cursor, key) order among the rows read wins;
 *   insert-only: the first. events: one per (user, type, timestamp µs, typed properties).
 *   segments: per (user, segment), the last row read in (cursor, key) order says member or removed.
 */

/** One source row as the source holds it when a run starts; cursor in microseconds since the epoch. */
export interface SourceRow {
  id: number;
  cursor: bigint | null;
  uid: string;
  val: string;
  num: number;
  kind: string;
  at: bigint;
  seg: string;
  removed: boolean;
}

/** A row as read by a run, with the row's values at the time it was read. */
export type ReadRow = SourceRow & { cursor: bigint };

export type Position = { cursor: bigint; id: number } | null;

export const after = (row: { cursor: bigint; id: number }, pos: Position): boolean =>
  pos === null || row.cursor > pos.cursor || (row.cursor === pos.cursor && row.id > pos.id);

export const byCursorKey = (a: ReadRow, b: ReadRow): number =>
  a.cursor < b.cursor ? -1 : a.cursor > b.cursor ? 1 : a.id - b.id;

export interface RunOutcome {
  read: ReadRow[];
  nullCursor: number;
  position: Position;
}

/** One incremental run (or a run and the backfill beside it, which read its stretch between them). */
export function runOver(snapshot: readonly SourceRow[], position: Position, bound: bigint): RunOutcome {
  const read = snapshot
    .filter((r): r is ReadRow => r.cursor !== null && r.cursor <= bound && after(r as ReadRow, position))
    .sort(byCursorKey);
  const last = read.at(-1);
  return {
    read,
    nullCursor: snapshot.filter((r) => r.cursor === null).length,
    position: last ? { cursor: last.cursor, id: last.id } : position,
  };
}

export type Attributes = { val: string; num: number };

/** Profiles: user → attributes, from every row read (in any order of reading). */
export function profiles(reads: readonly ReadRow[], mode: 'upsert' | 'insert-only'): Map<string, Attributes> {
  const winner = new Map<string, ReadRow>();
  for (const r of reads) {
    const w = winner.get(r.uid);
    const wins = w === undefined || (mode === 'upsert' ? byCursorKey(r, w) > 0 : byCursorKey(r, w) < 0);
    if (wins) winner.set(r.uid, r);
  }
  return new Map([...winner].map(([uid, r]) => [uid, { val: r.val, num: r.num }]));
}

/** An event's identity: user, type, timestamp to the microsecond, and its typed properties. */
export const eventKey = (e: { uid: string; kind: string; at: bigint; sku: string; qty: number }): string =>
  JSON.stringify([e.uid, e.kind, e.at.toString(), { qty: e.qty, sku: e.sku }]);

/** Events as the model maps a row: sku is the text column val, qty the number column num. */
export const eventOf = (r: ReadRow) => ({ uid: r.uid, kind: r.kind, at: r.at, sku: r.val, qty: r.num });

/** Events: the distinct events of the rows read. */
export function events(reads: readonly ReadRow[]): Set<string> {
  return new Set(reads.map((r) => eventKey(eventOf(r))));
}

/** Per run of events read in order: how many were new (created) and how many seen before (duplicates). */
export function eventCounts(seen: Set<string>, read: readonly ReadRow[]): { created: number; duplicates: number } {
  let created = 0;
  let duplicates = 0;
  for (const r of read) {
    const k = eventKey(eventOf(r));
    if (seen.has(k)) duplicates++;
    else {
      seen.add(k);
      created++;
    }
  }
  return { created, duplicates };
}

/** Segments: the (user, segment) pairs whose last row in (cursor, key) order is not a removal. */
export function memberships(reads: readonly ReadRow[]): Set<string> {
  const winner = new Map<string, ReadRow>();
  for (const r of reads) {
    const k = JSON.stringify([r.uid, r.seg]);
    const w = winner.get(k);
    if (w === undefined || byCursorKey(r, w) > 0) winner.set(k, r);
  }
  return new Set([...winner].filter(([, r]) => !r.removed).map(([k]) => k));
}
