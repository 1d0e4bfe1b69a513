/**
 * Run history from the store (kept beyond Temporal's own retention): runs with their counts and cursor
 * range, a running run's live progress, and each run's error report as paged JSON or a CSV download.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importId } from '../../domain/importSpec';
import type { ApiDeps } from '../deps';
import { notFound, problemSchema } from '../problems';
import { pageQuery, runSchema } from '../schemas';
import { liveProgress, runView } from '../views';
import { importExists } from '../../store/imports';
import { rowErrorsOf, runOfImport, runsOfImport } from '../../store/runs';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const runParams = z.object({ id: importId, runId: z.coerce.number().int().min(1) });

const rowErrorSchema = z
  .object({
    id: z.number(),
    sourceKey: z.string().nullable(),
    cursor: z.string().nullable(),
    column: z.string().nullable(),
    value: z.string().nullable(),
    reason: z.string(),
  })
  .meta({ id: 'RowError' });

const CSV_COLUMNS = ['id', 'source_key', 'cursor_value', 'column_name', 'value', 'reason'] as const;

/** RFC 4180: quote a field when it holds a delimiter, quote or line break; double embedded quotes. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const runRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const { store, temporal } = deps;
    const { deadlines } = deps;

    async function findRun(id: string, runId: number) {
      const run = await runOfImport(store, id, runId);
      if (!run) throw notFound(`run ${runId} of import ${id}`);
      return run;
    }

    app.get(
      '/imports/:id/runs',
      {
        schema: {
          tags: ['runs'],
          summary: 'Runs of an import, newest first',
          params: z.object({ id: importId }),
          querystring: z.object({ limit: pageQuery.shape.limit, before: z.coerce.number().int().min(1).optional() }),
          response: { 200: z.object({ items: z.array(runSchema), nextBefore: z.number().nullable() }), ...errors },
        },
      },
      async (req) => {
        if (!(await importExists(store, req.params.id))) throw notFound(`import ${req.params.id}`);
        const { limit, before } = req.query;
        const items = (await runsOfImport(store, req.params.id, before ?? null, limit)).map(runView);
        const deadline = Date.now() + deadlines.viewMs;
        await Promise.all(
          items
            .filter((r) => r.status === 'running')
            .map(async (r) => {
              r.progress = await liveProgress(temporal, r.workflowId, deadline);
            }),
        );
        return { items, nextBefore: items.length === limit ? items[items.length - 1]!.runId : null };
      },
    );

    app.get(
      '/imports/:id/runs/:runId',
      {
        schema: {
          tags: ['runs'],
          summary: 'One run; while it runs, its live progress',
          params: runParams,
          response: { 200: runSchema, ...errors },
        },
      },
      async (req) => {
        const run = runView(await findRun(req.params.id, req.params.runId));
        if (run.status === 'running')
          run.progress = await liveProgress(temporal, run.workflowId, Date.now() + deadlines.viewMs);
        return run;
      },
    );

    app.get(
      '/imports/:id/runs/:runId/errors',
      {
        schema: {
          tags: ['runs'],
          summary: "A run's row errors (row, column, value, reason), paged",
          params: runParams,
          querystring: pageQuery,
          response: {
            200: z.object({ items: z.array(rowErrorSchema), total: z.number(), nextAfter: z.number().nullable() }),
            ...errors,
          },
        },
      },
      async (req) => {
        const run = await findRun(req.params.id, req.params.runId);
        const { limit, after } = req.query;
        const items = (await rowErrorsOf(store, req.params.runId, after ?? 0, limit)).map((r) => ({
          id: Number(r.id),
          sourceKey: r.source_key,
          cursor: r.cursor_value,
          column: r.column_name,
          value: r.value,
          reason: r.reason,
        }));
        return {
          items,
          total: Number(run.rejected),
          nextAfter: items.length === limit ? items[items.length - 1]!.id : null,
        };
      },
    );

    app.get(
      '/imports/:id/runs/:runId/errors.csv',
      {
        schema: {
          tags: ['runs'],
          summary: "A run's row errors as a CSV download",
          params: runParams,
          produces: ['text/csv'],
          response: {
            200: {
              description: 'id, source_key, cursor_value, column_name, value, reason; one line per rejected row',
              content: { 'text/csv': { schema: z.string() } },
            },
            ...errors,
          },
        },
      },
      async (req, reply) => {
        await findRun(req.params.id, req.params.runId);
        void reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${req.params.id}-run-${req.params.runId}-errors.csv"`);
        // Streamed in pages, so a run with a million rejected rows never sits in memory.
        async function* lines() {
          yield `${CSV_COLUMNS.join(',')}\r\n`;
          let after = 0;
          for (;;) {
            const rows = await rowErrorsOf(store, req.params.runId, after, 5000);
            if (rows.length === 0) return;
            yield rows.map((r) => `${CSV_COLUMNS.map((c) => csvField(r[c])).join(',')}\r\n`).join('');
            after = Number(rows[rows.length - 1]!.id);
          }
        }
        // The documented body is the CSV text; it is sent as a stream of it, which the route's types cannot say.
        return reply.send(Readable.from(lines()) as unknown as string);
      },
    );
  };
