/** Groups: each row one user's membership of one group (a type and an id), with an optional role. */
import { unstorable } from '../../domain/storableText';
import { copyField, fail } from '../../engine/mapValidate';
import { type DataTypeDefinition, stageLine } from '../dataType';
import { groupLoader } from './merge';

const stage = [
  ['id', 'user'],
  ['group_type', 'text'],
  ['group_id', 'text'],
  ['role', 'text'],
  ['removed', 'boolean'],
  ['source_order', 'numeric'],
] as const;
const line = stageLine(stage);

export const groupType: DataTypeDefinition<'group'> = {
  dataType: 'group',
  stage,
  compile(spec, { user, ref, bool, idx, orderOf, cursorIndex }) {
    const m = spec.mapping;
    const u = user(m.userId.column, m.idType);
    const gt = ref(m.groupType, 'group type');
    const gi = ref({ column: m.groupId.column }, 'group id');
    const ri = m.role ? idx(m.role.column) : -1;
    const removed = bool(m.removed?.column);
    return (row, seq) => {
      const a = u(row);
      if (!a.ok) return a.err;
      const t = gt(row);
      if (!t.ok) return t.err;
      const g = gi(row);
      if (!g.ok) return g.err;
      const r = removed(row);
      if (!r.ok) return r.err;
      const role = ri >= 0 ? (row[ri] ?? null) : null;
      const badRole = role === null ? null : unstorable(role);
      if (badRole && m.role) return fail(m.role.column, role, `role contains ${badRole}`);
      return {
        ok: true,
        text: line(
          seq,
          a.value,
          copyField(t.value),
          copyField(g.value),
          copyField(role),
          r.value ? 't' : 'f',
          orderOf(row[cursorIndex] ?? null),
        ),
      };
    };
  },
  loader: groupLoader,
  purge: [{ table: 'group_memberships', sql: 'DELETE FROM group_memberships WHERE import_id = $1' }],
  refersToIdentity:
    'EXISTS (SELECT 1 FROM group_memberships g WHERE g.id_type = i.id_type AND g.id_value = i.id_value)',
  example: {
    spec: {
      id: 'example',
      name: 'example',
      dataType: 'group',
      source: { connection: 'example', table: 'members' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, groupId: { column: 'account' }, groupType: { value: 'account' } },
    },
    row: { updated_at: '2024-01-01T00:00:00Z', id: '1', email: 'a@example.com', account: 'acme' },
  },
};
