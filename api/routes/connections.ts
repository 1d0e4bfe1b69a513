/**
 * /connections: create (the URL sealed at rest, never returned), list, get, delete (refused while an
 * import uses it), test, discover (cached; POST …/discover refreshes it: the "resync"), and preview.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SourceUnavailableError } from '../../connectors/common/errors';
import type { DiscoveryConnector } from '../../connectors/source';
import { ConfigurationError, type ConnectionConfig } from '../../connectors/source';
import { scrubberFor, scrubbing } from '../../connectors/common/secretScrub';
import { checkUrl, DuplicateError, insertConnection, urlOf, urlParamProblem } from '../connectionsStore';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, fieldError, notFound, problemSchema, unavailableDetail } from '../problems';
import { columnSchema, connectionId, connectionParams, isoTime, previewBody } from '../schemas';
import {
  connectionExists,
  connectionIds,
  connectionWithUse,
  deleteConnection,
  discoveryOf,
  saveDiscovery,
} from '../../store/connections';

const createBody = z
  .object({
    /** Defaults to a generated id; imports name it in source.connection. */
    id: connectionId.optional(),
    name: z.string().min(1).max(200),
    /** A full URL with credentials, e.g. postgres://user:password@host:5432/db; or the fields below. */
    url: z.string().min(1).max(4096).optional(),
    kind: z.enum(['postgres']).optional(),
    host: z.string().min(1).max(255).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    database: z.string().min(1).max(255).optional(),
    user: z.string().min(1).max(255).optional(),
    password: z.string().max(1024).optional(),
    params: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.url === undefined) === (b.host === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'give either url or host (with port, database, user, password)',
      });
    if (b.url !== undefined) {
      for (const f of ['kind', 'host', 'port', 'database', 'user', 'password', 'params'] as const) {
        if (b[f] !== undefined)
          ctx.addIssue({ code: 'custom', path: [f], message: 'give either url or the separate fields, not both' });
      }
    }
  })
  .meta({ id: 'ConnectionCreate' });

const connectionView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    host: z.string().nullable(),
    port: z.number().nullable(),
    database: z.string().nullable(),
    user: z.string().nullable(),
    /** Imports (not deleted) that read from this connection. */
    usedBy: z.array(z.string()),
    discoveredAt: isoTime.nullable(),
    createdAt: isoTime,
  })
  .meta({ id: 'Connection', description: 'A stored connection. Its password and URL are never returned.' });

const tableView = z.object({
  schema: z.string(),
  name: z.string(),
  kind: z.enum(['table', 'view']),
  columns: z.array(columnSchema),
});
const discoveryView = z
  .object({ connection: z.string(), discoveredAt: isoTime, tables: z.array(tableView) })
  .meta({ id: 'Discovery' });

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };

