/**
 * purgeWorkflow: removes a deleted import's data after its retention period. A durable timer holds the
 * wait, so a purge 30 days out survives worker and server restarts; the purgeNow signal cuts it short.
 */
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PurgeResult } from '../activities';
import { proxyTributaryActivities } from './versionedNames';
import { type PurgeInput, purgeNowSignal } from './lifecycleDefinitions';

const { purgeImport } = proxyTributaryActivities({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function purgeWorkflow({ importId, purgeAt }: PurgeInput): Promise<PurgeResult> {
  let now = false;
  setHandler(
    purgeNowSignal,
    () => {
      now = true;
    },
    { description: 'Purge at once instead of waiting for the retention period' },
  );
  const wait = Date.parse(purgeAt) - Date.now(); // workflow time: deterministic on replay
  if (wait > 0) await condition(() => now, wait);
  return purgeImport({ importId, workflowId: workflowInfo().workflowId });
}
