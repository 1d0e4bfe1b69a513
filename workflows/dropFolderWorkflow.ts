/**
 * dropFolderWorkflow: watches a drop folder. Each pass lists it (an activity), and for every data file
 * that is new or changed and whose manifest has arrived, runs one child importWorkflow over that file
 * alone: its own spec (the manifest's mapping), its own position stream `file:<identity>`, the listed
 * version pinned. The child's run closing records the file's identity in the store in the same
 * transaction (migration 030), so an unchanged file is never imported again and a changed one is; and
 * because each file has its own committed position, a retried or restarted child resumes mid-file.
 */
import { ApplicationFailure, continueAsNew, executeChild, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { RunRecord } from '../activities';
import { childWorkflowType, proxyTributaryActivities } from './versionedNames';
import {
  type DropFolderInput,
  type DropFolderSummary,
  dropFolderQuery,
  fileImportWorkflowId,
  fileStream,
} from './dropFolderDefinitions';
import type { importWorkflow } from './importWorkflow';
import { ACTIVITY_RETRY } from './activityRetry';

/** Listing hashes new files (streamed): it heartbeats, so a dead worker is noticed in seconds. */
const listing = proxyTributaryActivities({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: ACTIVITY_RETRY,
});

const PASSES_PER_EXECUTION = 100;

/**
 * Started with one input object; `input.carry` is set only by the workflow itself when it continues as new.
 * Executions continued as new before the carry moved into the input have it as a second argument.
 */
export function dropFolderWorkflow(input: DropFolderInput): Promise<DropFolderSummary>;
export async function dropFolderWorkflow(
  input: DropFolderInput,
  legacyCarry?: DropFolderSummary,
): Promise<DropFolderSummary> {
  const summary: DropFolderSummary = input.carry ??
    legacyCarry ?? { passes: 0, imported: [], waiting: [], invalid: [], alreadyImported: [] };
  setHandler(dropFolderQuery, () => summary, {
    description: 'Files imported, waiting for a manifest, invalid, already imported',
  });
  const importId = (input.spec as { id?: string }).id;
  if (!importId) throw ApplicationFailure.nonRetryable('the drop folder spec has no id', 'InvalidSpec');
  for (let pass = 0; ; pass++) {
    const list = await listing.listDropFolder({ spec: input.spec });
    summary.passes++;
    summary.waiting = list.waiting;
    summary.invalid = list.invalid;
    summary.alreadyImported = list.alreadyImported;
    for (const file of list.ready) {
      try {
        const run = await executeChild<typeof importWorkflow>(childWorkflowType('import'), {
          workflowId: fileImportWorkflowId(importId, file.identity),
          args: [{ spec: file.spec, scope: { stream: fileStream(file.identity), after: null, upperBound: file.pin } }],
        });
        summary.imported.push(outcome(file.path, file.identity, run));
      } catch (err) {
        // The child's run is recorded as failed (so this version of the file is not retried); others go on.
        const cause = (err as { cause?: { message?: string } }).cause;
        summary.imported.push({
          path: file.path,
          identity: file.identity,
          status: 'failed',
          runId: null,
          rowsRead: 0,
          rejected: 0,
          error: cause?.message ?? String(err),
        });
      }
      // Keep the summary small in long-running watchers.
      if (summary.imported.length > 200) summary.imported.splice(0, summary.imported.length - 200);
    }
    if (input.pollSeconds === undefined) return summary;
    if (pass + 1 >= PASSES_PER_EXECUTION || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof dropFolderWorkflow>({ ...input, carry: summary });
    }
    await sleep(input.pollSeconds * 1000);
  }
}

function outcome(path: string, identity: string, run: RunRecord) {
  return {
    path,
    identity,
    status: run.status,
    runId: run.runId,
    rowsRead: run.rowsRead,
    rejected: run.rejected,
    error: run.error,
  };
}
