/**
 * The OpenAPI document promises every status a route can answer. Routes declare their successes and the
 * problems of their own making (404, 409); the ones every route shares are added here from what the
 * route is, so no route can forget one: 400 for a route that takes input, 404 for one with a path
 * parameter, 401 and 403 from its scope,
 * 413 and 415 where a body is read, 429 under the rate limit, 500, and 503 (the store, Temporal or the
 * source out of reach). Every problem is declared under application/problem+json, as it is sent.
 */
import type { RouteOptions } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { ZodType } from 'zod';
import { problemResponse, problemSchema } from './problems';

/** Methods whose requests Fastify reads a body for (and so can refuse one as too large or of the wrong type). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export class OpenApiContract {
  /** `METHOD /openapi/{path}` of routes whose body may be left out. */
  private readonly optionalBodies = new Set<string>();

  constructor(private readonly options: { rateLimited: boolean }) {}

  /** An onRoute hook: complete the route's declared responses. */
  complete(route: RouteOptions): void {
    const schema = route.schema;
    if (!schema || (schema as { hide?: boolean }).hide) return;
    const methods = [route.method].flat().map((m) => m.toUpperCase());
    const readsBody = methods.some((m) => BODY_METHODS.has(m));
    const scope = route.config?.scope ?? (methods.every((m) => m === 'GET' || m === 'HEAD') ? 'read' : 'write');
    const declared = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };

    const statuses = new Set<number>();
    for (const [code, s] of Object.entries(declared))
      if (Number(code) >= 400 && s === problemSchema) statuses.add(Number(code));
    if (schema.params || schema.querystring || readsBody) statuses.add(400);
    // Every path parameter names something looked up: an import, run, connection, backfill or webhook.
    if (schema.params) statuses.add(404);
    if (scope !== 'none') statuses.add(401);
    if (scope === 'write') statuses.add(403);
    if (readsBody) statuses.add(413).add(415);
    if (this.options.rateLimited) statuses.add(429);
    statuses.add(500).add(503);
    for (const status of statuses) {
      if (declared[status] === undefined || declared[status] === problemSchema)
        declared[status] = problemResponse(status);
    }
    schema.response = declared;

    const body = schema.body as ZodType | undefined;
    if (body && typeof body.safeParse === 'function' && body.safeParse(undefined).success) {
      for (const m of methods) this.optionalBodies.add(`${m} ${openapiPath(route.url)}`);
    }
  }

  /** A transformObject step: what @fastify/swagger cannot know from a route's schema alone. */
  finish(doc: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item ?? {})) {
        const operation = op as OpenAPIV3_1.OperationObject;
        // @fastify/swagger marks every body required; some routes take none (POST …/resync).
        if (operation.requestBody && this.optionalBodies.has(`${method.toUpperCase()} ${path}`)) {
          (operation.requestBody as OpenAPIV3_1.RequestBodyObject).required = false;
        }
      }
    }
    return doc;
  }
}

const openapiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
