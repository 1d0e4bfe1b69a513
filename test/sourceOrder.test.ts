/**
 * Rows carry their source order into the store: when two position streams of one import (a backfill
 * partition and another, or the incremental import beside them) commit a key's rows out of cursor order,
 * the newer row in the source still wins, for profiles, segment and group memberships. Each case commits
 * the stream holding the newer row first, then the stream holding the older one, through the real
 * activities against the real store and source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { staticConnections } from '../connectors/connections';
import { createPostgresConnector } from '../connectors/postgres/postgresSource';
import { parseImportSpec, type ImportSpecInput } from '../domain/importSpec';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { testPolicy } from './helpers/testPolicy';

let h: Harness;
let activities: ReturnType<typeof createActivities>;
const postgres = createPostgresConnector({ policy: testPolicy() });
beforeAll(async () => {
  h = await createHarness('srcorder', { inProcessWorker: false });
  activities = createActivities({
    store: h.store,
    resolveConnection: staticConnections({ warehouse: h.sourceUrl }),
    connectors: { postgres },
  });
}, 120_000);
afterAll(async () => {
  await postgres.closeAll();
  await h?.close();
});

/** Run one position stream of the import over (after, upperBound] to its end, as a backfill partition does. */
async function runStream(
  input: ImportSpecInput,
  stream: string,
  after: { cursor: string; key: string } | null,
  upperBound: string,
) {
  const spec = parseImportSpec(input);
  const id = uniqueId(stream.replace(/\W/g, ''));
  const begun = await activities.beginRun({
    spec,
    workflowId: id,
    workflowRunId: id,
    scope: { stream, after, upperBound },
  });
  for (;;) {
    const batch = await activities.importBatch({ importId: spec.id, runId: begun.runId, upperBound });
    if (batch.done) break;
  }
  return activities.finishRun({ runId: begun.runId, outcome: 'completed' });
}

// Stream "new" reads the rows after 2026-01-02 and commits first; stream "old" reads up to it, and commits after.
const NEWER = { after: { cursor: '2026-01-02 00:00:00+00', key: '0' }, upperBound: '2026-01-09 00:00:00+00' };
const OLDER = { after: null, upperBound: '2026-01-02 00:00:00+00' };

async function outOfOrder(spec: ImportSpecInput) {
  const newer = await runStream(spec, 'backfill:order:1', NEWER.after, NEWER.upperBound);
  const older = await runStream(spec, 'backfill:order:0', OLDER.after, OLDER.upperBound);
  return { newer, older };
}

