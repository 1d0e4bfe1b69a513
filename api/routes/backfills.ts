/**
 * /imports/:id/backfills: start a backfill of an import over a cursor range (partitions and concurrency
 * optional), list them, read one's progress (partitions done of total, rows, rate, time left), pause,
 * resume, cancel, and change its throttle while it runs. /imports/:id/schedule/catch-up runs the windows
 * the import's schedule missed, through Temporal's own schedule backfill.
 */
import { randomUUID } from 'node:crypto';
import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ImportSpec, importId, isSnapshot } from '../../domain/importSpec';
import { backfillIdsOf, loadBackfill, partitionStates, totalsOf } from '../../store/backfills';
import { getImport } from '../../store/imports';
import type { ApiDeps } from '../deps';
import { startBackfill } from '../backfills';
import { scheduleIdOf } from '../lifecycle';
import { badRequest, conflict, fieldError, notFound, problemSchema } from '../problems';
import { isoTime } from '../schemas';
import { backfillProgressQuery, backfillWorkflowId, setThrottleUpdate } from '../../workflows/backfillDefinitions';
import { pauseSignal, resumeSignal } from '../../workflows/definitions';
import {
  concurrencySchema as concurrency,
  rowsPerSecondSchema as rowsPerSecond,
  throttleChangeSchema,
} from '../../domain/throttle';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
const backfillIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, _ and -');
const params = z.object({ id: importId, backfillId: backfillIdSchema });

const backfillBody = z
  .object({
    /** Your id for the backfill (default: generated). */
    id: backfillIdSchema.optional(),
    /** Rows whose cursor is >= from, in the cursor column's own text form (e.g. 2023-01-01 or 2023-01-01T00:00:00Z). */
    from: z.string().min(1).max(100).optional(),
    /** Rows whose cursor is < to; default: up to the source's bound now (its clock minus the import's lag). */
    to: z.string().min(1).max(100).optional(),
    /** Partitions; default: sized from the source's count (about 250,000 rows each, at most 1,000). */
    partitions: z.number().int().min(1).max(1000).optional(),
    /** Partitions running at once (default 4). */
    concurrency: concurrency.default(4),
    /** Rows per second over the whole backfill (default: no limit). */
    rowsPerSecond: rowsPerSecond.default(null),
  })
  .strict()
  .meta({ id: 'BackfillCreate' });

const throttleBody = throttleChangeSchema
  .strict()
  .refine((b) => b.rowsPerSecond !== undefined || b.concurrency !== undefined, {
    message: 'give rowsPerSecond, concurrency or both',
    path: ['rowsPerSecond'],
  })
  .meta({ id: 'BackfillThrottle' });

const throttleSchema = z.object({ rowsPerSecond: z.number().nullable(), concurrency: z.number() });

const partitionSchema = z.object({
  n: z.number(),
  status: z.enum(['pending', 'running', 'succeeded', 'partially_succeeded', 'failed', 'cancelled']),
  plannedRows: z.number(),
  rowsRead: z.number(),
  rowsLoaded: z.number(),
  rejected: z.number(),
  position: z.string().nullable(),
  range: z.object({ after: z.string().nullable(), upTo: z.string() }),
});

export const backfillViewSchema = z
  .object({
    importId: z.string(),
    backfillId: z.string(),
    workflowId: z.string(),
    /** planning (no plan stored yet), running, paused, succeeded, partially_succeeded, failed, cancelled. */
    status: z.string(),
    paused: z.boolean(),
    throttle: throttleSchema.nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    partitions: z.number(),
    partitionsDone: z.number(),
    partitionsRunning: z.number(),
    plannedRows: z.number(),
    rowsRead: z.number(),
    rowsLoaded: z.number(),
    rejected: z.number(),
    /** Rows per second lately (from the workflow's samples of committed counts; over the whole run once it ended). */
    rowsPerSecond: z.number(),
    /** Estimated seconds left at that rate; null when unknown (paused, or nothing measured yet). */
    etaSeconds: z.number().nullable(),
    /** Rows before `from` the incremental import had not loaded: skipped as asked. */
    skippedRows: z.number(),
    /** The incremental import continues after the backfill's last row. */
    incrementalMovedTo: z.string().nullable(),
    createdAt: isoTime.nullable(),
    endedAt: isoTime.nullable(),
    partitionList: z.array(partitionSchema).optional(),
  })
  .meta({ id: 'Backfill' });
type BackfillView = z.infer<typeof backfillViewSchema>;

