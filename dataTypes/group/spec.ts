/** Groups: memberships of users in typed groups (an account, a team), with a role, added and removed. */
import { z } from 'zod';
import {
  columnName,
  columnOrConstant,
  common,
  type DataTypeSpec,
  refColumn,
  userColumns,
  userRef,
} from '../../domain/specFields';

export const groupMapping = z
  .object({
    ...userRef,
    groupId: z.object({ column: columnName }).strict(),
    groupType: columnOrConstant,
    role: z.object({ column: columnName }).strict().optional(),
    removed: z.object({ column: columnName }).strict().optional(),
  })
  .strict();

export const groupImport = z.object({ ...common, dataType: z.literal('group'), mapping: groupMapping }).strict();
export type GroupImport = z.infer<typeof groupImport>;

export const groupSpec: DataTypeSpec<typeof groupImport> = {
  schema: groupImport,
  columns(m) {
    const out = userColumns(m);
    out.push({ column: m.groupId.column, field: 'mapping.groupId' });
    refColumn(out, m.groupType, 'mapping.groupType');
    if (m.role) out.push({ column: m.role.column, field: 'mapping.role' });
    if (m.removed) out.push({ column: m.removed.column, field: 'mapping.removed' });
    return out;
  },
};
