/**
 * deliverWebhooks: POSTs one run event to every endpoint subscribed to it, signed with the endpoint's
 * secret (X-Tributary-Signature: sha256=<hex HMAC-SHA256 of the body>). Endpoints that answered 2xx are
 * recorded, so when one receiver fails and Temporal retries the activity, the others are not sent it again.
 * The body is built from the stored run only, so every attempt sends the same bytes.
 */
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { networkReach, RefusedAddressError } from '../connectors/common/networkReach';
import { operatorPolicyFromEnv } from '../connectors/common/operatorPolicy';
import { decryptSecret, requireSecretKey, secretKeyFrom } from '../connectors/secrets';
import type { WebhookInput } from '../workflows/lifecycleDefinitions';
import type { ActivityDeps } from '../engine/deps';
import { runForWebhook, runRecordOf } from '../store/runs';
import { deliveryAttempted, startDelivery, webhooksFor } from '../store/webhooks';
import { postWebhook } from './webhookPost';

export interface DeliveryResult {
  endpoints: number;
  delivered: number;
}

export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

const DELIVERY_TIMEOUT_MS = 10_000;

export function deliverWebhooksActivity(deps: ActivityDeps) {
  // Webhook URLs are an API key holder's: they reach only what the operator lets sources reach.
  const reach = networkReach(deps.policy ?? operatorPolicyFromEnv(), undefined, 'webhooks');
  return async function deliverWebhooks({ runId, event }: WebhookInput): Promise<DeliveryResult> {
    const row = await runForWebhook(deps.store, runId);
    if (!row) return { endpoints: 0, delivered: 0 }; // purged since
    const hooks = await webhooksFor(deps.store, event, row.import_id);
    if (hooks.length === 0) return { endpoints: 0, delivered: 0 };
    const key = requireSecretKey(deps.secretKey ?? secretKeyFrom());
    const failures: string[] = [];
    /** Failures the operator's policy decided: another attempt would be refused the same way. */
    const refused: string[] = [];
    let delivered = 0;
    for (const hook of hooks) {
      const deliveryId = `${hook.id}.${runId}.${event}`;
      if ((await startDelivery(deps.store, { id: deliveryId, webhookId: hook.id, runId, event })) === 'delivered') {
        delivered++;
        continue;
      }
      const body = JSON.stringify({
        id: deliveryId,
        event,
        occurredAt: (event === 'run.started' ? row.started_at : (row.ended_at ?? row.started_at)).toISOString(),
        import: { id: row.import_id, name: row.import_name },
        run: {
          ...runRecordOf(row),
          workflowId: row.workflow_id,
          startedAt: row.started_at.toISOString(),
          endedAt: row.ended_at?.toISOString() ?? null,
        },
      });
      let error: string | null = null;
      try {
        const status = await postWebhook(
          hook.url,
          {
            'content-type': 'application/json',
            'user-agent': 'tributary-webhooks/1',
            'x-tributary-event': event,
            'x-tributary-delivery': deliveryId,
            'x-tributary-signature': signBody(decryptSecret(key, hook.sealed_secret), body),
          },
          body,
          reach,
          DELIVERY_TIMEOUT_MS,
        );
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch (err) {
        error = (err as Error).message;
        if (err instanceof RefusedAddressError) refused.push(`${hook.id}: ${error}`);
      }
      await deliveryAttempted(deps.store, deliveryId, error);
      if (error) failures.push(`${hook.id}: ${error}`);
      else delivered++;
    }
    if (failures.length > 0 && refused.length === failures.length) {
      throw ApplicationFailure.create({
        type: 'RefusedAddressError',
        nonRetryable: true,
        message: `webhook delivery refused for ${refused.join('; ')}`,
      });
    }
    // Throwing hands the retry (with backoff) to Temporal; the delivered endpoints are skipped next time.
    if (failures.length > 0) throw new Error(`webhook delivery failed for ${failures.join('; ')}`);
    return { endpoints: hooks.length, delivered };
  };
}
