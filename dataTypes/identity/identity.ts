/** Identity: each row one link between two identifiers (left and right), joining their persons. */
import { fail } from '../../engine/mapValidate';
import { type DataTypeDefinition, stageLine } from '../dataType';
import { identityLoader } from './merge';

const stage = [
  ['left', 'user'],
  ['right', 'user'],
] as const;
const line = stageLine(stage);

export const identityType: DataTypeDefinition<'identity'> = {
  dataType: 'identity',
  stage,
  compile(spec, { user, idx }) {
    const m = spec.mapping;
    const l = user(m.left.value.column, m.left.idType);
    const r = user(m.right.value.column, m.right.idType);
    return (row, seq) => {
      const a = l(row);
      if (!a.ok) return a.err;
      const b = r(row);
      if (!b.ok) return b.err;
      if (a.value === b.value)
        return fail(
          m.right.value.column,
          row[idx(m.right.value.column)] ?? null,
          'a link joins an identifier to itself',
        );
      return { ok: true, text: line(seq, a.value, b.value) };
    };
  },
  loader: identityLoader,
  // The persons the links joined are found by the links' left ends (both ends are in one person): the
  // split regroups them once the identifiers nothing refers to are gone.
  purge: [
    {
      table: 'identity_links',
      identityLinks: true,
      sql: `WITH gone AS (
       DELETE FROM identity_links WHERE import_id = $1 RETURNING left_type, left_value)
     SELECT (SELECT count(*) FROM gone)::int AS n,
            ARRAY(SELECT DISTINCT i.person_id FROM gone g
                  JOIN identities i ON i.id_type = g.left_type AND i.id_value = g.left_value)::text[] AS persons`,
    },
  ],
  refersToIdentity: `EXISTS (SELECT 1 FROM identity_links l WHERE (l.left_type = i.id_type AND l.left_value = i.id_value)
                                                     OR (l.right_type = i.id_type AND l.right_value = i.id_value))`,
  example: {
    spec: {
      id: 'example',
      name: 'example',
      dataType: 'identity',
      source: { connection: 'example', table: 'links' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: {
        left: { idType: { value: 'email' }, value: { column: 'email' } },
        right: { idType: { value: 'phone' }, value: { column: 'phone' } },
      },
    },
    row: { updated_at: '2024-01-01T00:00:00Z', id: '1', email: 'a@example.com', phone: '+100' },
  },
};
