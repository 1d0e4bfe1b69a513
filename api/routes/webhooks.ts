/**
 * /webhooks: endpoints that receive run events (run.started, run.succeeded, run.partially_succeeded,
 * run.failed), signed with a per-endpoint secret: X-Tributary-Signature is `sha256=` and the hex
 * HMAC-SHA256 of the raw body. The secret is shown once, at creation, and stored sealed. A URL whose host is
 * an address the operator's policy refuses (loopback, private, link-local, metadata) is a 400 on `url`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { networkReach, RefusedAddressError } from '../../connectors/common/networkReach';
import type { OperatorPolicy } from '../../connectors/common/operatorPolicy';
import { encryptSecret, requireSecretKey } from '../../connectors/secrets';
import { importId } from '../../domain/importSpec';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../../workflows/lifecycleDefinitions';
import type { ApiDeps } from '../deps';
import { fieldError, notFound, problemSchema } from '../problems';
import { isoTime } from '../schemas';
import { deleteWebhook, insertWebhook, listWebhooks } from '../../store/webhooks';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const events = z.enum(WEBHOOK_EVENTS as [WebhookEvent, ...WebhookEvent[]]);

const createBody = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
    events: z
      .array(events)
      .min(1)
      .default([...WEBHOOK_EVENTS]),
    /** Only this import's runs; all imports when omitted. */
    importId: importId.optional(),
    /** The signing secret; generated when omitted. */
    secret: z.string().min(16).max(256).optional(),
  })
  .strict()
  .meta({ id: 'WebhookCreate' });

const webhookView = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    importId: z.string().nullable(),
    createdAt: isoTime,
  })
  .meta({ id: 'Webhook' });

/** `policy`: the operator's bounds on addresses, which webhook URLs stay within as sources do. */
export const webhookRoutes =
  (deps: ApiDeps, policy: OperatorPolicy): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const reach = networkReach(policy, undefined, 'webhooks');
    const view = (r: Record<string, any>) => ({
      id: r.id,
      url: r.url,
      events: r.events,
      importId: r.import_id,
      createdAt: r.created_at.toISOString(),
    });

    app.post(
      '/webhooks',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Subscribe an endpoint to run events (the signing secret is returned once)',
          body: createBody,
          response: { 201: webhookView.extend({ secret: z.string() }), ...errors },
        },
      },
      async (req, reply) => {
        // Refused now where the address is known now (an IP literal, or a name resolving to one); a name that
        // resolves elsewhere later is refused by the delivery, which checks the address it connects to.
        try {
          await reach.vet(new URL(req.body.url).hostname);
        } catch (err) {
          if (err instanceof RefusedAddressError) throw fieldError('url', err.message);
          throw err;
        }
        const secret = req.body.secret ?? randomBytes(24).toString('base64url');
        const id = `wh-${randomBytes(5).toString('hex')}`;
        const row = await insertWebhook(deps.store, {
          id,
          url: req.body.url,
          events: req.body.events,
          importId: req.body.importId ?? null,
          sealedSecret: encryptSecret(requireSecretKey(deps.secretKey), secret),
        });
        return reply.code(201).send({ ...view(row), secret });
      },
    );

    app.get(
      '/webhooks',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'List webhook endpoints',
          response: { 200: z.object({ items: z.array(webhookView) }), ...errors },
        },
      },
      async () => ({ items: (await listWebhooks(deps.store)).map(view) }),
    );

    app.delete(
      '/webhooks/:id',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Remove a webhook endpoint',
          params: z.object({ id: z.string().max(64) }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (req, reply) => {
        if (!(await deleteWebhook(deps.store, req.params.id))) throw notFound(`webhook ${req.params.id}`);
        return reply.code(204).send(null);
      },
    );
  };
