/**
 * Request and response schemas. Import bodies are the import spec's own zod variants (domain/importSpec.ts)
 * extended with the API's fields, so the API accepts exactly what the engine runs and names the same
 * fields in its errors; the OpenAPI document is generated from these.
 */
import { z } from 'zod';
import { importId, importSpec, tableName } from '../domain/importSpec';
import { specSchemas } from '../dataTypes/specs';
import { LOADER_COUNTER_NAMES, type LoaderCounterName, RUN_COUNTER_NAMES, type RunCounterName } from '../store/runs';
import { scheduleSchema } from './schedules';

/** A connection id is what `source.connection` names, so it obeys the same rule. */
export const connectionId = z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, _ and -');

export const importParams = z.object({ id: importId });
export const connectionParams = z.object({ id: connectionId });

const createExtras = {
  schedule: scheduleSchema.optional(),
  /** Start a run as soon as the import is saved. */
  runNow: z.boolean().default(false),
};

type WithExtras<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends z.ZodObject<infer S, infer C>
    ? z.ZodObject<z.core.util.Extend<S, typeof createExtras>, C>
    : never;
};
/** Each data type's spec variant (the spec registry's), with the create fields. */
const createVariants = specSchemas.map((s) => s.extend(createExtras)) as unknown as WithExtras<typeof specSchemas>;

export const importCreateBody = z
  .discriminatedUnion('dataType', createVariants)
  .meta({ id: 'ImportCreate', description: 'An import spec, plus its schedule and whether to run it at once' });
export type ImportCreateBody = z.infer<typeof importCreateBody>;

/** The dry run takes the spec alone (defaults as for a real import). */
export const dryRunBody = importSpec;

export const importUpdateBody = z
  .object({
    name: z.string().min(1).max(200).optional(),
    /** null removes the schedule (the import then runs only on demand). */
    schedule: scheduleSchema.nullable().optional(),
  })
  .strict();

export const isoTime = z.string().meta({ format: 'date-time' });

/**
 * A yes/no query parameter. z.stringbool's own JSON Schema is any string; the document lists the spellings
 * it takes (in any case), so a client (or a fuzzer) knows which strings are not an error.
 */
export const queryFlag = z
  .stringbool()
  .meta({ enum: ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 'y', 'n', 'enabled', 'disabled'] });

export const positionSchema = z.object({ cursor: z.string().nullable(), key: z.string().nullable() });

export const progressSchema = z.object({
  /** starting, reading or loading (a batch in flight), importing, paused, finishing. */
  stage: z.string(),
  paused: z.boolean(),
  rowsRead: z.number(),
  rowsLoaded: z.number(),
  rejected: z.number(),
  batches: z.number(),
  position: z.string().nullable(),
  upperBound: z.string().nullable(),
  /** Rows of the batch in flight, from its last heartbeat. */
  currentBatchRows: z.number().nullable(),
});

const numberFields = <N extends string>(names: readonly N[]) =>
  Object.fromEntries(names.map((n) => [n, z.number()])) as { [K in N]: z.ZodNumber };

/** A run's counters, each a number, in their declared order (store/runs.ts). */
export const runCounterFields = numberFields<RunCounterName>(RUN_COUNTER_NAMES);
/** The counters a loader reports (a dry run's counts). */
export const loaderCounterFields = numberFields<LoaderCounterName>(LOADER_COUNTER_NAMES);

export const runSchema = z
  .object({
    runId: z.number(),
    importId: z.string(),
    workflowId: z.string(),
    status: z.enum(['running', 'succeeded', 'partially_succeeded', 'failed', 'cancelled']),
    startedAt: isoTime,
    endedAt: isoTime.nullable(),
    ...runCounterFields,
    /** The cursor range this run covered: from (exclusive) the position it started at, to the last row loaded. */
    cursorRange: z.object({ from: positionSchema, to: positionSchema, upperBound: z.string().nullable() }),
    error: z.string().nullable(),
    /**
     * Segments imports with sync "snapshot": "removed" once the run removed the memberships it did not see,
     * else why it removed nothing (rows rejected, NULL cursors, no rows, stopped); null for other imports.
     */
    snapshotRemoval: z.string().nullable().optional(),
    /** What the run noticed without failing a row or the run: the source's advice at the start (a role that can also write to the tables it reads), a repeated CSV header it renamed (name_2). */
    warnings: z.array(z.string()),
    /**
     * File runs (CSV, NDJSON): progress in bytes, the byte offset of the last record loaded out of the
     * file's size (rows are rowsRead); null for other sources.
     */
    file: z.object({ bytesLoaded: z.number(), size: z.number() }).nullable().optional(),
    /** While running: the live stage (reading/loading batches, paused) and rows, from the workflow. */
    progress: progressSchema.nullable().optional(),
  })
  .meta({ id: 'Run' });
export type RunView = z.infer<typeof runSchema>;

export const importViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    dataType: z.string(),
    connection: z.string(),
    /**
     * active (runs on schedule or on demand), paused (no new run starts), deleted (awaiting purge);
     * null when Temporal did not answer (see `temporal`).
     */
    state: z.enum(['active', 'paused', 'deleted']).nullable(),
    /** From the import's schedule in Temporal; null when Temporal did not answer. */
    paused: z.boolean().nullable(),
    /** Whether a run is going, from Temporal; null when Temporal did not answer. */
    running: z.boolean().nullable(),
    /**
     * Whether the fields only Temporal knows (state, paused, running, nextRunAt, lastRun.progress) are in:
     * `unavailable` when Temporal did not answer within the view deadline (3 s) or failed; those fields are
     * then null and the rest is the store's.
     */
    temporal: z.enum(['available', 'unavailable']),
    schedule: scheduleSchema.nullable(),
    /** The schedule's next time, from Temporal; null without a schedule, while paused, or when Temporal did not answer. */
    nextRunAt: isoTime.nullable(),
    lastRun: runSchema.nullable(),
    lastSuccessfulSyncAt: isoTime.nullable(),
    position: positionSchema,
    spec: z.record(z.string(), z.unknown()),
    createdAt: isoTime,
    updatedAt: isoTime,
    purgeAfter: isoTime.nullable(),
  })
  .meta({ id: 'Import' });
export type ImportView = z.infer<typeof importViewSchema>;

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Return items after this id (the last id of the previous page). */
  after: z.coerce.number().int().min(0).optional(),
});

export const columnSchema = z.object({
  name: z.string(),
  sourceType: z.string(),
  importType: z.string().nullable(),
  cursorKind: z.enum(['time', 'number', 'other']),
  nullable: z.boolean().optional(),
});

export const previewBody = z
  .object({
    table: tableName.optional(),
    /** A single SELECT, run read-only. */
    query: importSpec.options[0].shape.source.shape.query,
    limit: z.number().int().min(1).max(1000).default(20),
  })
  .strict()
  .refine((b) => (b.table === undefined) !== (b.query === undefined), {
    message: 'give exactly one of table or query',
    path: ['table'],
  });
