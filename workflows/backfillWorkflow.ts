/**
 * backfillWorkflow: loads a stretch of an import's history as partitions, each an importWorkflow child over
 * its own position stream (so each is exactly once on its own), run through a sliding window of bounded
 * concurrency. The shape follows Temporal's batch-sliding-window sample: children are started abandoned and
 * report their end by a signal to this workflow's id, so the workflow can continue as new while children
 * run, carrying the set it waits for. A throttle (rows per second, partitions at once), pause, resume and
 * cancel act on the whole backfill: the workflow passes them on to the running partitions.
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
  setCurrentDetails,
  setHandler,
  startChild,
  allHandlersFinished,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { BackfillPlan, BackfillStatus, BackfillTotals, PlannedBackfillPartition, RunScope } from '../activities';
import { childWorkflowType, proxyTributaryActivities } from './versionedNames';
import { type ImportSpec, InvalidSpecError, parseImportSpec } from '../domain/importSpec';
import { SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { backfillCurrentDetails, importMetadata } from './userMetadata';
import {
  type BackfillCarry,
  type BackfillInput,
  type BackfillProgress,
  backfillProgressQuery,
  partitionStreamPrefix,
  partitionWorkflowId,
  setThrottleUpdate,
} from './backfillDefinitions';
import {
  type PartitionDone,
  partitionDoneSignal,
  pauseSignal,
  resumeSignal,
  type RunControl,
  type ThrottleChange,
  throttleProblem,
  throttleSignal,
} from './definitions';
import { ACTIVITY_RETRY } from './activityRetry';

/** Planning counts and ranks the source's rows: it heartbeats, so a dead worker is noticed in seconds. */
const planning = proxyTributaryActivities({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '15 seconds',
  retry: ACTIVITY_RETRY,
});
const bookkeeping = proxyTributaryActivities({ startToCloseTimeout: '30 seconds', retry: ACTIVITY_RETRY });

/** How often the committed counts are read for progress, rate and time left. */
const POLL_MS = 5_000;
/** Rate is measured over about this much time. */
const RATE_WINDOW_MS = 60_000;
const DEFAULT_PARTITIONS_PER_EXECUTION = 100;
/** Continue as new past this many history events, whatever the server suggests. */
const MAX_HISTORY_EVENTS = 5_000;
/**
 * Rows per batch of a partition at most. Partitions running side by side write the same users' identifiers
 * and dedup keys; each batch holds its new keys locked until it commits, so large batches of concurrent
 * partitions deadlock each other (Postgres then rolls one back, and the whole batch is read again). Small
 * batches hold few keys for a short time. Measured with the bench (events, 1M rows, 4 at a time): 23
 * deadlocks and no batch committed in 160 s at 125,000 rows per batch.
 */
const PARTITION_BATCH_ROWS = 20_000;

export interface BackfillResult {
  importId: string;
  backfillId: string;
  status: BackfillStatus;
  partitions: number;
  rowsRead: number;
  skippedRows: number;
}

/**
 * Started with one input object; `input.carry` is set only by the workflow itself when it continues as new.
 * Executions continued as new before the carry moved into the input have it as a second argument.
 */
