/**
 * Activities are built by a factory from their dependencies, so tests hand in real or fake parts.
 * Workflows import only the type of what this returns.
 */
import { type ActivityDeps } from '../engine/deps';
import { backfillActivities } from './backfill';
import { beginRunActivity } from './beginRun';
import { finishRunActivity } from './finishRun';
import { recordFailedStartActivity } from './failedStart';
import { importBatchActivity } from './importBatch';
import { purgeImportActivity } from './purge';
import { deliverWebhooksActivity } from './webhooks';
import { listDropFolderActivity } from './dropFolder';
import { classified } from './failures';
import { operatorPolicyFromEnv } from '../connectors/common/operatorPolicy';
import { retryOnceIfOwnTermination } from '../engine/ownTermination';

/** Run once more at once when a custom query's connection was terminated (ownTermination.ts). */
const ownTerminationChecked = <F extends (...args: never[]) => Promise<unknown>>(fn: F): F =>
  ((...args: Parameters<F>) => retryOnceIfOwnTermination(() => fn(...args))) as F;

export function createActivities(deps: ActivityDeps) {
  const backfill = backfillActivities(deps);
  // The import's own activities classify their failures (see failures.ts): an unknown one fails the run
  // after a bounded number of attempts. Purges and webhook deliveries keep their own retry policies.
  // The operator's budget for unknown failures, read once with the rest of the policy.
  const budget = (deps.policy ?? operatorPolicyFromEnv()).unknownErrorAttempts;
  const guarded = <F extends (...args: never[]) => Promise<unknown>>(fn: F): F =>
    classified(ownTerminationChecked(fn), budget) as F;
  return {
    beginRun: guarded(beginRunActivity(deps)),
    importBatch: guarded(importBatchActivity(deps)),
    finishRun: guarded(finishRunActivity(deps)),
    recordFailedStart: guarded(recordFailedStartActivity(deps)),
    purgeImport: ownTerminationChecked(purgeImportActivity(deps)),
    deliverWebhooks: deliverWebhooksActivity(deps),
    ...(Object.fromEntries(
      Object.entries(backfill).map(([name, fn]) => [name, guarded(fn as (...a: never[]) => Promise<unknown>)]),
    ) as typeof backfill),
    listDropFolder: guarded(listDropFolderActivity(deps)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export { registeredActivities } from './registration';
export type { ActivityDeps } from '../engine/deps';
export type { BeginRunInput, BeginRunResult, RunScope } from './beginRun';
export type { BatchResult, ImportBatchInput } from './importBatch';
export type { FinishRunInput, RunRecord, RunStatus } from './finishRun';
export type { FailedStart, RecordFailedStartInput } from './failedStart';
export type { PurgeImportInput, PurgeResult } from './purge';
export type { BackfillPlan, PlanBackfillInput, PlannedBackfillPartition } from './backfill';
export type { BackfillStatus, BackfillTotals } from '../store/backfills';
export type { DeliveryResult } from './webhooks';
export type { DropFolderListing, ListDropFolderInput, ReadyFile } from './dropFolder';
