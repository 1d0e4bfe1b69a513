/**
 * Errors as RFC 9457 problem details (`application/problem+json`). Every 400 names the offending fields
 * in `errors[].field`, dotted paths into the request body (or query/params), so clients can point at them.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConfigurationError } from '../connectors/source';
import { CustomQueryTerminatedError, isDroppedConnection } from '../connectors/common/droppedConnection';
import { networkCode, SourceUnavailableError } from '../connectors/common/errors';

/** A lost or refused store or source connection: the request failed, the API did not; it may be retried. */
function unavailableDetail(err: unknown): string | null {
  if (!(err instanceof SourceUnavailableError || err instanceof CustomQueryTerminatedError || isDroppedConnection(err))) return null;
  const code = networkCode(err) ?? (err as { code?: unknown }).code;
  // The driver's code only: its message can name hosts, which a client need not learn.
  return `a database connection was lost or refused${typeof code === 'string' ? ` (${code})` : ''}; try the request again`;
}

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** A problem a route throws on purpose; the error handler renders it. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly errors?: FieldError[],
    readonly slug?: string,
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new HttpProblem(400, detail, errors, 'invalid-request');
export const notFound = (what: string) => new HttpProblem(404, `${what} does not exist`, undefined, 'not-found');
export const conflict = (detail: string) => new HttpProblem(409, detail, undefined, 'conflict');
export const fieldError = (field: string, message: string) => badRequest(`${field}: ${message}`, [{ field, message }]);

export function sendProblem(reply: FastifyReply, request: FastifyRequest, status: number, detail: string, extra: Partial<Problem> = {}, slug?: string) {
  const problem: Problem = {
    type: `https://tributary.dev/problems/${slug ?? String(status)}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?')[0],
    ...extra,
  };
  return reply.code(status).type('application/problem+json').send(JSON.stringify(problem));
}

const PART: Record<string, string> = { body: '', querystring: 'query.', params: 'path.', headers: 'header.' };

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, 404, `no route ${request.method} ${request.url.split('?')[0]}`, {}, 'not-found'));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof HttpProblem) {
      return sendProblem(reply, request, err.status, err.message, err.errors ? { errors: err.errors } : {}, err.slug);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const prefix = PART[err.validationContext ?? 'body'] ?? '';
      const errors = err.validation.flatMap((v) => {
        const path = v.instancePath.split('/').filter(Boolean);
        const at = (p: string[]) => `${prefix}${p.join('.')}` || '(body)';
        // An unknown key is named itself, not the object that holds it.
        const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: string[] }).keys : undefined;
        if (keys?.length) return keys.map((k) => ({ field: at([...path, k]), message: 'is not a known field' }));
        return [{ field: at(path), message: v.message ?? 'is invalid' }];
      });
      return sendProblem(reply, request, 400, errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors }, 'invalid-request');
    }
    if (err instanceof ConfigurationError) return sendProblem(reply, request, 400, err.message, {}, 'configuration');
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendProblem(reply, request, 413, err.message, {}, 'too-large');
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendProblem(reply, request, 415, err.message);
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      return sendProblem(reply, request, 400, `the body is not valid JSON: ${err.message}`, { errors: [{ field: '(body)', message: err.message }] }, 'invalid-json');
    }
    const unavailable = unavailableDetail(err);
    if (unavailable) {
      request.log.warn({ code: (err as { code?: unknown }).code }, 'database connection lost during the request');
      return sendProblem(reply, request, 503, unavailable, {}, 'unavailable');
    }
    if (err.statusCode === 429) return sendProblem(reply, request, 429, err.message, {}, 'rate-limited');
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendProblem(reply, request, err.statusCode, err.message);
    if (isResponseSerializationError(err)) request.log.error({ issues: err.cause.issues }, 'response did not match its schema');
    else request.log.error({ err }, 'unhandled error');
    // Internal messages can carry driver details; clients get a generic one and the log has the rest.
    return sendProblem(reply, request, 500, 'internal error; see the API log');
  });
}
