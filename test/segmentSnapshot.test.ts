/**
 * Segments imports with sync "snapshot": each run reads the whole source and, once it has read everything,
 * removes the memberships it did not see, in one transaction. Through the workflow (real Temporal, real
 * Postgres), the activities called again as a retry would, and the API (spec errors, backfills refused).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { staticConnections } from '../connectors/connections';
import { createPostgresConnector } from '../connectors/postgres/postgresSource';
import { parseImportSpec } from '../domain/importSpec';
import { pauseSignal, progressQuery } from '../workflows/definitions';
import { waitFor } from './helpers/wait';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ApiHarness, createApiHarness } from './helpers/apiHarness';
import { createHarness, uniqueId } from './helpers/harness';
import { harnessPolicy } from './helpers/policy';

let t: ApiHarness;
const postgres = createPostgresConnector({ policy: harnessPolicy() });
let activities: ReturnType<typeof createActivities>;
beforeAll(async () => {
  t = await createApiHarness('snap');
  activities = createActivities({
    store: t.h.store,
    resolveConnection: staticConnections({ warehouse: t.h.sourceUrl }),
    connectors: { postgres },
  });
});
afterAll(async () => {
  await postgres.closeAll();
  await t?.close();
});

const snapshotSpec = (id: string, table: string) => ({
  id,
  name: `snapshot ${id}`,
  dataType: 'segments' as const,
  sync: 'snapshot' as const,
  source: { connection: 'warehouse', table },
  cursor: { column: 'updated_at', key: 'id' },
  batchSize: 2, // several batches a run: the run's own position must carry it through the whole table
  mapping: { userId: { column: 'uid' }, segment: { column: 'segs', array: true } },
});

async function members(importId: string): Promise<string[]> {
  const r = await t.h.store.query(
    'SELECT id_value, segment FROM segment_memberships WHERE import_id = $1 AND member ORDER BY 1, 2',
    [importId],
  );
  return r.rows.map((m) => `${m.id_value}:${m.segment}`);
}

async function createTable(table: string): Promise<void> {
  await t.h.source.query(`CREATE TABLE ${table} (id int PRIMARY KEY, uid text, segs text[], updated_at timestamptz)`);
  await t.h.source.query(`INSERT INTO ${table} VALUES
    (1, 'u1', '{vip,"big spenders"}', '2026-01-01'), (2, 'u2', '{vip}', '2026-01-01'),
    (3, 'u3', '{churn}', '2026-01-02'), (4, 'u4', '{vip}', '2026-01-02'), (5, 'u5', '{churn}', '2026-01-03')`);
}

describe('snapshot segments', () => {
  it('adds, keeps unchanged, removes exactly what a run did not see, and re-adds', async () => {
    await createTable('snap_a');
    const spec = snapshotSpec(uniqueId('snap'), 'snap_a');

    const first = await t.h.runImport(spec);
    expect(first).toMatchObject({
      status: 'succeeded',
      rowsRead: 5,
      created: 6,
      unchanged: 0,
      removed: 0,
      rejected: 0,
      snapshotRemoval: 'removed',
    });
    expect(await members(spec.id)).toEqual(['u1:big spenders', 'u1:vip', 'u2:vip', 'u3:churn', 'u4:vip', 'u5:churn']);

    // Nothing changed: the whole table is read again (not from the last position), and nothing is written but the sighting.
    const before = await t.h.store.query(
      'SELECT segment, id_value, updated_at, added_at FROM segment_memberships WHERE import_id = $1 ORDER BY 1, 2',
      [spec.id],
    );
    const again = await t.h.runImport(spec);
    expect(again).toMatchObject({ status: 'succeeded', rowsRead: 5, created: 0, updated: 0, unchanged: 6, removed: 0 });
    const after = await t.h.store.query(
      'SELECT segment, id_value, updated_at, added_at FROM segment_memberships WHERE import_id = $1 ORDER BY 1, 2',
      [spec.id],
    );
    expect(after.rows).toEqual(before.rows);
    const seen = await t.h.store.query('SELECT DISTINCT last_seen_run FROM segment_memberships WHERE import_id = $1', [
      spec.id,
    ]);
    expect(seen.rows).toEqual([{ last_seen_run: String(again.runId) }]);

    // u3's row is gone, u1 left "big spenders", u4 is in no segment (an empty array), u5 left its last member's segment.
    await t.h.source.query(`DELETE FROM snap_a WHERE uid IN ('u3', 'u5')`);
    await t.h.source.query(`UPDATE snap_a SET segs = '{vip}' WHERE uid = 'u1'`);
    await t.h.source.query(`UPDATE snap_a SET segs = '{}' WHERE uid = 'u4'`);
    const third = await t.h.runImport(spec);
    // Unchanged: u1's and u2's vip, and u4's empty row itself (its user's memberships go as removals).
    expect(third).toMatchObject({
      status: 'succeeded',
      rowsRead: 3,
      created: 0,
      updated: 0,
      unchanged: 3,
      removed: 4,
      snapshotRemoval: 'removed',
    });
    expect(await members(spec.id)).toEqual(['u1:vip', 'u2:vip']);
    const gone = await t.h.store.query(
      `SELECT id_value, segment, member, removed_at IS NOT NULL AS has_removed_at FROM segment_memberships
       WHERE import_id = $1 AND NOT member ORDER BY 1, 2`,
      [spec.id],
    );
    expect(gone.rows).toEqual([
      { id_value: 'u1', segment: 'big spenders', member: false, has_removed_at: true },
      { id_value: 'u3', segment: 'churn', member: false, has_removed_at: true },
      { id_value: 'u4', segment: 'vip', member: false, has_removed_at: true },
      { id_value: 'u5', segment: 'churn', member: false, has_removed_at: true },
    ]);

    // Back in the source: re-added (an update of the removed membership).
    await t.h.source.query(`INSERT INTO snap_a VALUES (3, 'u3', '{churn}', '2026-01-02')`);
    expect(await t.h.runImport(spec)).toMatchObject({
      status: 'succeeded',
      rowsRead: 4,
      updated: 1,
      unchanged: 3,
      removed: 0,
    });
    expect(await members(spec.id)).toEqual(['u1:vip', 'u2:vip', 'u3:churn']);
    // The incremental position is never used (each run has its own stream, dropped when it ends).
    const positions = await t.h.store.query("SELECT stream FROM positions WHERE import_id = $1 AND stream <> ''", [
      spec.id,
    ]);
    expect(positions.rows).toEqual([]);
  });

  it('removes nothing when a row is rejected (its user keeps every membership), a cursor is NULL, the run is stopped, or the source returns no rows', async () => {
    await createTable('snap_b');
    const spec = snapshotSpec(uniqueId('snapbad'), 'snap_b');
    expect(await t.h.runImport(spec)).toMatchObject({ status: 'succeeded', created: 6 });

    // u2's row turns bad (NULL segment), and u5's row is gone: the run loads what it can and removes nothing.
    await t.h.source.query(`UPDATE snap_b SET segs = NULL WHERE uid = 'u2'`);
    await t.h.source.query(`DELETE FROM snap_b WHERE uid = 'u5'`);
    await t.h.source.query(`INSERT INTO snap_b VALUES (6, 'u6', '{new}', '2026-01-04')`);
    const bad = await t.h.runImport(spec);
    expect(bad).toMatchObject({ status: 'partially_succeeded', rowsRead: 5, rejected: 1, created: 1, removed: 0 });
    expect(bad.snapshotRemoval).toMatch(/^nothing removed: 1 row was rejected/);
    expect(await members(spec.id)).toEqual([
      'u1:big spenders',
      'u1:vip',
      'u2:vip',
      'u3:churn',
      'u4:vip',
      'u5:churn',
      'u6:new',
    ]);

    // Fixed: the next run removes what the source no longer holds.
    await t.h.source.query(`UPDATE snap_b SET segs = '{vip}' WHERE uid = 'u2'`);
    expect(await t.h.runImport(spec)).toMatchObject({
      status: 'succeeded',
      rejected: 0,
      removed: 1,
      snapshotRemoval: 'removed',
    });
    expect(await members(spec.id)).toEqual(['u1:big spenders', 'u1:vip', 'u2:vip', 'u3:churn', 'u4:vip', 'u6:new']);

    // A row with a NULL cursor cannot be read: its user's memberships must not go, so nothing is removed.
    await t.h.source.query(`DELETE FROM snap_b WHERE uid = 'u6'`);
    await t.h.source.query(`UPDATE snap_b SET updated_at = NULL WHERE uid = 'u4'`);
    const nulls = await t.h.runImport(spec);
    expect(nulls).toMatchObject({ status: 'partially_succeeded', rowsRead: 3, nullCursor: 1, removed: 0 });
    expect(nulls.snapshotRemoval).toMatch(/^nothing removed: 1 row has a NULL cursor/);
    expect(await members(spec.id)).toEqual(['u1:big spenders', 'u1:vip', 'u2:vip', 'u3:churn', 'u4:vip', 'u6:new']);

    // A stopped run removes nothing.
    const handle = await t.h.startImport(spec);
    await handle.signal(pauseSignal);
    await waitFor(
      'paused',
      () => handle.query(progressQuery),
      (p) => p.stage === 'paused',
      30_000,
    );
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const stopped = await t.h.store.query(
      'SELECT status, removed, snapshot_removal FROM runs WHERE import_id = $1 ORDER BY id DESC LIMIT 1',
      [spec.id],
    );
    expect(stopped.rows[0]).toMatchObject({
      status: 'cancelled',
      removed: '0',
      snapshot_removal: expect.stringMatching(/^nothing removed: the run was stopped/),
    });
    expect(await members(spec.id)).toHaveLength(6);

    // An empty source is refused as suspicious: every membership stays.
    await t.h.source.query('TRUNCATE snap_b');
    const empty = await t.h.runImport(spec);
    expect(empty).toMatchObject({ status: 'partially_succeeded', rowsRead: 0, removed: 0 });
    expect(empty.snapshotRemoval).toMatch(/^nothing removed: the source returned no rows/);
    expect(await members(spec.id)).toHaveLength(6);
  });

  it('removes once, atomically, whatever is retried; a failed run or a late batch of an old run removes nothing', async () => {
    await createTable('snap_c');
    const spec = parseImportSpec(snapshotSpec(uniqueId('snapretry'), 'snap_c'));
    const run = async (name: string) => {
      const begun = await activities.beginRun({
        spec,
        workflowId: `import:${spec.id}`,
        workflowRunId: `${name}-${spec.id}`,
      });
      // beginRun retried: the same run.
      expect(
        (await activities.beginRun({ spec, workflowId: `import:${spec.id}`, workflowRunId: `${name}-${spec.id}` }))
          .runId,
      ).toBe(begun.runId);
      return begun;
    };
    const drain = async (runId: number, upperBound: string) => {
      for (;;) if ((await activities.importBatch({ importId: spec.id, runId, upperBound })).done) return;
    };

    const a = await run('a');
    await drain(a.runId, a.upperBound!);
    const doneA = await activities.finishRun({ runId: a.runId, outcome: 'completed' });
    expect(doneA).toMatchObject({ status: 'succeeded', created: 6, removed: 0 });

    // A run that fails half way removes nothing, even if finishRun is then called again as "completed".
    await t.h.source.query(`DELETE FROM snap_c WHERE uid IN ('u1', 'u2')`);
    const b = await run('b');
    await activities.importBatch({ importId: spec.id, runId: b.runId, upperBound: b.upperBound! });
    expect(await activities.finishRun({ runId: b.runId, outcome: 'failed', error: 'worker lost' })).toMatchObject({
      status: 'failed',
      removed: 0,
    });
    expect(await activities.finishRun({ runId: b.runId, outcome: 'completed' })).toMatchObject({
      status: 'failed',
      removed: 0,
    });
    // A late batch of the failed run loads nothing.
    expect(
      await activities.importBatch({ importId: spec.id, runId: b.runId, upperBound: b.upperBound! }),
    ).toMatchObject({ rows: 0, done: true });
    expect(await members(spec.id)).toHaveLength(6);

    // An old run (begun, never ended) is overtaken by a newer one; its batches committing late must not
    // make the newer run's sightings look old.
    const stale = await run('stale');
    const c = await run('c');
    await drain(c.runId, c.upperBound!);
    await drain(stale.runId, stale.upperBound!);
    const seen = await t.h.store.query(
      'SELECT DISTINCT last_seen_run FROM segment_memberships WHERE import_id = $1 AND id_value IN ($2, $3, $4)',
      [spec.id, 'u3', 'u4', 'u5'],
    );
    expect(seen.rows).toEqual([{ last_seen_run: String(c.runId) }]);

    // The removal, retried (a lost reply): once, with the same counts.
    const doneC = await activities.finishRun({ runId: c.runId, outcome: 'completed' });
    expect(doneC).toMatchObject({
      status: 'succeeded',
      rowsRead: 3,
      unchanged: 3,
      removed: 3,
      snapshotRemoval: 'removed',
    });
    expect(await activities.finishRun({ runId: c.runId, outcome: 'completed' })).toEqual(doneC);
    expect(await members(spec.id)).toEqual(['u3:churn', 'u4:vip', 'u5:churn']);
    expect(
      (
        await t.h.store.query(
          'SELECT count(*)::int AS n FROM segment_memberships WHERE import_id = $1 AND NOT member',
          [spec.id],
        )
      ).rows[0].n,
    ).toBe(3);
  });

  it('a batch that fails after the run committed others is retried by Temporal; the removal is still exact', async () => {
    await createTable('snap_e');
    // Paged by the primary key (a sequence cursor), as the README advises for snapshot imports.
    const spec = { ...snapshotSpec(uniqueId('snapflaky'), 'snap_e'), cursor: { column: 'id', key: 'id' } };
    expect(await t.h.runImport(spec)).toMatchObject({ status: 'succeeded', created: 6 });
    await t.h.source.query(`DELETE FROM snap_e WHERE uid = 'u5'`);
    // The store refuses the second membership write from now on, once: batch 2 fails after batch 1 committed.
    // A sequence, not a table: its count survives the failed transaction's rollback.
    await t.h.store.query(`
      CREATE SEQUENCE snap_fail_seq;
      CREATE FUNCTION snap_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('snap_fail_seq') = 2 THEN RAISE EXCEPTION 'injected failure of a batch'; END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER snap_fail_once AFTER INSERT ON segment_memberships FOR EACH STATEMENT EXECUTE FUNCTION snap_fail_once();`);
    try {
      const run = await t.h.runImport(spec);
      expect(run).toMatchObject({
        status: 'succeeded',
        rowsRead: 4,
        created: 0,
        updated: 0,
        unchanged: 5,
        removed: 1,
        rejected: 0,
        snapshotRemoval: 'removed',
      });
      expect(
        Number((await t.h.store.query('SELECT last_value FROM snap_fail_seq')).rows[0].last_value),
      ).toBeGreaterThanOrEqual(3);
    } finally {
      await t.h.store.query(
        'DROP TRIGGER snap_fail_once ON segment_memberships; DROP FUNCTION snap_fail_once(); DROP SEQUENCE snap_fail_seq',
      );
    }
    expect(await members(spec.id)).toEqual(['u1:big spenders', 'u1:vip', 'u2:vip', 'u3:churn', 'u4:vip']);
  });

  it('refuses backfills and names the field of a bad spec, over the API', async () => {
    await createTable('snap_d');
    const src = new URL(t.h.sourceUrl);
    const connection = await t.req('POST', '/connections', {
      body: {
        id: 'snap-db',
        name: 'Warehouse',
        kind: 'postgres',
        host: src.hostname,
        port: Number(src.port),
        database: src.pathname.slice(1),
        user: decodeURIComponent(src.username),
        password: decodeURIComponent(src.password),
      },
    });
    expect(connection.status, connection.text).toBe(201);
    const id = uniqueId('snapapi');
    const body = { ...snapshotSpec(id, 'snap_d'), source: { connection: 'snap-db', table: 'snap_d' } };
    const bad = await t.req('POST', '/imports', { body: { ...body, sync: 'full' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('sync');
    const folder = await t.req('POST', '/imports', {
      body: { ...body, source: { connection: 'snap-db', folder: { path: 'in', format: 'csv' } } },
    });
    expect(folder.status).toBe(400);
    expect(folder.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'sync', message: expect.stringMatching(/not source.folder/) }),
      ]),
    );

    const created = await t.req('POST', '/imports', { body });
    expect(created.status, created.text).toBe(201);
    const refused = await t.req('POST', `/imports/${id}/backfills`, { body: { to: '2026-01-02T00:00:00Z' } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'sync' })]);
    expect(refused.body.detail).toMatch(/sync "snapshot".*takes no backfill/);

    // Behind the API too: the backfill's planning and a run over a partition's stream refuse it.
    const spec = parseImportSpec(body);
    await expect(
      activities.planBackfill({
        spec,
        backfillId: 'x',
        workflowId: 'w',
        from: null,
        to: null,
        partitions: null,
        streamPrefix: 'backfill:x:',
      }),
    ).rejects.toThrow(/sync "snapshot"/);
    await expect(
      activities.beginRun({
        spec,
        workflowId: 'w',
        workflowRunId: `bf-${id}`,
        scope: { stream: 'backfill:x:0', after: null, upperBound: null },
      }),
    ).rejects.toThrow(/sync "snapshot"/);
  });
});

describe('snapshot segments from a file', () => {
  it('reads the whole file each run and removes what a replaced file no longer lists', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tributary-snap-'));
    const fh = await createHarness('snapfile', { connections: { files: pathToFileURL(dir).toString() } });
    try {
      const file = path.join(dir, 'audiences.csv');
      await writeFile(file, 'uid,segs\nu1,"[""vip"",""eu""]"\nu2,"[""vip""]"\nu3,"[""churn""]"\n');
      const spec = {
        id: uniqueId('snapfile'),
        name: 'audiences',
        dataType: 'segments' as const,
        sync: 'snapshot' as const,
        batchSize: 2,
        source: { connection: 'files', file: { path: 'audiences.csv', format: 'csv' as const } },
        cursor: { column: '_line', key: '_source' },
        mapping: { userId: { column: 'uid' }, segment: { column: 'segs', array: true } },
      };
      expect(await fh.runImport(spec)).toMatchObject({ status: 'succeeded', rowsRead: 3, created: 4, removed: 0 });
      await writeFile(file, 'uid,segs\nu1,"[""vip""]"\nu3,"[""churn""]"\n');
      expect(await fh.runImport(spec)).toMatchObject({
        status: 'succeeded',
        rowsRead: 2,
        unchanged: 2,
        removed: 2,
        snapshotRemoval: 'removed',
      });
      const r = await fh.store.query(
        'SELECT id_value, segment FROM segment_memberships WHERE import_id = $1 AND member ORDER BY 1, 2',
        [spec.id],
      );
      expect(r.rows).toEqual([
        { id_value: 'u1', segment: 'vip' },
        { id_value: 'u3', segment: 'churn' },
      ]);
    } finally {
      await fh.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
