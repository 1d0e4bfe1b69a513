/**
 * /imports: create (checked against the source's real columns first), list, get, update name and
 * schedule, pause, resume, run now, stop, full resync, delete (with a purge after the retention period).
 */
import { ScheduleAlreadyRunning } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ImportSpec, parseImportSpec } from '../../domain/importSpec';
import type { ApiDeps } from '../deps';
import { DURATION, parseDuration } from '../durations';
import {
  createSchedule,
  deleteSchedule,
  pauseImport,
  resumeImport,
  runningWorkflows,
  scheduleState,
  startPurge,
  stopRuns,
  triggerRun,
  updateSchedule,
} from '../lifecycle';
import { checkAgainstSource } from '../mappingCheck';
import { conflict, fieldError, notFound, problemSchema } from '../problems';
import type { Schedule } from '../schedules';
import { importCreateBody, importParams, importUpdateBody, importViewSchema, queryFlag } from '../schemas';
import { mapBounded } from '../mapBounded';
import { readForAction } from '../temporalDeadline';
import { importView, type ViewOptions } from '../views';
import { inTransaction } from '../../store/transaction';
import { createImport, getImport, listImports, markDeleted, purgeAfterOf, updateImport } from '../../store/imports';
import { createPosition, INCREMENTAL_STREAM, resetPosition } from '../../store/positions';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
const runStarted = z.object({ importId: z.string(), workflowId: z.string().nullable() }).meta({ id: 'RunStarted' });

/** The longest a deleted import's data may be kept before its purge. */
const MAX_RETENTION_MS = 3650 * 86_400_000;

const deleteQuery = z.object({
  /** Stop a running run first; without it, deleting a running import is refused (409). */
  stop: queryFlag.default(false),
  /** Remove the data at once instead of after the retention period. */
  immediately: queryFlag.default(false),
  /** Keep the data this long before the purge (e.g. 30d, 12h, 10s); defaults to the server's setting. */
  retention: z
    .string()
    .regex(DURATION, 'must be a duration such as 30d, 12h, 15m or 10s')
    .refine((r) => !DURATION.test(r) || parseDuration(r) <= MAX_RETENTION_MS, 'must be at most 3650d (10 years)')
    .optional(),
});

