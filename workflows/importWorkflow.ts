/**
 * importWorkflow({ spec }): one run of an import. Fixes the run's upper bound, loops over batches until
 * caught up, and records the outcome. Rows never cross Temporal: only ids, positions and counts do.
 * Long runs continue-as-new, carrying the run id and upper bound, so history stays small.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  ContinueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  setHandler,
  startChild,
  allHandlersFinished,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BeginRunInput, RunRecord } from '../activities';
import { childWorkflowType, proxyTributaryActivities } from './versionedNames';
import { type ImportSpec, InvalidSpecError, parseImportSpec } from '../domain/importSpec';
import { loadedRows } from '../domain/runCounters';
import { importInputOf, type ImportWorkflowInput } from './importInput';
import {
  type ImportProgress,
  type PartitionDone,
  partitionDoneSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  type RunControl,
  throttledBatchRows,
  throttleProblem,
  throttleSignal,
} from './definitions';
import { SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { importCurrentDetails } from './userMetadata';
import { type WebhookEvent, webhookWorkflowId } from './lifecycleDefinitions';
import { ACTIVITY_RETRY } from './activityRetry';

/**
 * Setting up a run reads the source's metadata and counts NULL cursors, which can take long on a big
 * table: it heartbeats, so a worker killed meanwhile is noticed in seconds, not at a long timeout.
 */
const setup = proxyTributaryActivities({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '15 seconds',
  retry: ACTIVITY_RETRY,
});

/** Short bookkeeping against the store. */
const bookkeeping = proxyTributaryActivities({ startToCloseTimeout: '30 seconds', retry: ACTIVITY_RETRY });

/** One streamed batch: heartbeats carry progress, so a dead worker is noticed in seconds. */
const batches = proxyTributaryActivities({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '15 seconds',
  retry: ACTIVITY_RETRY,
});

/** Batches per workflow execution before continuing as new, whatever the server suggests. */
const MAX_BATCHES_PER_EXECUTION = 500;

/**
 * `scope` runs the import over its own position stream (a backfill partition, one file of a drop folder);
 * without it the run is the incremental import (stream ''). `control` steers it: a throttle, its history
 * budget, and for a backfill partition the backfill to report to when it ends. Started with one input
 * object; the positional arguments of runs started before that are read by importInputOf.
 */
