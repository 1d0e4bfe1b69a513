/**
 * The stand-alone app of `npm run api`: a Fastify server of its own with the API plugin (plugin.ts)
 * mounted at its root, so the stand-alone API and one mounted in a user's app are the same routes.
 * What only a server can choose is chosen here: the logger and how the router's own errors read.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { sendProblem } from './problems';
import { tributaryApi, type TributaryApiOptions } from './plugin';

export type App = FastifyInstance;

export interface AppOptions extends TributaryApiOptions {
  /** A Fastify logger option; tests pass a stream to capture log lines. */
  logger?: boolean | { level?: string; stream?: { write(line: string): unknown } };
}

export async function buildApp(options: AppOptions): Promise<App> {
  const { logger, ...api } = options;
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logger: logger ?? { level: 'info' },
    // Fastify logs method, URL and status per request, never bodies or headers: a body may hold a
    // connection's password and a header the API key.
    // A path the router cannot take apart (a parameter longer than it keeps, a broken escape) is the
    // request's fault: a 400 problem naming the path, as every other bad input, not the router's own body.
    frameworkErrors: (err, request, reply) => {
      void sendProblem(
        reply,
        request,
        400,
        `the path is not valid: ${err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'it is not a valid URL component'}`,
        {
          errors: [
            {
              field: 'path',
              message:
                err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a parameter is too long' : 'is not a valid URL component',
            },
          ],
        },
        'invalid-request',
      );
    },
  });
  await app.register(tributaryApi, api);
  return app;
}
