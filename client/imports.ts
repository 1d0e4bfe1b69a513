/**
 * Imports driven from a Temporal Client alone, without the HTTP API: start a run, pause, resume, stop and
 * query it, and list runs through visibility. An import's runs are found the way the API finds them: the
 * plain workflow id `import:<id>`, the runs its schedule (if it has one) is running, and visibility's runs
 * stamped with its TributaryImportId. Pause and resume also pause the schedule, so no new run starts.
 */
import {
  type Client,
  ScheduleNotFoundError,
  type WorkflowExecutionStatusName,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { RunRecord } from '../activities/finishRun';
import { parseImportSpec, type ImportSpecInput, importId as importIdSchema } from '../domain/importSpec';
import { throttleProblem } from '../domain/throttle';
import { SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { IMPORT_TASK_QUEUE } from '../temporal/taskQueues';
import {
  IMPORT_WORKFLOW_TYPE,
  type ImportProgress,
  importWorkflowId,
  pauseSignal,
  progressQuery,
  resumeSignal,
  type RunControl,
} from '../workflows/definitions';
import type { ImportWorkflowInput } from '../workflows/importInput';
import { LEGACY_WORKFLOW_TYPES } from '../workflows/names';
import { importMetadata } from '../workflows/userMetadata';

export interface StartImportOptions {
  /** The task queue Tributary's worker polls (default `tributary-imports`). */
  taskQueue?: string;
  /** Rows per second at most (the throttle signal changes it later); default: as fast as it goes. */
  rowsPerSecond?: number;
}

/**
 * Start one run of an import now, under the workflow id `import:<id>`. The spec is checked first, so a bad
 * one is an InvalidSpecError naming its field rather than a failed run, and so is a throttle the run's
 * throttle signal would refuse (a TypeError); a run already going under that id is a
 * WorkflowExecutionAlreadyStartedError.
 */
export async function startImport(
  client: Client,
  input: ImportSpecInput,
  options: StartImportOptions = {},
): Promise<WorkflowHandle> {
  const spec = parseImportSpec(input);
  const problem = throttleProblem({ rowsPerSecond: options.rowsPerSecond });
  if (problem) throw new TypeError(`startImport: ${problem} (got ${String(options.rowsPerSecond)})`);
  const control: RunControl | null = options.rowsPerSecond ? { rowsPerSecond: options.rowsPerSecond } : null;
  return client.workflow.start(IMPORT_WORKFLOW_TYPE, {
    taskQueue: options.taskQueue ?? IMPORT_TASK_QUEUE,
    workflowId: importWorkflowId(spec.id),
    args: [{ spec: input, control } satisfies ImportWorkflowInput],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.importId, value: spec.id },
      { key: SEARCH_ATTRIBUTES.dataType, value: spec.dataType },
    ],
    ...importMetadata(spec),
  });
}

/** The import id as a visibility literal: ids are a-z, 0-9, _ and -, so checking them is all the quoting needed. */
function checkedId(importId: string): string {
  const parsed = importIdSchema.safeParse(importId);
  if (!parsed.success)
    throw new TypeError(`import id ${JSON.stringify(importId)} ${parsed.error.issues[0]?.message ?? 'is not valid'}`);
  return importId;
}

const IMPORT_TYPES = [IMPORT_WORKFLOW_TYPE, LEGACY_WORKFLOW_TYPES.import];

