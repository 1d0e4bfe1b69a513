/** A file run shows its progress in bytes (the API's run view), from its position key and pinned size. */
import { expect, it } from 'vitest';
import { runView } from '../../api/views';

const row = (over: Record<string, unknown>) => ({
  id: 7,
  import_id: 'csv',
  workflow_id: 'import:csv',
  status: 'running',
  started_at: new Date(0),
  ended_at: null,
  rows_read: 10,
  created: 10,
  updated: 0,
  unchanged: 0,
  duplicates: 0,
  rejected: 0,
  skipped: 0,
  removed: 0,
  profiles_created: 0,
  null_cursor: 0,
  batches: 1,
  from_cursor: null,
  from_key: null,
  to_cursor: '11',
  to_key: 'in/a.csv@5120',
  upper_bound: '1048576|1732350000000',
  error: null,
  ...over,
});

it('reports bytes loaded out of the file size for CSV and NDJSON runs, and nothing for tables or ordinal positions', () => {
  expect(runView(row({})).file).toEqual({ bytesLoaded: 5120, size: 1048576 });
  expect(runView(row({ status: 'succeeded' })).file).toEqual({ bytesLoaded: 1048576, size: 1048576 });
  expect(runView(row({ to_key: null, to_cursor: null })).file).toEqual({ bytesLoaded: 0, size: 1048576 });
  expect(runView(row({ to_key: 'x.parquet#100' })).file).toBeNull();
  expect(runView(row({ upper_bound: '2026-01-01T00:00:00Z', to_key: '42' })).file).toBeNull();
});
