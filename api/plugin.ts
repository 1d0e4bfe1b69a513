/**
 * The HTTP API as a Fastify plugin, so it can be mounted in a user's own Fastify app under a prefix:
 *
 *   await app.register(tributaryApi, { prefix: '/imports-api', store, temporal, auth: 'none' });
 *
 * Everything it sets up stays inside its own encapsulated context: the zod validator and serializer, the
 * problem+json error and 404/405 handlers, the API-key hook, the rate limit and the OpenAPI document
 * (whose paths carry the prefix). The user's own hooks registered before it still run for its routes, so a
 * user who authenticates in their own onRequest hook turns the built-in API keys off with `auth: 'none'`.
 * `npm run api` (server.ts) mounts this same plugin at the root of an app of its own.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { envConnections } from '../connectors/connections';
import { type OperatorPolicy, operatorPolicyFromEnv } from '../connectors/common/operatorPolicy';
import { createApiConnectors } from '../connectors/registry';
import { secretKeyFrom } from '../connectors/secrets';
import type { ConnectionResolver } from '../connectors/source';
import { composeResolvers, storedConnections } from '../connectors/storedConnections';
import { IMPORT_TASK_QUEUE } from '../temporal/taskQueues';
import { registerAuth } from './auth';
import { authFailureLimit, windowMs } from './authFailures';
import type { ApiDeps } from './deps';
import { parseDuration } from './durations';
import { OpenApiContract } from './openapiContract';
import { registerProblemHandlers } from './problems';
import { RouteTable } from './routeTable';
import { registerStorableText } from './storableText';
import { DEFAULT_DEADLINES, type TemporalDeadlines } from './temporalDeadline';
import { backfillRoutes } from './routes/backfills';
import { connectionRoutes } from './routes/connections';
import { dryRunRoutes } from './routes/dryRun';
import { healthRoutes } from './routes/health';
import { importRoutes } from './routes/imports';
import { runRoutes } from './routes/runs';
import { webhookRoutes } from './routes/webhooks';

export interface TributaryApiOptions {
  /** The store (migrated: the worker's TributaryPlugin or `tributary migrate` applies the migrations). */
  store: pg.Pool;
  temporal: Client;
  /** The task queue Tributary's workers poll (default `tributary-imports`). */
  taskQueue?: string;
  /** Seals stored connection URLs and webhook secrets; the worker needs the same key (default: TRIBUTARY_SECRET_KEY). */
  secretKey?: Buffer | null;
  /** How a connection name resolves (default: stored connections, then TRIBUTARY_CONNECTION_<NAME>). */
  resolveConnection?: ConnectionResolver;
  /** How long a deleted import's data is kept (default: TRIBUTARY_PURGE_RETENTION, else 30 days). */
  defaultRetentionMs?: number;
  deadlines?: Partial<TemporalDeadlines>;
  /** What sources may reach (default: the operator's, from the environment). */
  policy?: OperatorPolicy;
  /**
   * 'api-key' (default): every route but health and the docs needs `Authorization: Bearer <token>` of a key
   * from `tributary api-key create`. 'none': the plugin checks nothing; the app's own hooks authenticate.
   */
  auth?: 'api-key' | 'none';
  /** Largest accepted request body in bytes for the API's routes (default 1 MiB); larger is 413. */
  bodyLimit?: number;
  /**
   * Requests per key (or per address without one) per window (default 600 a minute), and failed
   * authentications per address per window (`failedAuthMax`, default the smaller of `max` and 60); false
   * turns both limits off.
   */
  rateLimit?: { max: number; timeWindow: string | number; failedAuthMax?: number } | false;
  /**
   * Serve the OpenAPI document at <prefix>/openapi.json and its page at <prefix>/docs (default true). An app
   * that registers @fastify/swagger itself turns this off: the `swagger` decorator can exist once.
   */
  openapi?: boolean;
  /** Whether the docs need a read key too (default: public). */
  protectDocs?: boolean;
}