export const connectionRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();

    const view = async (id: string) => {
      const r = await connectionWithUse(deps.store, id);
      if (!r) throw notFound(`connection ${id}`);
      return {
        id: r.id,
        name: r.name,
        kind: r.kind,
        ...r.display,
        usedBy: r.used_by as string[],
        discoveredAt: r.discovered_at?.toISOString() ?? null,
        createdAt: r.created_at.toISOString(),
      };
    };

    /** Resolve exactly as the worker does; every error is scrubbed of the connection's secrets before it is shown or logged. */
    const withSource = async <T>(
      id: string,
      fn: (config: ConnectionConfig, d: DiscoveryConnector) => Promise<T>,
    ): Promise<T> => {
      if (!(await connectionExists(deps.store, id))) throw notFound(`connection ${id}`);
      const config = await deps.resolveConnection(id);
      const d = deps.discovery[config.kind];
      if (!d) throw badRequest(`connection ${id} is of kind ${config.kind}, which this API cannot open`);
      return scrubbing(scrubberFor(config), () => fn(config, d));
    };

    app.post(
      '/connections',
      {
        schema: {
          tags: ['connections'],
          summary: 'Store a connection (its URL encrypted at rest)',
          body: createBody,
          response: { 201: connectionView, ...errors },
        },
      },
      async (req, reply) => {
        const b = req.body;
        if (b.url) {
          try {
            checkUrl(b.url);
          } catch (err) {
            throw fieldError('url', (err as Error).message.replace(/^url: /, ''));
          }
        }
        const param = urlParamProblem(urlOf(b));
        if (param)
          throw fieldError(
            b.url ? 'url' : `params.${param.param}`,
            b.url ? `parameter ${param.message}` : param.message,
          );
        if (!deps.secretKey)
          throw new ConfigurationError('the API has no TRIBUTARY_SECRET_KEY, so it cannot store connection secrets');
        let id: string;
        try {
          id = await insertConnection(deps.store, deps.secretKey, b);
        } catch (err) {
          if (err instanceof DuplicateError) throw conflict(`connection ${b.id} already exists`);
          throw err;
        }
        return reply.code(201).send(await view(id));
      },
    );

    app.get(
      '/connections',
      {
        schema: {
          tags: ['connections'],
          summary: 'List connections',
          response: { 200: z.object({ items: z.array(connectionView) }), ...errors },
        },
      },
      async () => {
        const ids = await connectionIds(deps.store);
        return { items: await Promise.all(ids.map((id) => view(id))) };
      },
    );

    app.get(
      '/connections/:id',
      {
        schema: {
          tags: ['connections'],
          summary: 'Get a connection',
          params: connectionParams,
          response: { 200: connectionView, ...errors },
        },
      },
      async (req) => view(req.params.id),
    );

    app.delete(
      '/connections/:id',
      {
        schema: {
          tags: ['connections'],
          summary: 'Delete a connection no import uses',
          params: connectionParams,
          response: { 204: z.null(), ...errors },
        },
      },
      async (req, reply) => {
        const v = await view(req.params.id);
        if (v.usedBy.length > 0)
          throw conflict(`connection ${v.id} is used by import(s) ${v.usedBy.join(', ')}; delete them first`);
        // The imports check and the delete race only with a create naming it, which re-checks the connection.
        await deleteConnection(deps.store, v.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/connections/:id/test',
      {
        schema: {
          tags: ['connections'],
          summary: 'Connect and run a trivial query',
          params: connectionParams,
          response: {
            200: z.object({
              ok: z.boolean(),
              server: z.string().optional(),
              warnings: z.array(z.string()).optional(),
              error: z.string().optional(),
              latencyMs: z.number(),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const started = Date.now();
        try {
          const { server, warnings } = await withSource(req.params.id, (config, d) => d.test(config));
          return { ok: true, server, ...(warnings?.length ? { warnings } : {}), latencyMs: Date.now() - started };
        } catch (err) {
          // Finding out whether the source answers is this route's job: its answer is ok: false, not an error.
          if (err instanceof SourceUnavailableError)
            return { ok: false, error: unavailableDetail(err), latencyMs: Date.now() - started };
          if (!(err instanceof ConfigurationError)) throw err;
          return { ok: false, error: err.message, latencyMs: Date.now() - started };
        }
      },
    );

    const discover = async (id: string) => {
      const tables = await withSource(id, (config, d) => d.discover(config));
      const discoveredAt = await saveDiscovery(deps.store, id, tables);
      return { connection: id, discoveredAt: discoveredAt.toISOString(), tables };
    };

    app.get(
      '/connections/:id/schema',
      {
        schema: {
          tags: ['connections'],
          summary: 'Schemas, tables and columns with their types (the last discovery; discovers if never done)',
          params: connectionParams,
          response: { 200: discoveryView, ...errors },
        },
      },
      async (req) => {
        const last = await discoveryOf(deps.store, req.params.id);
        if (!last) throw notFound(`connection ${req.params.id}`);
        if (!last.discovered) return discover(req.params.id);
        return { connection: req.params.id, discoveredAt: last.discovered_at!.toISOString(), tables: last.discovered };
      },
    );

    app.post(
      '/connections/:id/discover',
      {
        schema: {
          tags: ['connections'],
          summary: 'Discover schemas, tables and columns again (resync)',
          params: connectionParams,
          response: { 200: discoveryView, ...errors },
        },
      },
      async (req) => discover(req.params.id),
    );

    app.post(
      '/connections/:id/preview',
      {
        schema: {
          tags: ['connections'],
          summary: 'The first rows of a table or a SELECT, with column types',
          params: connectionParams,
          body: previewBody,
          response: {
            200: z.object({ columns: z.array(columnSchema), rows: z.array(z.array(z.string().nullable())) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const { table, query, limit } = req.body;
        try {
          return await withSource(req.params.id, (config, d) =>
            d.preview(config, table !== undefined ? { table } : { query: query! }, limit),
          );
        } catch (err) {
          // A missing table or a query the source refuses: name the field that holds it.
          if (err instanceof ConfigurationError) throw fieldError(table !== undefined ? 'table' : 'query', err.message);
          throw err;
        }
      },
    );
  };
