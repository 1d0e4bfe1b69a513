/** Profiles: a user's attributes, upserted (or inserted only, or updated only) per import. */
import { z } from 'zod';
import {
  common,
  type DataTypeSpec,
  propertyMapping,
  typedColumns,
  userColumns,
  userRef,
} from '../../domain/specFields';

export const profileMapping = z
  .object({
    ...userRef,
    attributes: z.array(propertyMapping).max(500).default([]),
  })
  .strict();

export const profileImport = z
  .object({
    ...common,
    dataType: z.literal('profile'),
    mode: z.enum(['upsert', 'insert-only', 'update-only']).default('upsert'),
    mapping: profileMapping,
  })
  .strict();
export type ProfileImport = z.infer<typeof profileImport>;

export const profileSpec: DataTypeSpec<typeof profileImport> = {
  schema: profileImport,
  columns(m) {
    const out = userColumns(m);
    typedColumns(out, m.attributes, 'mapping.attributes');
    return out;
  },
};