/** Workflow ids of the import's runs that are running now. */
export async function runningImportRuns(client: Client, importId: string): Promise<string[]> {
  const id = checkedId(importId);
  const ids = new Set<string>();
  try {
    const d = await client.schedule.getHandle(importWorkflowId(id)).describe();
    for (const a of d.info.runningActions) ids.add(a.workflow.workflowId);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  const types = IMPORT_TYPES.map((t) => `'${t}'`).join(', ');
  for await (const wf of client.workflow.list({
    query: `${SEARCH_ATTRIBUTES.importId.name} = '${id}' AND ExecutionStatus = 'Running' AND WorkflowType IN (${types})`,
  }))
    ids.add(wf.workflowId);
  // Visibility lags a run that has just started; its description does not.
  try {
    const d = await client.workflow.getHandle(importWorkflowId(id)).describe();
    if (d.status.name === 'RUNNING') ids.add(d.workflowId);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return [...ids];
}

async function onSchedule(
  client: Client,
  importId: string,
  act: (h: ReturnType<Client['schedule']['getHandle']>) => Promise<void>,
): Promise<boolean> {
  try {
    await act(client.schedule.getHandle(importWorkflowId(importId)));
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** A run that ended between being found and being told is no longer ours to tell. */
async function toEach(
  client: Client,
  workflowIds: string[],
  act: (h: WorkflowHandle) => Promise<unknown>,
): Promise<string[]> {
  const reached: string[] = [];
  for (const wid of workflowIds) {
    try {
      await act(client.workflow.getHandle(wid));
      reached.push(wid);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue;
      if (err instanceof Error && /already completed/i.test(err.message)) continue;
      throw err;
    }
  }
  return reached;
}

export interface LifecycleResult {
  /** Whether the import has a schedule (created by the API), which was paused or unpaused too. */
  schedule: boolean;
  /** Workflow ids of the running runs that were told. */
  runs: string[];
}

/** Pause: the running runs stop at their next batch boundary, and the schedule (if any) starts no new one. */
export async function pauseImport(
  client: Client,
  importId: string,
  note = 'paused through the Tributary client',
): Promise<LifecycleResult> {
  const schedule = await onSchedule(client, checkedId(importId), (s) => s.pause(note));
  return {
    schedule,
    runs: await toEach(client, await runningImportRuns(client, importId), (h) => h.signal(pauseSignal)),
  };
}

/** Resume: paused runs go on from their committed position, and the schedule (if any) runs again. */
export async function resumeImport(
  client: Client,
  importId: string,
  note = 'resumed through the Tributary client',
): Promise<LifecycleResult> {
  const schedule = await onSchedule(client, checkedId(importId), (s) => s.unpause(note));
  return {
    schedule,
    runs: await toEach(client, await runningImportRuns(client, importId), (h) => h.signal(resumeSignal)),
  };
}

/**
 * Stop the running runs: each is cancelled, records its end as cancelled (what it committed stays), and
 * this waits for that, up to `waitMs`. The schedule, if any, is left as it is.
 */
export async function stopImport(client: Client, importId: string, waitMs = 60_000): Promise<string[]> {
  const ids = await runningImportRuns(client, importId);
  const reached = await toEach(client, ids, (h) => h.cancel());
  await Promise.all(
    reached.map((wid) => {
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise((resolve) => {
        timer = setTimeout(resolve, waitMs);
      });
      return Promise.race([
        client.workflow
          .getHandle(wid)
          .result()
          .catch(() => undefined),
        bounded,
      ]).finally(() => clearTimeout(timer));
    }),
  );
  return reached;
}

/** Progress of the import's running run, or null when none is running. */
export async function importProgress(client: Client, importId: string): Promise<ImportProgress | null> {
  for (const wid of await runningImportRuns(client, importId)) {
    try {
      return await client.workflow.getHandle(wid).query(progressQuery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return null;
}

export interface ImportRunSummary {
  importId: string | null;
  dataType: string | null;
  /** The run's end as the workflow recorded it: succeeded, partially_succeeded, failed or cancelled. */
  outcome: string | null;
  workflowId: string;
  runId: string;
  status: WorkflowExecutionStatusName;
  startTime: Date;
  closeTime: Date | null;
}

export interface ListImportsOptions {
  /** Only this import's runs. */
  importId?: string;
  /** Only running (or only closed) runs. */
  running?: boolean;
  /** Stop after this many (default 100). */
  limit?: number;
}

/** Import runs from visibility, newest first, with the search attributes the workflow sets. */
export async function listImports(client: Client, options: ListImportsOptions = {}): Promise<ImportRunSummary[]> {
  const clauses = [`WorkflowType IN (${IMPORT_TYPES.map((t) => `'${t}'`).join(', ')})`];
  if (options.importId !== undefined)
    clauses.push(`${SEARCH_ATTRIBUTES.importId.name} = '${checkedId(options.importId)}'`);
  if (options.running !== undefined)
    clauses.push(options.running ? `ExecutionStatus = 'Running'` : `ExecutionStatus != 'Running'`);
  const out: ImportRunSummary[] = [];
  const limit = options.limit ?? 100;
  if (limit <= 0) return out;
  for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) {
    const attrs = wf.typedSearchAttributes;
    out.push({
      importId: attrs.get(SEARCH_ATTRIBUTES.importId) ?? null,
      dataType: attrs.get(SEARCH_ATTRIBUTES.dataType) ?? null,
      outcome: attrs.get(SEARCH_ATTRIBUTES.outcome) ?? null,
      workflowId: wf.workflowId,
      runId: wf.runId,
      status: wf.status.name,
      startTime: wf.startTime,
      closeTime: wf.closeTime ?? null,
    });
    if (out.length >= limit) break;
  }
  return out;
}

/** The result of a run started with startImport: its record as the store has it. */
export const importResult = async (handle: WorkflowHandle): Promise<RunRecord> => (await handle.result()) as RunRecord;
