/**
 * A row's place in the source as one number, comparable across position streams: a time cursor as epoch
 * microseconds (a zone-less one read in the import's time zone), a number cursor as itself. Streams read
 * disjoint cursor ranges, so between streams the cursor alone orders rows; within one, rows arrive in
 * order. A cursor of another kind (text) has no such number: its rows keep commit order.
 */
import type { SourceColumn } from '../connectors/source';
import { parseTimestamp } from '../domain/timestamps';

export type CursorKind = SourceColumn['cursorKind'];

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NULL_FIELD = '\\N';

/** The COPY field of a cursor value's source order, or \N when it has none. */
export function sourceOrderOf(kind: CursorKind | null, timeZone: string): (cursor: string | null) => string {
  if (kind === 'number') {
    return (cursor) => {
      const t = cursor?.trim();
      return t !== undefined && NUMBER.test(t) ? t : NULL_FIELD;
    };
  }
  if (kind === 'time') {
    return (cursor) => {
      if (cursor === null) return NULL_FIELD;
      const t = parseTimestamp(cursor, undefined, timeZone);
      return t === null ? NULL_FIELD : (BigInt(t.ms) * 1000n + BigInt(t.us)).toString();
    };
  }
  return () => NULL_FIELD;
}
