/** How imports and runs are shown: store rows joined with their live state in Temporal. */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type pg from 'pg';
import { countersOf, lastRunOf, lastSuccessfulSyncAt, runRecordOf } from '../store/runs';
import { readPosition } from '../store/positions';
import { progressQuery } from '../workflows/definitions';
import { runningWorkflows, scheduleState } from './lifecycle';
import type { Schedule } from './schedules';
import type { ImportView, RunView } from './schemas';
import { beforeDeadline } from './temporalDeadline';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function runView(r: Record<string, any>): RunView {
  const rec = runRecordOf(r);
  return {
    runId: rec.runId,
    importId: rec.importId,
    workflowId: r.workflow_id,
    status: rec.status,
    startedAt: r.started_at.toISOString(),
    endedAt: iso(r.ended_at),
    ...countersOf(rec),
    cursorRange: {
      from: { cursor: r.from_cursor ?? null, key: r.from_key ?? null },
      to: { cursor: r.to_cursor ?? null, key: r.to_key ?? null },
      upperBound: rec.upperBound,
    },
    error: rec.error,
    snapshotRemoval: rec.snapshotRemoval,
    warnings: rec.warnings,
    file: fileBytes(r.to_key ?? null, rec.upperBound, rec.status),
  };
}

/** A file run's byte progress from its position key (`<path>@<offset>`) and pinned size (`<size>|<version>`). */
function fileBytes(
  toKey: string | null,
  upperBound: string | null,
  status: string,
): { bytesLoaded: number; size: number } | null {
  const size = upperBound ? /^(\d+)\|/.exec(upperBound)?.[1] : undefined;
  if (size === undefined) return null;
  const offset = toKey ? /@(\d+)$/.exec(toKey)?.[1] : undefined;
  if (toKey && offset === undefined) return null; // Parquet and XML positions are ordinals, not bytes
  return {
    bytesLoaded: status === 'succeeded' || status === 'partially_succeeded' ? Number(size) : Number(offset ?? 0),
    size: Number(size),
  };
}

/**
 * The live progress of a running run, from its workflow; null if it cannot answer by the deadline (a list
 * of runs must not hang on a busy worker or a slow Temporal).
 */
export async function liveProgress(
  temporal: Client,
  workflowId: string,
  deadline: number,
): Promise<RunView['progress']> {
  return beforeDeadline(temporal, deadline, () => askProgress(temporal, workflowId)).catch(() => null);
}

async function askProgress(temporal: Client, workflowId: string): Promise<RunView['progress']> {
  try {
    const handle = temporal.workflow.getHandle(workflowId);
    const p = await handle.query(progressQuery);
    // While a batch is in flight the workflow only knows "importing"; the batch activity's heartbeat
    // says whether it is reading from the source or loading into the store, and how far it got.
    let stage: string = p.stage;
    let currentBatchRows: number | null = null;
    if (p.stage === 'importing') {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const batch = pending.find((a) => a.activityType?.name === 'importBatch');
      const payload = batch?.heartbeatDetails?.payloads?.[0];
      if (payload) {
        const beat = defaultPayloadConverter.fromPayload<{ stage?: string; rows?: number }>(payload);
        if (beat.stage === 'reading' || beat.stage === 'loading') stage = beat.stage;
        currentBatchRows = typeof beat.rows === 'number' ? beat.rows : null;
      }
    }
    return {
      stage,
      paused: p.paused,
      rowsRead: p.rowsRead,
      rowsLoaded: p.rowsLoaded,
      rejected: p.rejected,
      batches: p.batches,
      position: p.position,
      upperBound: p.upperBound,
      currentBatchRows,
    };
  } catch {
    return null; // a run that just ended, or a worker too busy to answer: the store's counts still stand
  }
}

/** The import's state in Temporal, as a view shows it. */
interface LiveState {
  paused: boolean;
  running: boolean;
  nextRunAt: Date | null;
}

export interface ViewOptions {
  /** When Temporal's part must be in (ms since the epoch); the views of one list share it. */
  deadline: number;
  log?: { warn(obj: object, msg: string): void };
}

/**
 * One import as the API shows it: the store's row and runs, joined with its schedule and running runs in
 * Temporal. Past the deadline (or on a Temporal error) the view still answers with what the store knows,
 * `temporal: 'unavailable'` and the fields only Temporal knows (state, paused, running, nextRunAt, the
 * last run's live progress) null.
 */
export async function importView(
  store: pg.Pool,
  temporal: Client,
  row: Record<string, any>,
  options: ViewOptions,
): Promise<ImportView> {
  const [last, lastOk, pos, live] = await Promise.all([
    lastRunOf(store, row.id),
    lastSuccessfulSyncAt(store, row.id),
    readPosition(store, row.id),
    liveState(store, temporal, row, options),
  ]);
  const lastRun = last ? runView(last) : null;
  if (lastRun?.status === 'running')
    lastRun.progress = live ? await liveProgress(temporal, lastRun.workflowId, options.deadline) : null;
  return {
    id: row.id,
    name: row.spec.name,
    dataType: row.data_type,
    connection: row.spec.source?.connection ?? '',
    state: row.deleted_at ? 'deleted' : !live ? null : live.paused ? 'paused' : 'active',
    paused: live?.paused ?? null,
    running: live?.running ?? null,
    temporal: live ? 'available' : 'unavailable',
    schedule: (row.schedule as Schedule | null) ?? null,
    nextRunAt: iso(live?.nextRunAt),
    lastRun,
    lastSuccessfulSyncAt: iso(lastOk),
    position: { cursor: pos.cursor, key: pos.key },
    spec: row.spec,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    purgeAfter: iso(row.purge_after),
  };
}

/** Paused, running and next run from Temporal; null when it did not answer by the deadline or failed. */
async function liveState(
  store: pg.Pool,
  temporal: Client,
  row: Record<string, any>,
  options: ViewOptions,
): Promise<LiveState | null> {
  // A deleted import has no schedule left, and its runs were stopped on delete.
  if (row.deleted_at) return { paused: false, running: false, nextRunAt: null };
  try {
    return await beforeDeadline(temporal, options.deadline, async () => {
      const state = await scheduleState(temporal, row.id);
      const running = (await runningWorkflows(temporal, row.id, state, store)).length > 0;
      return { paused: state.paused, running, nextRunAt: state.nextRunAt };
    });
  } catch (err) {
    options.log?.warn({ err, importId: row.id }, 'import view without its Temporal state');
    return null;
  }
}
