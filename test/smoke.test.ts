import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, type Harness } from './helpers/harness';

let h: Harness;
beforeAll(async () => { h = await createHarness('smoke'); });
afterAll(async () => { await h?.close(); });

it('imports events', async () => {
  await h.source.query(`CREATE TABLE ev (id bigint primary key, uid text, kind text, at timestamptz, amount numeric, updated_at timestamptz)`);
  await h.source.query(`INSERT INTO ev SELECT g, 'u' || (g % 10), 'buy', '2026-01-01'::timestamptz + g * interval '1 second', g * 1.5, '2026-02-01'::timestamptz + (g/100) * interval '1 minute' FROM generate_series(1, 1000) g`);
  const run = await h.runImport({
    id: 'smoke-ev', name: 'smoke', dataType: 'activity',
    source: { connection: 'warehouse', table: 'ev' },
    cursor: { column: 'updated_at', key: 'id' },
    batchSize: 333,
    mapping: { userId: { column: 'uid' }, eventType: { column: 'kind' }, timestamp: { column: 'at' }, properties: [{ column: 'amount', type: 'number' }] },
  });
  console.log(run);
  expect(run.status).toBe('succeeded');
  expect(run.created).toBe(1000);
  const n = await h.store.query('SELECT count(*)::int n FROM events');
  expect(n.rows[0].n).toBe(1000);
});
