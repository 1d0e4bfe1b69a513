/**
 * The Fastify app: zod-typed routes (request and response schemas derived from the import spec), an
 * OpenAPI document at /openapi.json with a browsable page at /docs, problem+json errors, bearer-key auth,
 * a body size limit and a rate limit.
 */
import { createHash } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { registerAuth } from './auth';
import type { ApiDeps, ApiOptions } from './deps';
import { registerProblemHandlers } from './problems';
import { backfillRoutes } from './routes/backfills';
import { connectionRoutes } from './routes/connections';
import { dryRunRoutes } from './routes/dryRun';
import { healthRoutes } from './routes/health';
import { importRoutes } from './routes/imports';
import { runRoutes } from './routes/runs';
import { webhookRoutes } from './routes/webhooks';

export type App = FastifyInstance;

export async function buildApp(deps: ApiDeps, options: ApiOptions = {}): Promise<App> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger: options.logger ?? { level: 'info' },
    // Fastify logs method, URL and status per request, never bodies or headers: a body may hold a
    // connection's password and a header the API key.
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandlers(app);

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
    transformObject: jsonSchemaTransformObject,
  });
  const docsScope = options.protectDocs ? 'read' : 'none';
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  app.get('/openapi.json', { config: { scope: docsScope }, schema: { hide: true } }, async () => app.swagger());

  if (options.rateLimit !== false) {
    await app.register(fastifyRateLimit, {
      max: options.rateLimit?.max ?? 600,
      timeWindow: options.rateLimit?.timeWindow ?? '1 minute',
      // Per key when one is sent (hashed: the limiter's memory holds no tokens), else per address.
      keyGenerator: (req) => {
        const auth = req.headers.authorization;
        return auth ? `k:${createHash('sha256').update(auth).digest('hex').slice(0, 32)}` : `ip:${req.ip}`;
      },
      errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, message: `rate limit of ${ctx.max} requests per ${ctx.after} exceeded` }),
    });
  }

  registerAuth(app, deps.store, { publicDocs: !options.protectDocs });

  await app.register(healthRoutes(deps));
  await app.register(connectionRoutes(deps));
  // Before importRoutes: /imports/dry-run is a fixed path beside /imports/:id.
  await app.register(dryRunRoutes(deps));
  await app.register(importRoutes(deps));
  await app.register(runRoutes(deps));
  await app.register(backfillRoutes(deps));
  await app.register(webhookRoutes(deps));
  return app;
}