export const importRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const { store, temporal, taskQueue } = deps;
    const { deadlines } = deps;
    /** Temporal's answers a lifecycle action acts on: 503 when Temporal is out of reach, before anything changed. */
    const readTemporal = <T>(fn: () => Promise<T>): Promise<T> => readForAction(temporal, deadlines, fn);
    const viewOptions = (log: FastifyBaseLogger): ViewOptions => ({ deadline: Date.now() + deadlines.viewMs, log });

    async function load(id: string, options: { live?: boolean } = { live: true }): Promise<Record<string, any>> {
      const row = await getImport(store, id);
      if (!row) throw notFound(`import ${id}`);
      if (options.live && row.deleted_at)
        throw conflict(`import ${id} is deleted; its data is purged after ${row.purge_after?.toISOString()}`);
      return row;
    }

    /** Imports started from the CLI before the API knew them have no schedule yet: give them one. */
    async function ensureSchedule(row: Record<string, any>): Promise<void> {
      if ((await readTemporal(() => scheduleState(temporal, row.id))).exists) return;
      await createSchedule(
        temporal,
        taskQueue,
        row.spec as ImportSpec,
        (row.schedule as Schedule | null) ?? null,
      ).catch((err) => {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      });
    }

    const show = async (id: string, log: FastifyBaseLogger) =>
      importView(store, temporal, (await getImport(store, id))!, viewOptions(log));

    app.post(
      '/imports',
      {
        schema: {
          tags: ['imports'],
          summary: 'Create an import (its mapping checked against the source first); optionally run it now',
          body: importCreateBody,
          response: { 201: importViewSchema, ...errors },
        },
      },
      async (req, reply) => {
        const { schedule, runNow, ...rest } = req.body;
        const spec = parseImportSpec(rest);
        const existing = await getImport(store, spec.id);
        if (existing) {
          throw conflict(
            existing.deleted_at
              ? `import ${spec.id} was deleted and awaits its purge`
              : `import ${spec.id} already exists`,
          );
        }
        await checkAgainstSource(deps, spec);
        // The primary key settles a race between two creates of one id: the loser gets 409.
        await inTransaction(store, async (client) => {
          if (!(await createImport(client, spec, schedule ?? null))) throw conflict(`import ${spec.id} already exists`);
          await createPosition(client, spec.id, INCREMENTAL_STREAM);
          try {
            await createSchedule(temporal, taskQueue, spec, schedule ?? null);
          } catch (err) {
            if (err instanceof ScheduleAlreadyRunning)
              throw conflict(`a Temporal schedule import:${spec.id} already exists`);
            // The server is the judge of cron expressions and time zones; its message names the problem.
            if (schedule)
              throw fieldError(schedule.kind === 'cron' ? 'schedule.expression' : 'schedule', (err as Error).message);
            throw err;
          }
        });
        if (runNow) await triggerRun(temporal, spec.id);
        return reply.code(201).send(await show(spec.id, req.log));
      },
    );

    app.get(
      '/imports',
      {
        schema: {
          tags: ['imports'],
          summary: 'List imports: state, last successful sync, next scheduled run, last run with its counts',
          querystring: z.object({ includeDeleted: queryFlag.default(false) }),
          response: { 200: z.object({ items: z.array(importViewSchema) }), ...errors },
        },
      },
      async (req) => {
        const rows = await listImports(store, req.query.includeDeleted);
        // Each view asks Temporal for its schedule, 8 at a time so a long list neither floods Temporal nor
        // waits for one view after another; all share one deadline, so a slow Temporal costs the list that once.
        const options = viewOptions(req.log);
        return { items: await mapBounded(rows, 8, (r) => importView(store, temporal, r, options)) };
      },
    );

    app.get(
      '/imports/:id',
      {
        schema: {
          tags: ['imports'],
          summary: 'Get an import',
          params: importParams,
          response: { 200: importViewSchema, ...errors },
        },
      },
      async (req) => importView(store, temporal, await load(req.params.id, { live: false }), viewOptions(req.log)),
    );

    app.patch(
      '/imports/:id',
      {
        schema: {
          tags: ['imports'],
          summary: 'Rename an import or change its schedule',
          params: importParams,
          body: importUpdateBody,
          response: { 200: importViewSchema, ...errors },
        },
      },
      async (req) => {
        const row = await load(req.params.id);
        const spec: ImportSpec = { ...(row.spec as ImportSpec), name: req.body.name ?? row.spec.name };
        const schedule =
          req.body.schedule === undefined ? ((row.schedule as Schedule | null) ?? null) : req.body.schedule;
        await ensureSchedule(row);
        try {
          await updateSchedule(temporal, spec, schedule);
        } catch (err) {
          if (schedule)
            throw fieldError(schedule.kind === 'cron' ? 'schedule.expression' : 'schedule', (err as Error).message);
          throw err;
        }
        await updateImport(store, row.id, spec, schedule);
        return show(row.id, req.log);
      },
    );

    app.post(
      '/imports/:id/pause',
      {
        schema: {
          tags: ['imports'],
          summary: 'Pause: no new run starts; a running one stops at its next batch',
          params: importParams,
          response: { 200: importViewSchema, ...errors },
        },
      },
      async (req) => {
        const row = await load(req.params.id);
        await ensureSchedule(row);
        await pauseImport(temporal, row.id, `paused through the API by key ${req.apiKey?.name ?? '?'}`, store);
        return show(row.id, req.log);
      },
    );

    app.post(
      '/imports/:id/resume',
      {
        schema: {
          tags: ['imports'],
          summary: 'Resume: the schedule fires again; a paused run continues',
          params: importParams,
          response: { 200: importViewSchema, ...errors },
        },
      },
      async (req) => {
        const row = await load(req.params.id);
        await ensureSchedule(row);
        await resumeImport(temporal, row.id, `resumed through the API by key ${req.apiKey?.name ?? '?'}`, store);
        return show(row.id, req.log);
      },
    );

    app.post(
      '/imports/:id/run',
      {
        schema: {
          tags: ['imports'],
          summary: 'Run now (refused while a run is going or the import is paused)',
          params: importParams,
          response: { 202: runStarted, ...errors },
        },
      },
      async (req, reply) => {
        const row = await load(req.params.id);
        await ensureSchedule(row);
        const { state, running } = await readTemporal(async () => {
          const state = await scheduleState(temporal, row.id);
          return { state, running: await runningWorkflows(temporal, row.id, state, store) };
        });
        if (state.paused) throw conflict(`import ${row.id} is paused; resume it first`);
        if (running.length > 0) throw conflict(`import ${row.id} is already running (${running.join(', ')})`);
        return reply.code(202).send({ importId: row.id, workflowId: await triggerRun(temporal, row.id) });
      },
    );

    app.post(
      '/imports/:id/stop',
      {
        schema: {
          tags: ['imports'],
          summary: 'Stop the current run cleanly (recorded as cancelled; the position stays at the last batch)',
          params: importParams,
          response: { 200: importViewSchema, ...errors },
        },
      },
      async (req) => {
        const row = await load(req.params.id);
        const running = await readTemporal(() => runningWorkflows(temporal, row.id, undefined, store));
        if (running.length === 0) throw conflict(`import ${row.id} has no run to stop`);
        await stopRuns(temporal, running);
        return show(row.id, req.log);
      },
    );

    app.post(
      '/imports/:id/resync',
      {
        schema: {
          tags: ['imports'],
          summary: 'Full resync: reset the position so the next run reads everything again',
          params: importParams,
          body: z
            .object({ runNow: z.boolean().default(false) })
            .strict()
            .nullish(),
          response: { 200: importViewSchema, ...errors },
        },
      },
      async (req) => {
        const row = await load(req.params.id);
        const running = await readTemporal(() => runningWorkflows(temporal, row.id, undefined, store));
        if (running.length > 0) throw conflict(`import ${row.id} is running; stop it before a full resync`);
        // Under the position lock, so a batch that is committing finishes first.
        await resetPosition(store, row.id);
        if (req.body?.runNow) {
          await ensureSchedule(row);
          await triggerRun(temporal, row.id);
        }
        return show(row.id, req.log);
      },
    );

    app.delete(
      '/imports/:id',
      {
        schema: {
          tags: ['imports'],
          summary: 'Delete: the schedule is removed, runs stopped, and the data purged after the retention period',
          params: importParams,
          querystring: deleteQuery,
          response: {
            202: z.object({ id: z.string(), purgeAfter: z.string(), purgeWorkflowId: z.string() }),
            200: z.object({
              id: z.string(),
              purged: z.boolean(),
              removed: z.record(z.string(), z.number()),
              split: z.object({ persons: z.number(), created: z.number(), moved: z.number() }),
            }),
            ...errors,
          },
        },
      },
      async (req, reply) => {
        const row = await load(req.params.id, { live: false });
        const q = req.query;
        if (!row.deleted_at) {
          const running = await readTemporal(() => runningWorkflows(temporal, row.id, undefined, store));
          if (running.length > 0 && !q.stop)
            throw conflict(`import ${row.id} is running; stop it first or delete with ?stop=true`);
          // The schedule goes first, so nothing new starts while the running runs are stopped.
          await deleteSchedule(temporal, row.id);
          await stopRuns(temporal, running);
          const retentionMs = q.immediately ? 0 : q.retention ? parseDuration(q.retention) : deps.defaultRetentionMs;
          await markDeleted(store, row.id, retentionMs);
        }
        const purgeAt = (await purgeAfterOf(store, row.id)).toISOString();
        const result = await startPurge(temporal, taskQueue, { importId: row.id, purgeAt }, q.immediately);
        if (result)
          return reply
            .code(200)
            .send({ id: row.id, purged: result.purged, removed: result.removed, split: result.split });
        return reply.code(202).send({ id: row.id, purgeAfter: purgeAt, purgeWorkflowId: `purge:${row.id}` });
      },
    );
  };
