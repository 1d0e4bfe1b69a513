/**
 * Activities are built by a factory from their dependencies, so tests hand in real or fake parts.
 * Workflows import only the type of what this returns.
 */
import { type ActivityDeps } from './deps';
import { beginRunActivity } from './beginRun';
import { finishRunActivity } from './finishRun';
import { importBatchActivity } from './importBatch';
import { purgeImportActivity } from './purge';
import { deliverWebhooksActivity } from './webhooks';

export function createActivities(deps: ActivityDeps) {
  return {
    beginRun: beginRunActivity(deps),
    importBatch: importBatchActivity(deps),
    finishRun: finishRunActivity(deps),
    purgeImport: purgeImportActivity(deps),
    deliverWebhooks: deliverWebhooksActivity(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
export type { BeginRunInput, BeginRunResult, RunScope } from './beginRun';
export type { BatchResult, ImportBatchInput } from './importBatch';
export type { FinishRunInput, RunRecord, RunStatus } from './finishRun';
export type { PurgeImportInput, PurgeResult } from './purge';
export type { DeliveryResult } from './webhooks';
