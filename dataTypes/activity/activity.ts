/**
 * Activity: each row one event. Only its dedup memory key is staged (with the user on the user's first row
 * of the batch); the event itself is COPYed straight into `events` once the merge has named the duplicates.
 */
import { timestampText } from '../../domain/timestamps';
import { copyField, fail } from '../../engine/mapValidate';
import { type DataTypeDefinition, rowLine, stageLine } from '../dataType';
import { eventDedupKey, eventMemoryKey } from './eventKey';
import { eventLoader, eventRow } from './events';

// id_type and id_value: NULL but on the batch's first row for a user (only those are checked against identities).
const stage = [
  ['id', 'user'],
  ['memory_key', 'uuid'],
] as const;
const line = stageLine(stage);
const eventLine = rowLine(eventRow);

export const activityType: DataTypeDefinition<'activity'> = {
  dataType: 'activity',
  stage,
  row: eventRow,
  compile(spec, { user, ref, props, idx, tz, hooks }) {
    const m = spec.mapping;
    const u = user(m.userId.column, m.idType);
    const ev = ref(m.eventType, 'event type');
    const p = props(m.properties);
    const ti = idx(m.timestamp.column);
    const tsFormat = m.timestamp.format;
    const firstUse = hooks.firstUse ?? (() => true);
    return (row, seq) => {
      const a = u(row);
      if (!a.ok) return a.err;
      const e = ev(row);
      if (!e.ok) return e.err;
      const rawTs = row[ti] ?? null;
      if (rawTs === null) return fail(m.timestamp.column, null, 'timestamp is missing (NULL)');
      const at = timestampText(rawTs, tsFormat, tz);
      if (at === null)
        return fail(m.timestamp.column, rawTs, `unparseable timestamp${tsFormat ? ` (expected ${tsFormat})` : ''}`);
      const b = p(row);
      if (!b.ok) return b.err;
      // The key's text is the properties' key text where it differs from what is stored (canonicalJson.ts).
      const key = eventDedupKey(e.value, at, b.key ?? b.value);
      const memoryKey = eventMemoryKey(a.type, a.id, key, at);
      // The user is staged only on its first row (to create unseen identifiers); the rest stage NULLs.
      return {
        ok: true,
        dedup: memoryKey,
        text: line(seq, firstUse(a.key) ? a.value : '\\N\t\\N', memoryKey),
        row: eventLine(a.value, copyField(e.value), at, copyField(b.value), key, memoryKey),
      };
    };
  },
  loader: eventLoader,
  dedupInChunk: true,
  stagesUsersOnce: true,
  // The dedup memory is found through the events it remembers, so it goes first. It is per user, not per
  // import: forget only keys no other import's events still hold.
  purge: [
    {
      table: 'event_dedup',
      sql: `DELETE FROM event_dedup d USING events e
     WHERE e.import_id = $1 AND d.memory_key = event_memory_key(e.id_type, e.id_value, e.dedup_key, e.occurred_at)
       AND NOT EXISTS (SELECT 1 FROM events o WHERE o.import_id <> $1 AND o.id_type = e.id_type
                       AND o.id_value = e.id_value AND o.dedup_key = e.dedup_key)`,
    },
    { table: 'events', sql: 'DELETE FROM events WHERE import_id = $1' },
  ],
  refersToIdentity: 'EXISTS (SELECT 1 FROM events e WHERE e.id_type = i.id_type AND e.id_value = i.id_value)',
  example: {
    spec: {
      id: 'example',
      name: 'example',
      dataType: 'activity',
      source: { connection: 'example', table: 'events' },
      cursor: { column: 'at', key: 'id' },
      mapping: { userId: { column: 'email' }, eventType: { value: 'order' }, timestamp: { column: 'at' } },
    },
    row: { at: '2024-01-01T00:00:00Z', id: '1', email: 'a@example.com' },
  },
};