export function importWorkflow(input: ImportWorkflowInput): Promise<RunRecord>;
export async function importWorkflow(...args: unknown[]): Promise<RunRecord> {
  const { spec: specInput, carry, scope, control } = importInputOf(args);
  let spec: ImportSpec;
  try {
    spec = parseImportSpec(specInput);
  } catch (err) {
    // A bad spec never gets better by retrying: fail the workflow at once, naming every field.
    if (err instanceof InvalidSpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
    throw err;
  }
  const progress: ImportProgress = {
    importId: spec.id,
    runId: carry?.runId ?? null,
    stage: 'starting',
    paused: carry?.paused ?? false,
    rowsRead: 0,
    rowsLoaded: 0,
    rejected: 0,
    batches: 0,
    position: null,
    upperBound: carry?.upperBound ?? null,
    nullCursorRows: carry?.nullCursorRows ?? 0,
    rowsPerSecond: control?.rowsPerSecond ?? null,
  };
  // Bumped by every pause, resume or throttle change, so a throttle's wait ends early to take it up.
  let steered = 0;
  const showDetails = () => setCurrentDetails(importCurrentDetails(progress));
  setHandler(progressQuery, () => progress, {
    description: 'Progress of this run: stage, rows read and loaded, position, throttle',
  });
  setHandler(
    pauseSignal,
    () => {
      progress.paused = true;
      steered++;
      showDetails();
    },
    {
      description: 'Pause at the next batch boundary (the committed position holds until resume)',
    },
  );
  setHandler(
    resumeSignal,
    () => {
      progress.paused = false;
      steered++;
      showDetails();
    },
    {
      description: 'Resume from the committed position',
    },
  );
  setHandler(
    throttleSignal,
    (change) => {
      const problem = throttleProblem(change);
      if (problem) {
        log.warn('throttle signal ignored', { problem });
        return;
      }
      if (change.rowsPerSecond !== undefined) progress.rowsPerSecond = change.rowsPerSecond;
      steered++;
      showDetails();
    },
    { description: 'Change the throttle between batches: {"rowsPerSecond": 500}; {"rowsPerSecond": null} lifts it' },
  );
  const batchesPerExecution = control?.batchesPerExecution ?? MAX_BATCHES_PER_EXECUTION;
  // Findable from its first moment, however it was started (a plain `temporal workflow start` gives none).
  if (patched(FAILED_START_PATCH)) {
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.importId, value: spec.id },
      { key: SEARCH_ATTRIBUTES.dataType, value: spec.dataType },
      ...(carry?.sourceKind ? [{ key: SEARCH_ATTRIBUTES.sourceKind, value: carry.sourceKind }] : []),
    ]);
  }

  let runId = carry?.runId;
  try {
    let sourceKind = carry?.sourceKind;
    if (runId === undefined) {
      const begin = {
        spec,
        workflowId: workflowInfo().workflowId,
        workflowRunId: workflowInfo().firstExecutionRunId,
        ...(scope ? { scope } : {}),
      };
      const begun = await setup.beginRun(begin).catch(async (err: unknown) => {
        // Recorded as a run all the same, so the catch below ends it as it ends any run.
        runId = await recordFailedStart(begin, err);
        throw err;
      });
      runId = begun.runId;
      sourceKind = begun.sourceKind;
      progress.runId = begun.runId;
      progress.upperBound = begun.upperBound;
      progress.nullCursorRows = begun.nullCursorRows;
      await announce(spec.id, begun.runId, 'run.started');
    }
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.importId, value: spec.id },
      { key: SEARCH_ATTRIBUTES.dataType, value: spec.dataType },
      { key: SEARCH_ATTRIBUTES.sourceKind, value: sourceKind ?? 'unknown' },
    ]);

    let executionBatches = 0;
    showDetails();
    while (progress.upperBound !== null) {
      if (progress.paused) {
        progress.stage = 'paused';
        showDetails();
        await condition(() => !progress.paused);
      }
      progress.stage = 'importing';
      const startedAt = Date.now();
      const maxRows = Math.min(
        throttledBatchRows(progress.rowsPerSecond, spec.batchSize),
        control?.maxBatchRows ?? spec.batchSize,
      );
      const result = await batches.importBatch({
        importId: spec.id,
        runId,
        upperBound: progress.upperBound,
        ...(maxRows < spec.batchSize ? { maxRows } : {}),
      });
      executionBatches++;
      applyRun(progress, result.run);
      if (result.position) progress.position = result.position.cursor;
      showDetails();
      if (result.done) break;
      // The throttle holds between batches: a batch of n rows takes at least n / rate seconds. The wait
      // ends early on a pause, resume or throttle change, and is then measured again.
      for (;;) {
        const rate = progress.rowsPerSecond;
        const wait = rate ? startedAt + (result.rows / rate) * 1000 - Date.now() : 0;
        if (wait <= 0 || progress.paused) break;
        const seen = steered;
        if (!(await condition(() => steered !== seen, Math.ceil(wait)))) break;
      }
      if (executionBatches >= batchesPerExecution || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof importWorkflow>({
          spec: specInput,
          carry: {
            runId,
            upperBound: progress.upperBound,
            nullCursorRows: progress.nullCursorRows,
            paused: progress.paused,
            sourceKind: sourceKind ?? 'unknown',
          },
          scope,
          control: control
            ? { ...control, rowsPerSecond: progress.rowsPerSecond }
            : progress.rowsPerSecond
              ? { rowsPerSecond: progress.rowsPerSecond }
              : null,
        });
      }
    }
    progress.stage = 'finishing';
    const record = await bookkeeping.finishRun({ runId, outcome: 'completed' });
    applyRun(progress, record);
    progress.stage = 'completed';
    showDetails();
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.outcome, value: record.status }]);
    if (record.status === 'succeeded' || record.status === 'partially_succeeded' || record.status === 'failed') {
      await announce(spec.id, runId, `run.${record.status}`);
    }
    await report(control, record.status === 'running' ? 'failed' : record.status, record.rowsRead);
    return record;
  } catch (err) {
    if (runId !== undefined && !(err instanceof ContinueAsNew)) {
      const cancelled = isCancellation(err);
      progress.stage = cancelled ? 'cancelled' : 'failed';
      const message = failureMessage(err);
      // Record the outcome even when the workflow itself is being cancelled.
      await CancellationScope.nonCancellable(() =>
        bookkeeping.finishRun({ runId: runId!, outcome: cancelled ? 'cancelled' : 'failed', error: message }),
      );
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.outcome, value: cancelled ? 'cancelled' : 'failed' }]);
      showDetails();
      if (!cancelled) await announce(spec.id, runId, 'run.failed');
      log.warn('import run ended without success', { importId: spec.id, runId, error: message });
      await CancellationScope.nonCancellable(() =>
        report(control, cancelled ? 'cancelled' : 'failed', progress.rowsRead),
      );
    } else if (!(err instanceof ContinueAsNew)) {
      // Ended before its run began (a configuration error): a backfill still hears of it.
      await CancellationScope.nonCancellable(() => report(control, isCancellation(err) ? 'cancelled' : 'failed', 0));
    }
    throw err;
  }
}

