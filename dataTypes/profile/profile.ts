/** Profiles: each row one user's attributes, staged as canonical JSON with the row's source order. */
import { copyField } from '../../engine/mapValidate';
import { type DataTypeDefinition, stageLine } from '../dataType';
import { profileLoader } from './merge';

const stage = [
  ['id', 'user'],
  ['attributes', 'jsonb'],
  ['source_order', 'numeric'],
] as const;
const line = stageLine(stage);

export const profileType: DataTypeDefinition<'profile'> = {
  dataType: 'profile',
  stage,
  compile(spec, { user, props, orderOf, cursorIndex }) {
    const u = user(spec.mapping.userId.column, spec.mapping.idType);
    const p = props(spec.mapping.attributes);
    return (row, seq) => {
      const a = u(row);
      if (!a.ok) return a.err;
      const b = p(row);
      if (!b.ok) return b.err;
      return { ok: true, text: line(seq, a.value, copyField(b.value), orderOf(row[cursorIndex] ?? null)) };
    };
  },
  loader: profileLoader,
  purge: [{ table: 'profile_attributes', sql: 'DELETE FROM profile_attributes WHERE import_id = $1' }],
  refersToIdentity:
    'EXISTS (SELECT 1 FROM profile_attributes p WHERE p.id_type = i.id_type AND p.id_value = i.id_value)',
  example: {
    spec: {
      id: 'example',
      name: 'example',
      dataType: 'profile',
      source: { connection: 'example', table: 'people' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, attributes: [{ column: 'plan' }] },
    },
    row: { updated_at: '2024-01-01T00:00:00Z', id: '1', email: 'a@example.com', plan: 'pro' },
  },
};
