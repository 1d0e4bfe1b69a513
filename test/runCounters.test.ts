/**
 * The run counters declared in store/runs.ts against a real store: each has its column (a migration's), and
 * the batch's derived UPDATE adds each increment to its own column, leaving the counters set at the start
 * alone; the position moves only with the statement that moves it.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseImportSpec } from '../domain/importSpec';
import { migrate } from '../store/migrate';
import { createPool } from '../store/store';
import { upsertImport } from '../store/imports';
import { createPosition, lockRunPosition, movePosition, readPosition } from '../store/positions';
import { addBatchToRun, type BatchIncrement, insertRun, RUN_COUNTERS, runRecordOf } from '../store/runs';
import { inTransaction } from '../store/transaction';
import { freshDatabase } from './helpers/harness';

let store: pg.Pool;
beforeAll(async () => {
  store = createPool(await freshDatabase('runcounters'));
  await migrate(store);
});
afterAll(async () => {
  await store?.end();
});

it('every declared counter is a bigint column of runs, zero by default', async () => {
  const cols = await store.query<{
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string;
  }>(
    "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'runs'",
  );
  const byName = new Map(cols.rows.map((c) => [c.column_name, c]));
  for (const c of RUN_COUNTERS) {
    expect(byName.get(c.column), c.column).toMatchObject({
      data_type: expect.stringMatching(/^(bigint|integer)$/),
      is_nullable: 'NO',
      column_default: '0',
    });
  }
});

it('a batch adds each of its counts to its own column, and the position moves with it', async () => {
  const spec = parseImportSpec({
    id: 'counted',
    name: 'counted',
    dataType: 'profile',
    source: { connection: 'warehouse', table: 't' },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: { userId: { column: 'id' }, idType: { value: 'user_id' }, attributes: [{ column: 'name' }] },
  });
  const runId = await inTransaction(store, async (client) => {
    await upsertImport(client, spec);
    await createPosition(client, spec.id, '', null);
    return insertRun(client, {
      importId: spec.id,
      stream: '',
      workflowId: 'import:counted',
      workflowRunId: 'wr-1',
      spec,
      sourceKind: 'postgres',
      upperBound: '99',
      nullCursor: 7,
      cursorKind: null,
      warnings: [],
    });
  });
  expect(runId).not.toBeNull();
  const batchCounters = RUN_COUNTERS.filter((c) => c.from !== 'start');
  // Distinct primes: a count added to the wrong column, or twice, shows.
  const primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
  const add = Object.fromEntries(batchCounters.map((c, i) => [c.name, primes[i]!])) as BatchIncrement;
  for (const to of [
    { cursor: '1', key: 'a' },
    { cursor: '2', key: 'b' },
  ]) {
    await inTransaction(store, async (client) => {
      const pos = await lockRunPosition(client, spec.id, runId!);
      expect(pos?.stream).toBe('');
      await addBatchToRun(client, runId!, add, to);
      await movePosition(client, spec.id, pos!.stream, to);
    });
  }
  const rec = runRecordOf((await store.query('SELECT * FROM runs WHERE id = $1', [runId])).rows[0]);
  for (const [i, c] of batchCounters.entries()) expect(rec[c.name], c.name).toBe(2 * primes[i]!);
  expect(rec.nullCursor).toBe(7);
  expect(rec.toCursor).toBe('2');
  expect(await readPosition(store, spec.id)).toEqual({ cursor: '2', key: 'b' });
});