const catchUpBody = z
  .object({
    /** The window whose missed schedule times are run now (ISO 8601 instants). */
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    /** How catch-up runs overlap: one after another (buffer_one, default, the next waits), all buffered, or skip while one runs. */
    overlap: z.enum(['skip', 'buffer_one', 'buffer_all']).default('buffer_one'),
  })
  .strict()
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: 'must be after from', path: ['to'] });

const OVERLAP = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
} as const;

export const backfillRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const { store, temporal, taskQueue } = deps;

    async function liveImport(id: string): Promise<ImportSpec> {
      const row = await getImport(store, id);
      if (!row) throw notFound(`import ${id}`);
      if (row.deleted_at) throw conflict(`import ${id} is deleted`);
      return row.spec as ImportSpec;
    }

    /** The store's plan and counts, with the workflow's live state when it answers within 3 s. */
    async function view(importId: string, backfillId: string, withPartitions: boolean): Promise<BackfillView> {
      const workflowId = backfillWorkflowId(importId, backfillId);
      const stored = await loadBackfill(store, importId, backfillId);
      const handle = temporal.workflow.getHandle(workflowId);
      let described: Awaited<ReturnType<typeof handle.describe>> | null = null;
      try {
        described = await handle.describe();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      if (!stored && !described) throw notFound(`backfill ${backfillId} of import ${importId}`);
      const live =
        described?.status.name === 'RUNNING'
          ? await Promise.race([
              handle.query(backfillProgressQuery).catch(() => null),
              new Promise<null>((r) => setTimeout(() => r(null), 3000)),
            ])
          : null;
      const states = stored ? await partitionStates(store, importId, backfillId) : [];
      const totals = totalsOf(states);
      const byN = new Map(stored?.partitions.map((p) => [p.n, p]) ?? []);
      let rate = live?.rowsPerSecond ?? 0;
      if (!live && stored?.endedAt) {
        const secs = (stored.endedAt.getTime() - stored.createdAt.getTime()) / 1000;
        rate = secs > 0 ? totals.rowsRead / secs : 0;
      }
      const left = Math.max(0, totals.plannedRows - totals.rowsRead);
      return {
        importId,
        backfillId,
        workflowId,
        status: stored ? (stored.status === 'running' && live?.paused ? 'paused' : stored.status) : 'planning',
        paused: live?.paused ?? false,
        throttle: live?.throttle ?? null,
        from: stored?.from ?? null,
        to: stored?.to ?? null,
        partitions: totals.partitions,
        partitionsDone: totals.partitionsDone,
        partitionsRunning: totals.partitionsRunning,
        plannedRows: totals.plannedRows,
        rowsRead: totals.rowsRead,
        rowsLoaded: totals.rowsLoaded,
        rejected: totals.rejected,
        rowsPerSecond: Math.round(rate),
        etaSeconds: left === 0 ? 0 : live && !live.paused && rate > 0 ? Math.round(left / rate) : null,
        skippedRows: stored?.skippedRows ?? 0,
        incrementalMovedTo: stored?.incrementalMoved ? (stored.end?.cursor ?? null) : null,
        createdAt: stored?.createdAt.toISOString() ?? null,
        endedAt: stored?.endedAt?.toISOString() ?? null,
        ...(withPartitions
          ? {
              partitionList: states.map((s) => ({
                n: s.n,
                status: s.status,
                plannedRows: s.plannedRows,
                rowsRead: s.rowsRead,
                rowsLoaded: s.rowsLoaded,
                rejected: s.rejected,
                position: s.position,
                range: { after: byN.get(s.n)?.after?.cursor ?? null, upTo: byN.get(s.n)?.upper.cursor ?? '' },
              })),
            }
          : {}),
      };
    }

    app.post(
      '/imports/:id/backfills',
      {
        schema: {
          tags: ['backfills'],
          summary:
            'Start a backfill: load a cursor range as partitions run a few at a time; the incremental import continues after it',
          params: z.object({ id: importId }),
          body: backfillBody,
          response: { 202: backfillViewSchema, ...errors },
        },
      },
      async (req, reply) => {
        const spec = await liveImport(req.params.id);
        // Every run of a snapshot import already reads the whole source: a cursor range of it means nothing.
        if (isSnapshot(spec)) {
          throw fieldError(
            'sync',
            `import ${spec.id} has sync "snapshot": each run reads the whole source and removes what it did not see, so it takes no backfill; run the import instead (POST /imports/${spec.id}/run)`,
          );
        }
        const backfillId = req.body.id ?? `bf-${randomUUID().slice(0, 8)}`;
        const { from, to, partitions, concurrency: k, rowsPerSecond: r } = req.body;
        if (await loadBackfill(store, spec.id, backfillId))
          throw conflict(`backfill ${backfillId} of import ${spec.id} already exists`);
        try {
          await startBackfill(temporal, taskQueue, {
            backfillId,
            spec,
            from: from ?? null,
            to: to ?? null,
            partitions: partitions ?? null,
            throttle: { rowsPerSecond: r, concurrency: k },
          });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError)
            throw conflict(`backfill ${backfillId} of import ${spec.id} is running`);
          throw err;
        }
        return reply.code(202).send(await view(spec.id, backfillId, false));
      },
    );

    app.get(
      '/imports/:id/backfills',
      {
        schema: {
          tags: ['backfills'],
          summary: "An import's backfills, newest first",
          params: z.object({ id: importId }),
          response: { 200: z.object({ items: z.array(backfillViewSchema) }), ...errors },
        },
      },
      async (req) => {
        await liveImport(req.params.id);
        const ids = await backfillIdsOf(store, req.params.id);
        return { items: await Promise.all(ids.map((id) => view(req.params.id, id, false))) };
      },
    );

    app.get(
      '/imports/:id/backfills/:backfillId',
      {
        schema: {
          tags: ['backfills'],
          summary: 'Progress of a backfill: partitions done of total, rows, rate, time left, and each partition',
          params,
          response: { 200: backfillViewSchema, ...errors },
        },
      },
      async (req) => view(req.params.id, req.params.backfillId, true),
    );

    /** The backfill's workflow, which must be running for a pause, resume, throttle or cancel. */
    async function runningHandle(importId: string, backfillId: string) {
      const handle = temporal.workflow.getHandle(backfillWorkflowId(importId, backfillId));
      try {
        const d = await handle.describe();
        if (d.status.name !== 'RUNNING')
          throw conflict(`backfill ${backfillId} of import ${importId} has ended (${d.status.name.toLowerCase()})`);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound(`backfill ${backfillId} of import ${importId}`);
        throw err;
      }
      return handle;
    }

    for (const [action, signal, summary] of [
      ['pause', pauseSignal, 'Pause a backfill: running partitions stop at their next batch boundary and none starts'],
      ['resume', resumeSignal, 'Resume a paused backfill from its committed positions'],
    ] as const) {
      app.post(
        `/imports/:id/backfills/:backfillId/${action}`,
        {
          schema: { tags: ['backfills'], summary, params, response: { 202: backfillViewSchema, ...errors } },
        },
        async (req, reply) => {
          const handle = await runningHandle(req.params.id, req.params.backfillId);
          await handle.signal(signal);
          return reply.code(202).send(await view(req.params.id, req.params.backfillId, false));
        },
      );
    }

    app.post(
      '/imports/:id/backfills/:backfillId/cancel',
      {
        schema: {
          tags: ['backfills'],
          summary: 'Cancel a backfill: running partitions end cleanly at their committed positions; rows loaded stay',
          params,
          response: { 202: backfillViewSchema, ...errors },
        },
      },
      async (req, reply) => {
        const handle = await runningHandle(req.params.id, req.params.backfillId);
        await handle.cancel();
        return reply.code(202).send(await view(req.params.id, req.params.backfillId, false));
      },
    );

    app.patch(
      '/imports/:id/backfills/:backfillId/throttle',
      {
        schema: {
          tags: ['backfills'],
          summary: "Change a running backfill's throttle: rows per second (null: none) and partitions at once",
          params,
          body: throttleBody,
          response: { 200: throttleSchema, ...errors },
        },
      },
      async (req) => {
        const handle = await runningHandle(req.params.id, req.params.backfillId);
        try {
          return await handle.executeUpdate(setThrottleUpdate, { args: [req.body] });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError)
            throw badRequest(`throttle: ${err.cause?.message ?? err.message}`);
          throw err;
        }
      },
    );

    app.post(
      '/imports/:id/schedule/catch-up',
      {
        schema: {
          tags: ['imports'],
          summary: "Run the schedule's missed times in a window now, through Temporal's schedule backfill",
          params: z.object({ id: importId }),
          body: catchUpBody,
          response: { 202: z.object({ importId: z.string(), scheduleId: z.string() }), ...errors },
        },
      },
      async (req, reply) => {
        await liveImport(req.params.id);
        const scheduleId = scheduleIdOf(req.params.id);
        try {
          await temporal.schedule.getHandle(scheduleId).backfill({
            start: new Date(req.body.from),
            end: new Date(req.body.to),
            overlap: OVERLAP[req.body.overlap],
          });
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) throw notFound(`schedule of import ${req.params.id}`);
          throw err;
        }
        return reply.code(202).send({ importId: req.params.id, scheduleId });
      },
    );
  };
