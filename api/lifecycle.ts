/**
 * The import lifecycle against Temporal. Every import has a Temporal Schedule with the id `import:<id>`
 * (one with no times when the import has no schedule), so every run, scheduled or "run now", goes through
 * the schedule and its overlap policy SKIP keeps one run per import at a time. Paused is the schedule's
 * own state: the API reads it back from Temporal, so the Web UI and `temporal schedule toggle` agree.
 * (Temporal appends the scheduled time to a scheduled run's workflow id: `import:<id>-<time>`.)
 */
import {
  type Client,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type pg from 'pg';
import type { ImportSpec } from '../domain/importSpec';
import { IMPORT_WORKFLOW_TYPE, importWorkflowId, pauseSignal, resumeSignal } from '../workflows/definitions';
import type { ImportWorkflowInput } from '../workflows/importInput';
import {
  PURGE_WORKFLOW_TYPE,
  type PurgeInput,
  purgeNowSignal,
  purgeWorkflowId,
} from '../workflows/lifecycleDefinitions';
import type { PurgeResult } from '../activities';
import { catchupWindowMs, type Schedule, toScheduleSpec } from './schedules';
import { SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { importMetadata } from '../workflows/userMetadata';
import { runningWorkflowIds } from '../store/runs';

/** What every scheduled run carries from its start: search attributes to find it, a summary and details to explain it. */
const startOptions = (spec: ImportSpec) => ({
  typedSearchAttributes: [
    { key: SEARCH_ATTRIBUTES.importId, value: spec.id },
    { key: SEARCH_ATTRIBUTES.dataType, value: spec.dataType },
  ],
  ...importMetadata(spec),
});

export const scheduleIdOf = (importId: string): string => importWorkflowId(importId);

export interface ScheduleState {
  exists: boolean;
  paused: boolean;
  note: string | null;
  nextRunAt: Date | null;
  /** Workflow ids of runs the schedule started that are still running. */
  running: string[];
}

export async function createSchedule(
  temporal: Client,
  taskQueue: string,
  spec: ImportSpec,
  schedule: Schedule | null,
): Promise<void> {
  await temporal.schedule.create({
    scheduleId: scheduleIdOf(spec.id),
    spec: toScheduleSpec(schedule),
    action: {
      type: 'startWorkflow',
      workflowType: IMPORT_WORKFLOW_TYPE,
      workflowId: importWorkflowId(spec.id),
      taskQueue,
      args: [{ spec } satisfies ImportWorkflowInput],
      ...startOptions(spec),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupWindowMs(schedule) },
    state: { paused: false, note: schedule ? undefined : 'no schedule: runs on demand (trigger) only' },
  });
}

/** New times or a new spec (e.g. a rename); the paused state is left as it is, wherever it was set. */
export async function updateSchedule(temporal: Client, spec: ImportSpec, schedule: Schedule | null): Promise<void> {
  await temporal.schedule.getHandle(scheduleIdOf(spec.id)).update((prev) => ({
    ...prev,
    spec: toScheduleSpec(schedule),
    policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupWindowMs(schedule) },
    action: { ...prev.action, args: [{ spec } satisfies ImportWorkflowInput], ...startOptions(spec) },
    state: { paused: prev.state.paused, note: prev.state.note },
  }));
}

export async function scheduleState(temporal: Client, importId: string): Promise<ScheduleState> {
  try {
    const d = await temporal.schedule.getHandle(scheduleIdOf(importId)).describe();
    return {
      exists: true,
      paused: d.state.paused,
      note: d.state.note ?? null,
      nextRunAt: d.state.paused ? null : (d.info.nextActionTimes[0] ?? null),
      running: d.info.runningActions.map((a) => a.workflow.workflowId),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      return { exists: false, paused: false, note: null, nextRunAt: null, running: [] };
    throw err;
  }
}

/**
 * Workflow ids of this import's running runs: those its schedule started, and one started by hand
 * under the plain id (`temporal workflow start --workflow-id import:<id>`).
 */
export async function runningWorkflows(
  temporal: Client,
  importId: string,
  state?: ScheduleState,
  store?: pg.Pool,
): Promise<string[]> {
  const ids = new Set((state ?? (await scheduleState(temporal, importId))).running);
  // The schedule's description can lag behind a run it just started; the store knows every run that
  // has begun, and the plain id covers a run started by hand.
  const candidates = [importWorkflowId(importId)];
  if (store) {
    candidates.push(...(await runningWorkflowIds(store, importId)));
  }
  for (const id of candidates) {
    if (ids.has(id)) continue;
    try {
      const d = await temporal.workflow.getHandle(id).describe();
      if (d.status.name === 'RUNNING') ids.add(d.workflowId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return [...ids];
}

/**
 * Start a run through the schedule (overlap SKIP), then wait briefly for its workflow id so the caller can
 * follow it. Null if Temporal has not started it within the wait (it still will).
 */
export async function triggerRun(temporal: Client, importId: string): Promise<string | null> {
  const handle = temporal.schedule.getHandle(scheduleIdOf(importId));
  const before = await handle.describe();
  const seen = new Set(before.info.recentActions.map((a) => a.action.workflow.workflowId));
  const since = new Date(Date.now() - 1000).toISOString();
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  // The schedule's description can lag behind its actions on a loaded server, so visibility is asked too:
  // schedules stamp the runs they start with TemporalScheduledById.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const d = await handle.describe();
    const ids = [
      ...d.info.runningActions.map((a) => a.workflow.workflowId),
      ...d.info.recentActions.map((a) => a.action.workflow.workflowId),
    ];
    const fresh = ids.find((id) => !seen.has(id)) ?? (await startedBySchedule(temporal, importId, since));
    if (fresh) return fresh;
    await new Promise((r) => setTimeout(r, 150));
  }
  return null;
}

async function startedBySchedule(temporal: Client, importId: string, since: string): Promise<string | undefined> {
  try {
    const query = `TemporalScheduledById = '${scheduleIdOf(importId)}' AND StartTime >= '${since}'`;
    for await (const wf of temporal.workflow.list({ query, pageSize: 1 })) return wf.workflowId;
  } catch {
    // a visibility store without this attribute: the description will do
  }
  return undefined;
}

export async function pauseImport(temporal: Client, importId: string, note: string, store?: pg.Pool): Promise<void> {
  await temporal.schedule.getHandle(scheduleIdOf(importId)).pause(note);
  // A running run stops at its next batch boundary and resumes from there.
  for (const id of await runningWorkflows(temporal, importId, undefined, store)) {
    await temporal.workflow.getHandle(id).signal(pauseSignal).catch(ignoreClosed);
  }
}

export async function resumeImport(temporal: Client, importId: string, note: string, store?: pg.Pool): Promise<void> {
  await temporal.schedule.getHandle(scheduleIdOf(importId)).unpause(note);
  for (const id of await runningWorkflows(temporal, importId, undefined, store)) {
    await temporal.workflow.getHandle(id).signal(resumeSignal).catch(ignoreClosed);
  }
}

/** Cancel the running runs and wait (bounded) until they have recorded their end. */
export async function stopRuns(temporal: Client, workflowIds: string[], waitMs = 60_000): Promise<void> {
  await Promise.all(
    workflowIds.map(async (id) => {
      const handle = temporal.workflow.getHandle(id);
      await handle.cancel().catch(ignoreClosed);
      await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, waitMs))]);
    }),
  );
}

export async function deleteSchedule(temporal: Client, importId: string): Promise<void> {
  await temporal.schedule
    .getHandle(scheduleIdOf(importId))
    .delete()
    .catch((err) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
}

/** Start (or find) the import's purge; with `now`, signal it to purge at once and wait for the result. */
export async function startPurge(
  temporal: Client,
  taskQueue: string,
  input: PurgeInput,
  now: boolean,
): Promise<PurgeResult | null> {
  const handle = await temporal.workflow.start(PURGE_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: purgeWorkflowId(input.importId),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  if (!now) return null;
  await handle.signal(purgeNowSignal);
  return (await handle.result()) as PurgeResult;
}

function ignoreClosed(err: unknown): void {
  if (err instanceof WorkflowNotFoundError) return;
  if (err instanceof Error && /already completed|not found/i.test(err.message)) return;
  throw err;
}
