/**
 * Activities are built by a factory from their dependencies, so tests hand in real or fake parts.
 * Workflows import only the type of what this returns.
 */
import { type ActivityDeps } from './deps';
import { backfillActivities } from './backfill';
import { beginRunActivity } from './beginRun';
import { finishRunActivity } from './finishRun';
import { importBatchActivity } from './importBatch';
import { purgeImportActivity } from './purge';
import { deliverWebhooksActivity } from './webhooks';
import { listDropFolderActivity } from './dropFolder';
import { classified } from './failures';

export function createActivities(deps: ActivityDeps) {
  const backfill = backfillActivities(deps);
  return {
    // The import's own activities classify their failures (see failures.ts): an unknown one fails the run
    // after a bounded number of attempts. Purges and webhook deliveries keep their own retry policies.
    beginRun: classified(beginRunActivity(deps)),
    importBatch: classified(importBatchActivity(deps)),
    finishRun: classified(finishRunActivity(deps)),
    purgeImport: purgeImportActivity(deps),
    deliverWebhooks: deliverWebhooksActivity(deps),
    ...(Object.fromEntries(Object.entries(backfill).map(([name, fn]) => [name, classified(fn as (...a: unknown[]) => Promise<unknown>)])) as typeof backfill),
    listDropFolder: classified(listDropFolderActivity(deps)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
export type { BeginRunInput, BeginRunResult, RunScope } from './beginRun';
export type { BatchResult, ImportBatchInput } from './importBatch';
export type { FinishRunInput, RunRecord, RunStatus } from './finishRun';
export type { PurgeImportInput, PurgeResult } from './purge';
export type { BackfillPlan, PlanBackfillInput, PlannedBackfillPartition } from './backfill';
export type { BackfillStatus, BackfillTotals } from '../connectors/store/backfills';
export type { DeliveryResult } from './webhooks';
export type { DropFolderListing, ListDropFolderInput, ReadyFile } from './dropFolder';
