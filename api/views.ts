/** How imports and runs are shown: store rows joined with their live state in Temporal. */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type pg from 'pg';
import { runRecordOf } from '../activities/finishRun';
import { progressQuery } from '../workflows/definitions';
import { runningWorkflows, scheduleState } from './lifecycle';
import type { Schedule } from './schedules';
import type { ImportView, RunView } from './schemas';

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
    rowsRead: rec.rowsRead,
    created: rec.created,
    updated: rec.updated,
    unchanged: rec.unchanged,
    duplicates: rec.duplicates,
    rejected: rec.rejected,
    skipped: rec.skipped,
    removed: rec.removed,
    profilesCreated: rec.profilesCreated,
    nullCursor: rec.nullCursor,
    batches: rec.batches,
    cursorRange: {
      from: { cursor: r.from_cursor ?? null, key: r.from_key ?? null },
      to: { cursor: r.to_cursor ?? null, key: r.to_key ?? null },
      upperBound: rec.upperBound,
    },
    error: rec.error,
  };
}

/** The live progress of a running run, from its workflow; null if it cannot answer quickly. */
export async function liveProgress(temporal: Client, workflowId: string): Promise<RunView['progress']> {
  // A list of runs must not hang on a busy worker: answer without live progress after 3 s.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), 3000); });
  try {
    return await Promise.race([askProgress(temporal, workflowId), deadline]);
  } finally {
    clearTimeout(timer);
  }
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
      stage, paused: p.paused, rowsRead: p.rowsRead, rowsLoaded: p.rowsLoaded, rejected: p.rejected,
      batches: p.batches, position: p.position, upperBound: p.upperBound, currentBatchRows,
    };
  } catch {
    return null; // a run that just ended, or a worker too busy to answer: the store's counts still stand
  }
}

export async function importView(store: pg.Pool, temporal: Client, row: Record<string, any>): Promise<ImportView> {
  const [last, lastOk, pos, state] = await Promise.all([
    store.query('SELECT * FROM runs WHERE import_id = $1 ORDER BY id DESC LIMIT 1', [row.id]),
    store.query(
      `SELECT max(ended_at) AS at FROM runs WHERE import_id = $1 AND status IN ('succeeded', 'partially_succeeded')`,
      [row.id],
    ),
    store.query("SELECT cursor_value, key_value FROM positions WHERE import_id = $1 AND stream = ''", [row.id]),
    row.deleted_at ? null : scheduleState(temporal, row.id),
  ]);
  const running = state ? (await runningWorkflows(temporal, row.id, state, store)).length > 0 : false;
  const lastRun = last.rows[0] ? runView(last.rows[0]) : null;
  if (lastRun?.status === 'running') lastRun.progress = await liveProgress(temporal, lastRun.workflowId);
  return {
    id: row.id,
    name: row.spec.name,
    dataType: row.data_type,
    connection: row.spec.source?.connection ?? '',
    state: row.deleted_at ? 'deleted' : state?.paused ? 'paused' : 'active',
    paused: state?.paused ?? false,
    running,
    schedule: (row.schedule as Schedule | null) ?? null,
    nextRunAt: iso(state?.nextRunAt),
    lastRun,
    lastSuccessfulSyncAt: iso(lastOk.rows[0]?.at),
    position: { cursor: pos.rows[0]?.cursor_value ?? null, key: pos.rows[0]?.key_value ?? null },
    spec: row.spec,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    purgeAfter: iso(row.purge_after),
  };
}
