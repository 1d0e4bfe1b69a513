/** GET /health: the one route without a key, for load balancers. 503 when the store or Temporal is down. */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { beforeDeadline } from '../temporalDeadline';
import { ping } from '../../store/transaction';

const healthSchema = z.object({ status: z.enum(['ok', 'degraded']), store: z.string(), temporal: z.string() });

const probe = async (fn: () => Promise<unknown>): Promise<string> => {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    return `unavailable: ${(err as Error).message.split('\n')[0]}`;
  }
};

export const healthRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/health',
      {
        config: { scope: 'none' },
        schema: {
          tags: ['health'],
          summary: 'Liveness of the API, the store and Temporal',
          security: [],
          response: { 200: healthSchema, 503: healthSchema },
        },
      },
      async (_req, reply) => {
        const [store, temporal] = await Promise.all([
          probe(() => ping(deps.store)),
          // A load balancer's probe must not hang on a Temporal that accepts connections but does not answer.
          probe(() =>
            beforeDeadline(deps.temporal, Date.now() + deps.deadlines.viewMs, () =>
              deps.temporal.workflowService.getSystemInfo({}),
            ),
          ),
        ]);
        const ok = store === 'ok' && temporal === 'ok';
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', store, temporal });
      },
    );
  };
