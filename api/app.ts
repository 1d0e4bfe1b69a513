/**
 * The Fastify app: zod-typed routes (request and response schemas derived from the import spec), an
 * OpenAPI document at /openapi.json with a browsable page at /docs, problem+json errors, bearer-key auth,
 * a body size limit and a rate limit.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { operatorPolicyFromEnv } from '../connectors/common/operatorPolicy';
import { registerAuth } from './auth';
import { authFailureLimit, windowMs } from './authFailures';
import type { ApiDeps, ApiOptions } from './deps';
import { OpenApiContract } from './openapiContract';
import { registerProblemHandlers, sendProblem } from './problems';
import { RouteTable } from './routeTable';
import { registerStorableText } from './storableText';
import { backfillRoutes } from './routes/backfills';
import { connectionRoutes } from './routes/connections';
import { dryRunRoutes } from './routes/dryRun';
import { healthRoutes } from './routes/health';
import { importRoutes } from './routes/imports';
import { runRoutes } from './routes/runs';
import { webhookRoutes } from './routes/webhooks';

export type App = FastifyInstance;

/** Failed authentications per address per window, unless told: enough for a client with a stale key to notice. */
const DEFAULT_FAILED_AUTH_MAX = 60;

export async function buildApp(deps: ApiDeps, options: ApiOptions = {}): Promise<App> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger: options.logger ?? { level: 'info' },
    // Fastify logs method, URL and status per request, never bodies or headers: a body may hold a
    // connection's password and a header the API key.
    // A path the router cannot take apart (a parameter longer than it keeps, a broken escape) is the
    // request's fault: a 400 problem naming the path, as every other bad input, not the router's own body.
    frameworkErrors: (err, request, reply) => {
      void sendProblem(reply, request, 400, `the path is not valid: ${err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'it is not a valid URL component'}`,
        { errors: [{ field: 'path', message: err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a parameter is too long' : 'is not a valid URL component' }] }, 'invalid-request');
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes = new RouteTable();
  const contract = new OpenApiContract({ rateLimited: options.rateLimit !== false });
  // Before the swagger plugin and the routes: every route is completed before it is compiled or documented.
  app.addHook('onRoute', (route) => {
    routes.add(route.url, route.method);
    contract.complete(route);
  });
  registerProblemHandlers(app, { allowedMethods: (path) => routes.allowed(path) });
  registerStorableText(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tributary API',
        description:
          'Connections, imports, schedules and runs of Tributary. Send an API key as `Authorization: Bearer <token>`; ' +
          'errors are `application/problem+json` naming the offending fields.',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (doc) => contract.finish(jsonSchemaTransformObject(doc) as OpenAPIV3_1.Document),
  });
  const docsScope = options.protectDocs ? 'read' : 'none';
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  app.get('/openapi.json', { config: { scope: docsScope }, schema: { hide: true } }, async () => app.swagger());

  if (options.rateLimit !== false) {
    await app.register(fastifyRateLimit, {
      max: options.rateLimit?.max ?? 600,
      timeWindow: options.rateLimit?.timeWindow ?? '1 minute',
      // Per API key, as the auth hook verified it (it runs first: the limiter's hook is the route's own), so
      // no spelling of the Authorization header gets a fresh allowance; per address where no key is needed.
      keyGenerator: (req) => (req.apiKey ? `key:${req.apiKey.id}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, message: `rate limit of ${ctx.max} requests per ${ctx.after} exceeded` }),
    });
  }

  const limit = options.rateLimit;
  const failures = limit === false ? undefined
    : authFailureLimit(limit?.failedAuthMax ?? Math.min(limit?.max ?? 600, DEFAULT_FAILED_AUTH_MAX), windowMs(limit?.timeWindow ?? '1 minute'));
  registerAuth(app, deps.store, { publicDocs: !options.protectDocs, failures });

  await app.register(healthRoutes(deps));
  await app.register(connectionRoutes(deps));
  // Before importRoutes: /imports/dry-run is a fixed path beside /imports/:id.
  await app.register(dryRunRoutes(deps));
  await app.register(importRoutes(deps));
  await app.register(runRoutes(deps));
  await app.register(backfillRoutes(deps));
  await app.register(webhookRoutes(deps, options.policy ?? operatorPolicyFromEnv()));
  return app;
}
