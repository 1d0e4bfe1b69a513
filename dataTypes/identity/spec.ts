/** Identity: links joining two identifiers into one person. */
import { z } from 'zod';
import {
  columnName,
  columnOrConstant,
  common,
  type DataTypeSpec,
  type MappedColumn,
  refColumn,
} from '../../domain/specFields';

export const identityMapping = z
  .object({
    left: z.object({ idType: columnOrConstant, value: z.object({ column: columnName }).strict() }).strict(),
    right: z.object({ idType: columnOrConstant, value: z.object({ column: columnName }).strict() }).strict(),
  })
  .strict();

export const identityImport = z
  .object({ ...common, dataType: z.literal('identity'), mapping: identityMapping })
  .strict();
export type IdentityImport = z.infer<typeof identityImport>;

export const identitySpec: DataTypeSpec<typeof identityImport> = {
  schema: identityImport,
  columns(m) {
    const out: MappedColumn[] = [];
    refColumn(out, m.left.idType, 'mapping.left.idType');
    out.push({ column: m.left.value.column, field: 'mapping.left.value' });
    refColumn(out, m.right.idType, 'mapping.right.idType');
    out.push({ column: m.right.value.column, field: 'mapping.right.value' });
    return out;
  },
};
