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
import { runRecordOf } from './finishRun';
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
    const runs = await deps.store.query(
      `SELECT r.*, i.spec #>> '{name}' AS import_name, r.started_at, r.ended_at
       FROM runs r LEFT JOIN imports i ON i.id = r.import_id WHERE r.id = $1`,
      [runId],
    );
    const row = runs.rows[0];
    if (!row) return { endpoints: 0, delivered: 0 }; // purged since
    const hooks = await deps.store.query(
      `SELECT id, url, sealed_secret FROM webhooks
       WHERE $1 = ANY(events) AND (import_id IS NULL OR import_id = $2) ORDER BY id`,
      [event, row.import_id],
    );
    if (hooks.rows.length === 0) return { endpoints: 0, delivered: 0 };
    const key = requireSecretKey(deps.secretKey ?? secretKeyFrom());
    const failures: string[] = [];
    /** Failures the operator's policy decided: another attempt would be refused the same way. */
    const refused: string[] = [];
    let delivered = 0;
    for (const hook of hooks.rows) {
      const deliveryId = `${hook.id}.${runId}.${event}`;
      const state = await deps.store.query(
        `INSERT INTO webhook_deliveries (id, webhook_id, run_id, event) VALUES ($1, $2, $3, $4)
         ON CONFLICT (webhook_id, run_id, event) DO UPDATE SET attempts = webhook_deliveries.attempts
         RETURNING status`,
        [deliveryId, hook.id, runId, event],
      );
      if (state.rows[0].status === 'delivered') {
        delivered++;
        continue;
      }
      const body = JSON.stringify({
        id: deliveryId,
        event,
        occurredAt: (event === 'run.started' ? row.started_at : (row.ended_at ?? row.started_at)).toISOString(),
        import: { id: row.import_id, name: row.import_name },
        run: { ...runRecordOf(row), workflowId: row.workflow_id, startedAt: row.started_at.toISOString(), endedAt: row.ended_at?.toISOString() ?? null },
      });
      let error: string | null = null;
      try {
        const status = await postWebhook(hook.url, {
          'content-type': 'application/json',
          'user-agent': 'tributary-webhooks/1',
          'x-tributary-event': event,
          'x-tributary-delivery': deliveryId,
          'x-tributary-signature': signBody(decryptSecret(key, hook.sealed_secret), body),
        }, body, reach, DELIVERY_TIMEOUT_MS);
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch (err) {
        error = (err as Error).message;
        if (err instanceof RefusedAddressError) refused.push(`${hook.id}: ${error}`);
      }
      await deps.store.query(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $2,
           status = CASE WHEN $2::text IS NULL THEN 'delivered' ELSE status END,
           delivered_at = CASE WHEN $2::text IS NULL THEN now() ELSE delivered_at END
         WHERE id = $1`,
        [deliveryId, error],
      );
      if (error) failures.push(`${hook.id}: ${error}`);
      else delivered++;
    }
    if (failures.length > 0 && refused.length === failures.length) {
      throw ApplicationFailure.create({ type: 'RefusedAddressError', nonRetryable: true, message: `webhook delivery refused for ${refused.join('; ')}` });
    }
    // Throwing hands the retry (with backoff) to Temporal; the delivered endpoints are skipped next time.
    if (failures.length > 0) throw new Error(`webhook delivery failed for ${failures.join('; ')}`);
    return { endpoints: hooks.rows.length, delivered };
  };
}
