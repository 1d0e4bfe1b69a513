/**
 * Dry runs: a sample is read and mapped, merged inside a transaction that is rolled back, and
 * the would-be counts and row errors are returned. Nothing is written. For a new spec (before creating
 * it) the sample starts at the beginning; for an existing import, at its committed position.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { dryRun, retryOnceIfOwnTermination } from '../../engine';
import { type ImportSpec, parseImportSpec } from '../../domain/importSpec';
import type { ApiDeps } from '../deps';
import { conflict, notFound, problemSchema } from '../problems';
import { checkAgainstSource } from '../mappingCheck';
import { dryRunBody, importParams, loaderCounterFields, positionSchema } from '../schemas';
import { getImport } from '../../store/imports';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };

const dryRunQuery = z.object({ sampleSize: z.coerce.number().int().min(1).max(100_000).default(1000) });

const dryRunResult = z
  .object({
    sampleSize: z.number(),
    rowsRead: z.number(),
    // The loaders' counts (the run counters a loader reports, store/runs.ts), then the rejected rows.
    counts: z.object({ ...loaderCounterFields, rejected: z.number() }),
    nullCursor: z.number(),
    from: positionSchema.nullable(),
    upperBound: z.string().nullable(),
    rowErrors: z.array(
      z.object({
        row: z.number(),
        sourceKey: z.string().nullable(),
        cursor: z.string().nullable(),
        column: z.string().nullable(),
        value: z.string().nullable(),
        reason: z.string(),
      }),
    ),
    snapshotRemoval: z
      .string()
      .nullable()
      .describe('A snapshot segments import: what its run would remove, or why nothing'),
  })
  .meta({ id: 'DryRun', description: 'What a run would do with the sample; nothing was written' });

export const dryRunRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/imports/dry-run',
      {
        // Reads only, but it runs the caller's spec against a source: a write key, like creating one.
        schema: {
          tags: ['imports'],
          summary: 'Dry run of a spec not yet saved: sample read and mapped, nothing written',
          body: dryRunBody,
          querystring: dryRunQuery,
          response: { 200: dryRunResult, ...errors },
        },
      },
      async (req) => {
        const spec = parseImportSpec(req.body);
        await checkAgainstSource(deps, spec);
        return retryOnceIfOwnTermination(() =>
          dryRun(deps, spec, { sampleSize: req.query.sampleSize, fromPosition: false }),
        );
      },
    );

    app.post(
      '/imports/:id/dry-run',
      {
        schema: {
          tags: ['imports'],
          summary: "Dry run of a saved import from its committed position: the next run's sample, nothing written",
          params: importParams,
          querystring: dryRunQuery,
          response: { 200: dryRunResult, ...errors },
        },
      },
      async (req) => {
        const row = await getImport(deps.store, req.params.id);
        if (!row) throw notFound(`import ${req.params.id}`);
        if (row.deleted_at) throw conflict(`import ${req.params.id} is deleted`);
        const spec = row.spec as ImportSpec;
        return retryOnceIfOwnTermination(() =>
          dryRun(deps, spec, { sampleSize: req.query.sampleSize, fromPosition: true }),
        );
      },
    );
  };
