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
import { retryOnceIfOwnTermination } from './ownTermination';

/** Every activity, run once more at once when a custom query's connection was terminated (ownTermination.ts). */
function tellOwnTermination<A extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: A): A {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [
    name,
    (...args: never[]) => retryOnceIfOwnTermination(() => fn(...args)),
  ])) as A;
}

export function createActivities(deps: ActivityDeps) {
  return tellOwnTermination({
    beginRun: beginRunActivity(deps),
    importBatch: importBatchActivity(deps),
    finishRun: finishRunActivity(deps),
    purgeImport: purgeImportActivity(deps),
    deliverWebhooks: deliverWebhooksActivity(deps),
    ...backfillActivities(deps),
    listDropFolder: listDropFolderActivity(deps),
  });
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