/** Failed authentications per address per window, unless told: enough for a client with a stale key to notice. */
const DEFAULT_FAILED_AUTH_MAX = 60;

export const tributaryApi: FastifyPluginAsync<TributaryApiOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const prefix = app.prefix;
  const secretKey = options.secretKey === undefined ? secretKeyFrom() : options.secretKey;
  const parts = createApiConnectors({ policy: options.policy });
  app.addHook('onClose', async () => parts.closeAll());
  const deps: ApiDeps = {
    store: options.store,
    temporal: options.temporal,
    taskQueue: options.taskQueue ?? IMPORT_TASK_QUEUE,
    secretKey,
    resolveConnection:
      options.resolveConnection ?? composeResolvers(storedConnections(options.store, secretKey), envConnections()),
    connectors: parts.connectors,
    discovery: parts.discovery,
    defaultRetentionMs: options.defaultRetentionMs ?? parseDuration(process.env.TRIBUTARY_PURGE_RETENTION ?? '30d'),
    deadlines: { ...DEFAULT_DEADLINES, ...options.deadlines },
  };
  const rateLimit = options.rateLimit ?? { max: 600, timeWindow: '1 minute' };
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes = new RouteTable();
  const contract = new OpenApiContract({ rateLimited: rateLimit !== false });
  // Before the swagger plugin and the routes: every route is completed before it is compiled or documented.
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimit;
    routes.add(route.url, route.method);
    contract.complete(route);
  });
  try {
    registerProblemHandlers(app, { allowedMethods: (path) => routes.allowed(path) });
  } catch (err) {
    // Mounted without a prefix in an app that has its own 404 handler: that handler answers unknown paths;
    // the error handler was set all the same (it is set first and is the plugin's own).
    if (!/Not found handler already set/.test((err as Error).message)) throw err;
  }
  registerStorableText(app);

  if (options.openapi !== false) {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Tributary API',
          description:
            'Connections, imports, schedules and runs of Tributary. ' +
            (options.auth === 'none' ? '' : 'Send an API key as `Authorization: Bearer <token>`; ') +
            'errors are `application/problem+json` naming the offending fields.',
          version: '1',
        },
        ...(options.auth === 'none'
          ? {}
          : {
              components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
              security: [{ bearer: [] }],
            }),
      },
      transform: jsonSchemaTransform,
      transformObject: (doc) => contract.finish(jsonSchemaTransformObject(doc) as OpenAPIV3_1.Document),
    });
    const docsScope = options.protectDocs ? 'read' : 'none';
    await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
    app.get('/openapi.json', { config: { scope: docsScope }, schema: { hide: true } }, async () => app.swagger());
  }

  if (rateLimit !== false) {
    await app.register(fastifyRateLimit, {
      max: rateLimit.max,
      timeWindow: rateLimit.timeWindow,
      // Per API key, as the auth hook verified it (it runs first: the limiter's hook is the route's own), so
      // no spelling of the Authorization header gets a fresh allowance; per address where no key is needed.
      keyGenerator: (req) => (req.apiKey ? `key:${req.apiKey.id}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        message: `rate limit of ${ctx.max} requests per ${ctx.after} exceeded`,
      }),
    });
  }

  if (options.auth !== 'none') {
    const failures =
      rateLimit === false
        ? undefined
        : authFailureLimit(
            rateLimit.failedAuthMax ?? Math.min(rateLimit.max, DEFAULT_FAILED_AUTH_MAX),
            windowMs(rateLimit.timeWindow),
          );
    registerAuth(app, deps.store, { publicDocs: !options.protectDocs, docsPath: `${prefix}/docs`, failures });
  }

  await app.register(healthRoutes(deps));
  await app.register(connectionRoutes(deps));
  // Before importRoutes: /imports/dry-run is a fixed path beside /imports/:id.
  await app.register(dryRunRoutes(deps));
  await app.register(importRoutes(deps));
  await app.register(runRoutes(deps));
  await app.register(backfillRoutes(deps));
  await app.register(webhookRoutes(deps, options.policy ?? operatorPolicyFromEnv()));
};
