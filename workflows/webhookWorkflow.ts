/**
 * webhookWorkflow: delivers one run event to every subscribed endpoint. It runs apart from the import
 * (started as an abandoned child), so a receiver that is down delays nobody's next run; the activity
 * retries with backoff for about a day and remembers which endpoints already have the event.
 */
import type { DeliveryResult } from '../activities';
import { proxyTributaryActivities } from './versionedNames';
import type { WebhookInput } from './lifecycleDefinitions';

const { deliverWebhooks } = proxyTributaryActivities({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30 minutes', maximumAttempts: 60 },
});

export async function webhookWorkflow(input: WebhookInput): Promise<DeliveryResult> {
  return deliverWebhooks(input);
}
