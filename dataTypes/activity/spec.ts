/** Activity: events, each appended to its user's history once (deduplicated within a window). */
import { z } from 'zod';
import {
  columnOrConstant,
  common,
  type DataTypeSpec,
  propertyMapping,
  refColumn,
  timestampColumn,
  typedColumns,
  userColumns,
  userRef,
} from '../../domain/specFields';

export const activityMapping = z
  .object({
    ...userRef,
    eventType: columnOrConstant,
    timestamp: timestampColumn,
    properties: z.array(propertyMapping).max(500).default([]),
  })
  .strict();

export const activityImport = z
  .object({
    ...common,
    dataType: z.literal('activity'),
    /** How long an event is remembered for deduplication, renewed each time it is seen again. */
    dedupWindowDays: z.number().int().min(0).max(3650).default(90),
    mapping: activityMapping,
  })
  .strict();
export type ActivityImport = z.infer<typeof activityImport>;

export const activitySpec: DataTypeSpec<typeof activityImport> = {
  schema: activityImport,
  columns(m) {
    const out = userColumns(m);
    refColumn(out, m.eventType, 'mapping.eventType');
    out.push({ column: m.timestamp.column, field: 'mapping.timestamp', type: 'timestamp' });
    typedColumns(out, m.properties, 'mapping.properties');
    return out;
  },
};
