/** Segments: memberships of users in named segments, added and removed. */
import { z } from 'zod';
import { columnName, common, type DataTypeSpec, userColumns, userRef } from '../../domain/specFields';

export const segmentsMapping = z
  .object({
    ...userRef,
    /** A column holding one segment name, or an array of names (a Postgres array or a JSON array). */
    segment: z.object({ column: columnName, array: z.boolean().default(false) }).strict(),
    /** A boolean column: true removes the membership instead of adding it. */
    removed: z.object({ column: columnName }).strict().optional(),
  })
  .strict();

/**
 * How a segments import treats memberships its rows do not mention. incremental: each run reads the rows after
 * the last loaded position; only a removal column removes. snapshot: each run reads the whole current table or
 * query (up to its upper bound), and a run that read everything, rejected no row and read at least one row
 * then removes, in one transaction, every membership of this import that it did not see.
 */
export const segmentSyncModes = ['incremental', 'snapshot'] as const;
export type SegmentSyncMode = (typeof segmentSyncModes)[number];

export const segmentsImport = z
  .object({
    ...common,
    dataType: z.literal('segments'),
    sync: z.enum(segmentSyncModes).default('incremental'),
    mapping: segmentsMapping,
  })
  .strict()
  .superRefine((s, ctx) => {
    // A drop folder imports each file once, on its own: there is no "whole current source" to compare with.
    if (s.sync === 'snapshot' && s.source.folder !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sync'],
        message:
          'sync "snapshot" reads the whole source each run: give source.table, source.query or source.file, not source.folder',
      });
    }
  });
export type SegmentsImport = z.infer<typeof segmentsImport>;

export const segmentsSpec: DataTypeSpec<typeof segmentsImport> = {
  schema: segmentsImport,
  columns(m) {
    const out = userColumns(m);
    out.push({ column: m.segment.column, field: 'mapping.segment' });
    if (m.removed) out.push({ column: m.removed.column, field: 'mapping.removed' });
    return out;
  },
};
