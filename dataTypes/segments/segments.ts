/** Segments: each row one user's membership of one segment, or of each segment of an array. */
import { unstorable } from '../../domain/storableText';
import { copyField, fail, parseArray } from '../../engine/mapValidate';
import { type DataTypeDefinition, stageLine } from '../dataType';
import { segmentLoader } from './merge';

const stage = [
  ['id', 'user'],
  ['segment', 'text'],
  ['removed', 'boolean'],
  ['source_order', 'numeric'],
] as const;
const line = stageLine(stage);

export const segmentsType: DataTypeDefinition<'segments'> = {
  dataType: 'segments',
  stage,
  compile(spec, { user, bool, idx, orderOf, cursorIndex }) {
    const m = spec.mapping;
    const u = user(m.userId.column, m.idType);
    const si = idx(m.segment.column);
    const removed = bool(m.removed?.column);
    return (row, seq) => {
      const a = u(row);
      if (!a.ok) return a.err;
      const r = removed(row);
      if (!r.ok) return r.err;
      const raw = row[si] ?? null;
      if (raw === null) return fail(m.segment.column, null, 'segment is missing (NULL)');
      let names: string[];
      if (m.segment.array) {
        const parsed = parseArray(raw);
        if (!parsed) return fail(m.segment.column, raw, 'expected an array of segment names');
        names = parsed;
      } else names = [raw];
      names = [...new Set(names.map((n) => n.trim()))];
      if (names.some((n) => n === '')) return fail(m.segment.column, raw, 'segment name is empty');
      for (const n of names) {
        const bad = unstorable(n);
        if (bad) return fail(m.segment.column, raw, `segment name contains ${bad}`);
      }
      const order = orderOf(row[cursorIndex] ?? null);
      let text = '';
      for (const n of names) text += line(seq, a.value, copyField(n), r.value ? 't' : 'f', order);
      return { ok: true, text };
    };
  },
  loader: segmentLoader,
  purge: [{ table: 'segment_memberships', sql: 'DELETE FROM segment_memberships WHERE import_id = $1' }],
  refersToIdentity:
    'EXISTS (SELECT 1 FROM segment_memberships s WHERE s.id_type = i.id_type AND s.id_value = i.id_value)',
  example: {
    spec: {
      id: 'example',
      name: 'example',
      dataType: 'segments',
      source: { connection: 'example', table: 'members' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, segment: { column: 'segment' } },
    },
    row: { updated_at: '2024-01-01T00:00:00Z', id: '1', email: 'a@example.com', segment: 'vip' },
  },
};
