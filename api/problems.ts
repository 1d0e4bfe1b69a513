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
function droppedDetail(err: unknown): string | null {
  if (!(err instanceof SourceUnavailableError || err instanceof CustomQueryTerminatedError || isDroppedConnection(err)))
    return null;
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
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** The media type of every error body. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** How the OpenAPI document declares an error status: a problem body, under its own media type. */
export const problemResponse = (status: number) => ({
  description: TITLES[status] ?? 'Error',
  content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema } },
});

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

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new HttpProblem(400, detail, errors, 'invalid-request');
export const notFound = (what: string) => new HttpProblem(404, `${what} does not exist`, undefined, 'not-found');
export const conflict = (detail: string) => new HttpProblem(409, detail, undefined, 'conflict');
export const fieldError = (field: string, message: string) => badRequest(`${field}: ${message}`, [{ field, message }]);

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  detail: string,
  extra: Partial<Problem> = {},
  slug?: string,
) {
  const problem: Problem = {
    type: `https://tributary.dev/problems/${slug ?? String(status)}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?')[0],
    ...extra,
  };
  return reply.code(status).type(PROBLEM_MEDIA_TYPE).send(JSON.stringify(problem));
}

/** A source's "cannot reach" for an API caller: the connector's "will retry" is the worker's promise, not the API's. */
export const unavailableDetail = (err: SourceUnavailableError): string =>
  `${err.message.replace(/; will retry$/, '')}; try again when the source answers`;

const PART: Record<string, string> = { body: '', querystring: 'query.', params: 'path.', headers: 'header.' };

export function registerProblemHandlers(
  app: FastifyInstance,
  routes: { allowedMethods(path: string): string[] },
): void {
  const noRoute = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = routes.allowedMethods(path);
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        request,
        405,
        `${path} answers ${allowed.join(', ')}, not ${request.method}`,
        {},
        'method-not-allowed',
      );
    }
    return sendProblem(reply, request, 404, `no route ${request.method} ${path}`, {}, 'not-found');
  };
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // A body refused on the way to no route at all (QUERY without a Content-Type, say): the route's absence
    // is the answer, whatever the body.
    if (request.is404) return noRoute(request, reply);
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
      return sendProblem(
        reply,
        request,
        400,
        errors.map((e) => `${e.field}: ${e.message}`).join('; '),
        { errors },
        'invalid-request',
      );
    }
    if (err instanceof ConfigurationError) return sendProblem(reply, request, 400, err.message, {}, 'configuration');
    // The source did not answer (refused, unreachable, timed out): the request was fine, try again later.
    if (err instanceof SourceUnavailableError)
      return sendProblem(reply, request, 503, unavailableDetail(err), {}, 'source-unavailable');
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendProblem(reply, request, 413, err.message, {}, 'too-large');
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendProblem(reply, request, 415, err.message);
    if (
      err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      err instanceof SyntaxError
    ) {
      return sendProblem(
        reply,
        request,
        400,
        `the body is not valid JSON: ${err.message}`,
        { errors: [{ field: '(body)', message: err.message }] },
        'invalid-json',
      );
    }
    const unavailable = droppedDetail(err);
    if (unavailable) {
      request.log.warn({ code: (err as { code?: unknown }).code }, 'database connection lost during the request');
      return sendProblem(reply, request, 503, unavailable, {}, 'unavailable');
    }
    if (err.statusCode === 429) return sendProblem(reply, request, 429, err.message, {}, 'rate-limited');
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
      return sendProblem(reply, request, err.statusCode, err.message);
    if (isResponseSerializationError(err))
      request.log.error({ issues: err.cause.issues }, 'response did not match its schema');
    else request.log.error({ err }, 'unhandled error');
    // Internal messages can carry driver details; clients get a generic one and the log has the rest.
    return sendProblem(reply, request, 500, 'internal error; see the API log');
  });
  // Last: it throws where the app already has a 404 handler for this prefix, and the error handler above stands.
  app.setNotFoundHandler(noRoute);
}