export function backfillWorkflow(input: BackfillInput): Promise<BackfillResult>;
export async function backfillWorkflow(
  input: BackfillInput,
  legacyCarry?: BackfillCarry | null,
): Promise<BackfillResult> {
  const carry = input.carry ?? legacyCarry ?? null;
  let spec: ImportSpec;
  try {
    spec = parseImportSpec(input.spec);
  } catch (err) {
    if (err instanceof InvalidSpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
    throw err;
  }
  const problem = throttleProblem(input.throttle);
  if (problem) throw ApplicationFailure.nonRetryable(`throttle: ${problem}`, 'InvalidThrottle');
  const me = workflowInfo().workflowId;
  let next = carry?.next ?? 0;
  const running = new Set<number>(carry?.running ?? []);
  const done = new Map<number, PartitionDone>((carry?.done ?? []).map((d) => [d.partition, d]));
  // (time, rows read) samples of the committed counts, for the rate.
  let samples: [number, number][] = carry?.samples ?? [];
  const progress: BackfillProgress = {
    importId: spec.id,
    backfillId: input.backfillId,
    stage: 'planning',
    paused: carry?.paused ?? false,
    throttle: carry?.throttle ?? { ...input.throttle },
    partitions: 0,
    partitionsDone: done.size,
    partitionsRunning: [...running],
    partitionsFailed: [],
    plannedRows: 0,
    rowsRead: samples.at(-1)?.[1] ?? 0,
    rowsPerSecond: 0,
    etaSeconds: null,
    skippedRows: 0,
  };
  let plan: BackfillPlan | null = null;
  // The rate each running partition is given: the backfill's rate over the partitions that can run now.
  const share = (): number | null => {
    const r = progress.throttle.rowsPerSecond;
    if (!r) return null;
    const remaining = progress.partitions - done.size;
    return Math.max(1, r / Math.max(1, Math.min(progress.throttle.concurrency, remaining)));
  };
  let sharedRate: number | null = share();
  let wake = 0;

  const refresh = () => {
    progress.partitionsDone = done.size;
    progress.partitionsRunning = [...running].sort((a, b) => a - b);
    progress.partitionsFailed = [...done.values()]
      .filter((d) => d.status === 'failed' || d.status === 'cancelled')
      .map((d) => d.partition)
      .sort((a, b) => a - b);
    if (progress.stage === 'running' || progress.stage === 'paused')
      progress.stage = progress.paused ? 'paused' : 'running';
    const first = samples.find(([t]) => t >= (samples.at(-1)?.[0] ?? 0) - RATE_WINDOW_MS) ?? samples[0];
    const last = samples.at(-1);
    progress.rowsPerSecond =
      first && last && last[0] > first[0] ? ((last[1] - first[1]) * 1000) / (last[0] - first[0]) : 0;
    const left = Math.max(0, progress.plannedRows - progress.rowsRead);
    progress.etaSeconds =
      left === 0
        ? 0
        : progress.rowsPerSecond > 0 && !progress.paused
          ? Math.round(left / progress.rowsPerSecond)
          : null;
    setCurrentDetails(backfillCurrentDetails(progress));
  };

  /** Signal every running partition (a partition that has just ended is no longer listening: fine). */
  const tellRunning = async (send: (id: string) => Promise<void>): Promise<void> => {
    await Promise.all(
      [...running].map(async (n) => {
        try {
          await send(partitionWorkflowId(spec.id, input.backfillId, n));
        } catch (err) {
          log.info('partition not signalled', {
            partition: n,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }),
    );
  };
  // Pending hand-overs to the partitions, sent from the main loop (handlers only record the wish).
  let pendingPause: boolean | null = null;
  const applyThrottle = (change: ThrottleChange) => {
    if (change.rowsPerSecond !== undefined) progress.throttle.rowsPerSecond = change.rowsPerSecond;
    if (change.concurrency !== undefined) progress.throttle.concurrency = change.concurrency;
    wake++;
    refresh();
  };

  setHandler(backfillProgressQuery, () => progress, {
    description: 'Progress: partitions done of total, running partitions, rows, rate, time left, throttle',
  });
  setHandler(
    pauseSignal,
    () => {
      progress.paused = true;
      pendingPause = true;
      wake++;
      refresh();
    },
    {
      description: 'Pause the whole backfill: running partitions stop at their next batch boundary, none starts',
    },
  );
  setHandler(
    resumeSignal,
    () => {
      progress.paused = false;
      pendingPause = false;
      wake++;
      refresh();
    },
    {
      description: 'Resume the whole backfill from the committed positions',
    },
  );
  setHandler(
    throttleSignal,
    (change) => {
      const bad = throttleProblem(change);
      if (bad) {
        log.warn('throttle signal ignored', { problem: bad });
        return;
      }
      applyThrottle(change);
    },
    {
      description:
        'Change the throttle: {"rowsPerSecond": 5000, "concurrency": 2}; {"rowsPerSecond": null} lifts the rate limit',
    },
  );
  setHandler(
    setThrottleUpdate,
    (change) => {
      applyThrottle(change);
      return { ...progress.throttle };
    },
    {
      validator: (change) => {
        const bad = throttleProblem(change);
        if (bad) throw new Error(bad);
      },
      description: 'Change the throttle and return the new one: {"rowsPerSecond": 5000, "concurrency": 2}',
    },
  );
  setHandler(
    partitionDoneSignal,
    (d) => {
      if (done.has(d.partition)) return;
      done.set(d.partition, d);
      running.delete(d.partition);
      wake++;
      refresh();
    },
    { description: 'Sent by a partition when its run ends' },
  );

  try {
    plan = await planning.planBackfill({
      spec,
      backfillId: input.backfillId,
      workflowId: me,
      from: input.from,
      to: input.to,
      partitions: input.partitions,
      streamPrefix: partitionStreamPrefix(input.backfillId),
    });
    progress.partitions = plan.partitions.length;
    progress.plannedRows = plan.totalRows;
    progress.skippedRows = plan.skippedRows;
    progress.stage = progress.paused ? 'paused' : 'running';
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.importId, value: spec.id },
      { key: SEARCH_ATTRIBUTES.dataType, value: spec.dataType },
      { key: SEARCH_ATTRIBUTES.sourceKind, value: plan.sourceKind },
      { key: SEARCH_ATTRIBUTES.backfillId, value: input.backfillId },
    ]);
    refresh();

    const poll = async () => {
      const totals: BackfillTotals = await bookkeeping.backfillTotals({
        importId: spec.id,
        backfillId: input.backfillId,
      });
      progress.rowsRead = totals.rowsRead;
      samples.push([Date.now(), totals.rowsRead]);
      samples = samples.filter(([t]) => t >= Date.now() - 2 * RATE_WINDOW_MS);
      refresh();
    };

    let startedHere = 0;
    const perExecution = input.partitionsPerExecution ?? DEFAULT_PARTITIONS_PER_EXECUTION;
    while (done.size < plan.partitions.length) {
      if (pendingPause !== null) {
        const pause = pendingPause;
        pendingPause = null;
        await tellRunning((id) => getExternalWorkflowHandle(id).signal(pause ? pauseSignal : resumeSignal));
      }
      const rate = share();
      if (rate !== sharedRate) {
        sharedRate = rate;
        await tellRunning((id) => getExternalWorkflowHandle(id).signal(throttleSignal, { rowsPerSecond: rate }));
      }
      if (!progress.paused && next < plan.partitions.length && running.size < progress.throttle.concurrency) {
        // Counted as running before the start is sent, so a cancel that lands meanwhile reaches it too.
        running.add(next);
        await startPartition(plan.partitions[next]!, rate);
        next++;
        startedHere++;
        refresh();
        continue;
      }
      if (
        startedHere >= perExecution ||
        workflowInfo().continueAsNewSuggested ||
        workflowInfo().historyLength > MAX_HISTORY_EVENTS
      ) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof backfillWorkflow>({
          ...input,
          carry: {
            next,
            running: [...running],
            done: [...done.values()],
            paused: progress.paused,
            throttle: progress.throttle,
            samples,
          },
        });
      }
      const seen = wake;
      if (!(await condition(() => wake !== seen || pendingPause !== null, POLL_MS))) await poll();
    }
    await poll();
    progress.stage = 'finishing';
    const status = await bookkeeping.finishBackfill({
      importId: spec.id,
      backfillId: input.backfillId,
      outcome: 'completed',
    });
    progress.stage = status === 'running' ? 'failed' : status;
    refresh();
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.outcome, value: status }]);
    return {
      importId: spec.id,
      backfillId: input.backfillId,
      status,
      partitions: plan.partitions.length,
      rowsRead: progress.rowsRead,
      skippedRows: plan.skippedRows,
    };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const cancelled = isCancellation(err);
    await CancellationScope.nonCancellable(async () => {
      if (cancelled) {
        // Cancel the running partitions and wait (bounded) until they have recorded their end.
        progress.stage = 'cancelling';
        refresh();
        await Promise.all(
          [...running].map(async (n) => {
            try {
              await getExternalWorkflowHandle(partitionWorkflowId(spec.id, input.backfillId, n)).cancel();
            } catch {
              // Not running (never started, or terminated by hand): nothing will report; stop waiting for it.
              running.delete(n);
            }
          }),
        );
        await condition(() => running.size === 0, '2 minutes');
      }
      if (plan)
        await bookkeeping.finishBackfill({
          importId: spec.id,
          backfillId: input.backfillId,
          outcome: cancelled ? 'cancelled' : 'failed',
        });
      progress.stage = cancelled ? 'cancelled' : 'failed';
      refresh();
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.outcome, value: cancelled ? 'cancelled' : 'failed' }]);
    });
    throw err;
  }

  /** Start partition p as an abandoned child; one already started (a retried start) is left running. */
  async function startPartition(p: PlannedBackfillPartition, rate: number | null): Promise<void> {
    const scope: RunScope = { stream: p.stream, after: p.after, upperBound: p.upperBound };
    const control: RunControl = {
      rowsPerSecond: rate,
      reportTo: { workflowId: me, partition: p.n },
      maxBatchRows: PARTITION_BATCH_ROWS,
      ...(input.batchesPerExecution ? { batchesPerExecution: input.batchesPerExecution } : {}),
    };
    const range = `(${p.after ? `${p.after.cursor} / ${p.after.key}` : 'start'}, ${p.upperBound}], ${p.rows.toLocaleString('en-US')} rows planned`;
    try {
      const child = await startChild(childWorkflowType('import'), {
        workflowId: partitionWorkflowId(spec.id, input.backfillId, p.n),
        args: [{ spec: input.spec, scope, control }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.importId, value: spec.id },
          { key: SEARCH_ATTRIBUTES.dataType, value: spec.dataType },
          { key: SEARCH_ATTRIBUTES.backfillId, value: input.backfillId },
        ],
        ...importMetadata(spec, {
          label: `backfill ${input.backfillId} partition ${p.n + 1}/${plan!.partitions.length}`,
          range,
        }),
      });
      // A pause or throttle change that landed while the start was under way.
      if (progress.paused) await child.signal(pauseSignal);
      const current = share();
      if (current !== rate) await child.signal(throttleSignal, { rowsPerSecond: current });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        running.delete(p.n);
        throw err;
      }
      log.info('partition already started', { partition: p.n });
    }
  }
}