/** Versions the search attributes set at the start and the record of a run that failed before it began. */
const FAILED_START_PATCH = 'tributary-failed-start-v1';

/** What a failure says: an activity's own error rather than Temporal's wrapper around it. */
const failureMessage = (err: unknown): string =>
  err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);

/**
 * A run whose beginRun failed is recorded as ended, with its error and without a position, so it is listed,
 * found by its outcome and announced like a run that fails later. Returns its run id, or undefined when it
 * could not be recorded (the workflow still fails with beginRun's error) or the history predates this.
 */
async function recordFailedStart(begin: BeginRunInput, err: unknown): Promise<number | undefined> {
  if (!patched(FAILED_START_PATCH)) return undefined;
  try {
    const recorded = await CancellationScope.nonCancellable(() =>
      bookkeeping.recordFailedStart({
        ...begin,
        outcome: isCancellation(err) ? 'cancelled' : 'failed',
        error: failureMessage(err),
      }),
    );
    if (recorded.sourceKind)
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.sourceKind, value: recorded.sourceKind }]);
    return recorded.runId;
  } catch (recordErr) {
    log.warn('run that failed to begin not recorded', { importId: begin.spec.id, error: failureMessage(recordErr) });
    return undefined;
  }
}

/**
 * Hand a run event to webhookWorkflow and move on: the child is abandoned, so a slow or failing receiver
 * never holds up this run or the next. Versioned, so histories recorded before webhooks still replay.
 */
async function announce(importId: string, runId: number, event: WebhookEvent): Promise<void> {
  if (!patched('tributary-webhooks-v1')) return;
  try {
    // Non-cancellable: a stop that lands just as a run ends must not swallow the run's last event.
    await CancellationScope.nonCancellable(() =>
      startChild(childWorkflowType('webhook'), {
        workflowId: webhookWorkflowId(importId, runId, event),
        args: [{ runId, event }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      }),
    );
  } catch (err) {
    // Already started by an earlier attempt of this run: nothing to do. A webhook never fails an import.
    log.warn('webhook event not handed over', {
      runId,
      event,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/**
 * A backfill partition tells its backfill it has ended, by workflow id so the signal reaches the backfill's
 * latest run after it continued as new. A backfill that has ended meanwhile no longer listens: fine.
 */
async function report(
  control: RunControl | null | undefined,
  status: PartitionDone['status'],
  rowsRead: number,
): Promise<void> {
  if (!control?.reportTo) return;
  try {
    await getExternalWorkflowHandle(control.reportTo.workflowId).signal(partitionDoneSignal, {
      partition: control.reportTo.partition,
      status,
      rowsRead,
    });
  } catch (err) {
    log.warn('backfill not told of the partition end', { error: err instanceof Error ? err.message : String(err) });
  }
}

function applyRun(progress: ImportProgress, run: RunRecord): void {
  progress.rowsRead = run.rowsRead;
  progress.rowsLoaded = loadedRows(run);
  progress.rejected = run.rejected;
  progress.batches = run.batches;
}
