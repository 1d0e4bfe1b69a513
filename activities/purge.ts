/**
 * purgeImport: removes a deleted import's data, runs and position in one transaction
 * (store/purge.ts). Only imports marked deleted are purged, so a late or repeated purge can never remove
 * a live import's data; a second purge finds nothing and reports zeros. Persons its identity links joined
 * are split again (store/personSplit.ts) in the same transaction, so a retry after a failure starts over
 * from the untouched store.
 */
import { Context } from '@temporalio/activity';
import type { SplitCounts } from '../store/personSplit';
import { purgeDeletedImport, purgeSteps } from '../store/purge';
import { dataTypeList } from '../dataTypes';
import type { ActivityDeps } from '../engine/deps';

export interface PurgeImportInput {
  importId: string;
  workflowId?: string;
}

export interface PurgeResult {
  importId: string;
  purged: boolean;
  /** Rows removed per table. */
  removed: Record<string, number>;
  /** Persons that fell apart once the import's identity links were gone. */
  split: SplitCounts;
}

const STEPS = purgeSteps(dataTypeList);

export function purgeImportActivity(deps: ActivityDeps) {
  return async function purgeImport({ importId }: PurgeImportInput): Promise<PurgeResult> {
    const result = await purgeDeletedImport(deps.store, importId, STEPS, (table) => {
      try {
        Context.current().heartbeat(table);
      } catch {
        // called directly, outside an activity
      }
    });
    return { importId, ...result };
  };
}