describe('rows committed out of source order by two streams', () => {
  it('profiles: the newer row in the source keeps its attributes; the older counts as unchanged', async () => {
    await h.source.query(`CREATE TABLE p_log (id int PRIMARY KEY, email text, plan text, updated_at timestamptz)`);
    await h.source.query(`INSERT INTO p_log VALUES
      (1, 'ann@x.io', 'free', '2026-01-01 10:00+00'), (2, 'ann@x.io', 'pro', '2026-01-03 10:00+00'),
      (3, 'bob@x.io', 'free', '2026-01-01 11:00+00')`);
    const spec: ImportSpecInput = {
      id: uniqueId('order-prof'),
      name: 'profiles log',
      dataType: 'profile',
      source: { connection: 'warehouse', table: 'p_log' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, idType: { value: 'email' }, attributes: [{ column: 'plan' }] },
    };
    const { older } = await outOfOrder(spec);
    expect(older).toMatchObject({ rowsRead: 2, created: 1, unchanged: 1, updated: 0 });
    const r = await h.store.query(
      'SELECT id_value, attributes FROM profile_attributes WHERE import_id = $1 ORDER BY 1',
      [spec.id],
    );
    expect(r.rows).toEqual([
      { id_value: 'ann@x.io', attributes: { plan: 'pro' } },
      { id_value: 'bob@x.io', attributes: { plan: 'free' } },
    ]);
  });

  it('insert-only profiles: the first row in source order wins, though a newer one created the user first', async () => {
    await h.source.query(`CREATE TABLE pi_log (id int PRIMARY KEY, email text, plan text, updated_at timestamptz)`);
    await h.source.query(
      `INSERT INTO pi_log VALUES (1, 'ina@x.io', 'free', '2026-01-01 10:00+00'), (2, 'ina@x.io', 'pro', '2026-01-03 10:00+00')`,
    );
    const spec: ImportSpecInput = {
      id: uniqueId('order-ins'),
      name: 'insert-only log',
      dataType: 'profile',
      mode: 'insert-only',
      source: { connection: 'warehouse', table: 'pi_log' },
      cursor: { column: 'updated_at', key: 'id' },
      mapping: { userId: { column: 'email' }, idType: { value: 'email' }, attributes: [{ column: 'plan' }] },
    };
    const { newer, older } = await outOfOrder(spec);
    expect(newer).toMatchObject({ rowsRead: 1, created: 1 });
    expect(older).toMatchObject({ rowsRead: 1, created: 0, updated: 1 });
    const r = await h.store.query('SELECT attributes FROM profile_attributes WHERE import_id = $1', [spec.id]);
    expect(r.rows).toEqual([{ attributes: { plan: 'free' } }]);
    // Read again in order, nothing changes: the stored row is the first one.
    const again = await runStream(spec, 'backfill:order:2', null, '2026-01-09 00:00:00+00');
    expect(again).toMatchObject({ rowsRead: 2, skipped: 2 });
    expect(
      (await h.store.query('SELECT attributes FROM profile_attributes WHERE import_id = $1', [spec.id])).rows,
    ).toEqual([{ attributes: { plan: 'free' } }]);
  });

  it('segments: a removal newer in the source is not undone by the older add (a numeric cursor too)', async () => {
    await h.source.query(`CREATE TABLE s_log (id int PRIMARY KEY, uid text, seg text, gone boolean, seqno bigint)`);
    await h.source.query(
      `INSERT INTO s_log VALUES (1, 'u1', 'vip', false, 10), (2, 'u1', 'vip', true, 30), (3, 'u2', 'vip', false, 11)`,
    );
    const spec: ImportSpecInput = {
      id: uniqueId('order-seg'),
      name: 'segments log',
      dataType: 'segments',
      source: { connection: 'warehouse', table: 's_log' },
      cursor: { column: 'seqno', key: 'id' },
      mapping: {
        userId: { column: 'uid' },
        idType: { value: 'email' },
        segment: { column: 'seg' },
        removed: { column: 'gone' },
      },
    };
    await runStream(spec, 'backfill:order:1', { cursor: '20', key: '0' }, '100');
    const older = await runStream(spec, 'backfill:order:0', null, '20');
    expect(older).toMatchObject({ rowsRead: 2, created: 1, unchanged: 1 });
    const r = await h.store.query('SELECT id_value, member FROM segment_memberships WHERE import_id = $1 ORDER BY 1', [
      spec.id,
    ]);
    expect(r.rows).toEqual([
      { id_value: 'u1', member: false },
      { id_value: 'u2', member: true },
    ]);
  });

  it('groups: the newer role stays', async () => {
    await h.source.query(`CREATE TABLE g_log (id int PRIMARY KEY, uid text, hh text, role text, updated_at timestamp)`);
    await h.source.query(
      `INSERT INTO g_log VALUES (1, 'u1', 'h1', 'member', '2026-01-01 10:00'), (2, 'u1', 'h1', 'owner', '2026-01-05 10:00')`,
    );
    const spec: ImportSpecInput = {
      id: uniqueId('order-grp'),
      name: 'groups log',
      dataType: 'group',
      source: { connection: 'warehouse', table: 'g_log' },
      cursor: { column: 'updated_at', key: 'id' },
      timeZone: 'America/New_York',
      mapping: {
        userId: { column: 'uid' },
        idType: { value: 'email' },
        groupType: { value: 'household' },
        groupId: { column: 'hh' },
        role: { column: 'role' },
      },
    };
    await runStream(spec, 'backfill:order:1', { cursor: '2026-01-02 00:00:00', key: '0' }, '2026-01-09 00:00:00');
    await runStream(spec, 'backfill:order:0', null, '2026-01-02 00:00:00');
    const r = await h.store.query('SELECT id_value, role, member FROM group_memberships WHERE import_id = $1', [
      spec.id,
    ]);
    expect(r.rows).toEqual([{ id_value: 'u1', role: 'owner', member: true }]);
    // The zone-less cursor's order is its instant in the import's zone, as Postgres reads it.
    const order = await h.store.query('SELECT source_order::text AS o FROM group_memberships WHERE import_id = $1', [
      spec.id,
    ]);
    const oracle = await h.store.query(
      `SELECT (extract(epoch FROM timestamp '2026-01-05 10:00' AT TIME ZONE 'America/New_York') * 1000000)::bigint::text AS o`,
    );
    expect(order.rows[0].o).toBe(oracle.rows[0].o);
  });
});
