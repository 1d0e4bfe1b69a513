/**
 * The run counters are declared once (domain/runCounters.ts) and everything that shows them is derived from that
 * list. The API's and the webhook's JSON key order is part of their shape, so it is pinned here against the
 * order they had when each piece listed its counters by hand.
 */
import { expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import {
  LOADER_COUNTER_NAMES,
  loadedRowsSql,
  RUN_COUNTERS,
  RUN_COUNTER_NAMES,
  runRecordOf,
  zeroCounts,
} from '../../store/runs';
import { loadedRows } from '../../domain/runCounters';
import { runView } from '../../api/views';

// Each column gets its own value, so a counter read from another's column shows.
const row: Record<string, unknown> = {
  id: '7',
  import_id: 'imp',
  workflow_id: 'import:imp',
  status: 'succeeded',
  started_at: new Date(0),
  ended_at: new Date(1000),
  from_cursor: null,
  from_key: null,
  to_cursor: '9',
  to_key: 'k',
  upper_bound: '10',
  error: null,
  snapshot_removal: null,
  warnings: [],
  ...Object.fromEntries(RUN_COUNTERS.map((c, i) => [c.column, String(101 + i)])),
};

it("maps every counter from its own column, and keeps the record's and the API's key order", () => {
  const rec = runRecordOf(row);
  expect(Object.keys(rec)).toEqual([
    'runId',
    'importId',
    'status',
    'rowsRead',
    'created',
    'updated',
    'unchanged',
    'duplicates',
    'rejected',
    'skipped',
    'removed',
    'profilesCreated',
    'nullCursor',
    'batches',
    'fromCursor',
    'toCursor',
    'upperBound',
    'error',
    'snapshotRemoval',
    'warnings',
  ]);
  expect(RUN_COUNTERS.map((c) => rec[c.name])).toEqual(RUN_COUNTERS.map((_, i) => 101 + i));
  expect({ rowsRead: rec.rowsRead, profilesCreated: rec.profilesCreated, nullCursor: rec.nullCursor }).toEqual({
    rowsRead: 101,
    profilesCreated: 109,
    nullCursor: 110,
  });

  const view = runView(row);
  expect(Object.keys(view)).toEqual([
    'runId',
    'importId',
    'workflowId',
    'status',
    'startedAt',
    'endedAt',
    'rowsRead',
    'created',
    'updated',
    'unchanged',
    'duplicates',
    'rejected',
    'skipped',
    'removed',
    'profilesCreated',
    'nullCursor',
    'batches',
    'cursorRange',
    'error',
    'snapshotRemoval',
    'warnings',
    'file',
  ]);
  for (const name of RUN_COUNTER_NAMES) expect(view[name]).toBe(rec[name]);
});

it("a loader's counts are the counters declared from the loaders, zero to start with", () => {
  expect(LOADER_COUNTER_NAMES).toEqual([
    'created',
    'updated',
    'unchanged',
    'duplicates',
    'skipped',
    'removed',
    'profilesCreated',
  ]);
  expect(zeroCounts()).toEqual({
    created: 0,
    updated: 0,
    unchanged: 0,
    duplicates: 0,
    skipped: 0,
    removed: 0,
    profilesCreated: 0,
  });
  expect(Object.keys(zeroCounts())).toEqual(LOADER_COUNTER_NAMES);
});

it("the rows a run loaded are its `loaded` counters, in the workflow as in the store's SQL", () => {
  const rec = runRecordOf(row);
  // created, updated, unchanged, duplicates, skipped, removed: each row accepted lands in one of them.
  expect(loadedRows(rec)).toBe(102 + 103 + 104 + 105 + 107 + 108);
  expect(loadedRowsSql('r')).toBe('r.created + r.updated + r.unchanged + r.duplicates + r.skipped + r.removed');
});

it('the workflows add no run counters by hand: they read the one declaration (domain/runCounters.ts)', () => {
  const dir = new URL('../../workflows/', import.meta.url);
  const counter = `\\.(${RUN_COUNTER_NAMES.join('|')})\\b`;
  const handSum = new RegExp(`${counter}\\s*\\+|\\+\\s*\\w+${counter}`);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    expect(readFileSync(new URL(file, dir), 'utf8'), `workflows/${file}`).not.toMatch(handSum);
  }
});
