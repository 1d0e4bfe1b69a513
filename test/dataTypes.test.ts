/** Each data type imported end to end through the workflow; counts and contents checked in the store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import type { ActivityDeps } from '../engine/deps';
import { purgeImportActivity } from '../activities/purge';
import { eventMemoryKey } from '../dataTypes/activity/eventKey';
import { createHash } from 'node:crypto';
import { legacyCanonicalJson } from '../domain/canonicalJson';
import type pg from 'pg';
import { profileLoader } from '../dataTypes/profile/merge';
import { profileType } from '../dataTypes/profile/profile';
import { stageTableColumns } from '../dataTypes/dataType';
import type { ImportSpec } from '../domain/importSpec';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('types');
});
afterAll(async () => {
  await h?.close();
});

const base = (id: string, table: string) => ({
  id,
  name: `test ${id}`,
  source: { connection: 'warehouse', table },
  cursor: { column: 'updated_at', key: 'id' },
});

describe('profiles', () => {
  it('upserts attributes, detects unchanged rows, applies the last row per user, and honours modes', async () => {
    await h.source.query(`CREATE TABLE users (id int PRIMARY KEY, email text, name text, age int, vip boolean,
      signed_up timestamptz, updated_at timestamptz NOT NULL)`);
    await h.source.query(`INSERT INTO users VALUES
      (1, ' Ann@Example.com ', 'Ann', 31, true, '2024-01-02 03:04:05.123456+00', '2026-01-01'),
      (2, 'bob@example.com', 'Bob', 40, false, '2024-02-01 00:00:00+00', '2026-01-01'),
      (3, 'bob@example.com', 'Bobby', 41, false, '2024-02-01 00:00:00+00', '2026-01-02'),
      (4, 'cy@example.com', 'Cy', NULL, NULL, NULL, '2026-01-03')`);
    const spec = {
      ...base(uniqueId('profiles'), 'users'),
      dataType: 'profile' as const,
      identifiers: { lowerCase: true },
      mapping: {
        userId: { column: 'email' },
        idType: { value: 'email' },
        attributes: [
          { column: 'name', type: 'string' as const },
          { column: 'age', type: 'number' as const },
          { column: 'vip', type: 'boolean' as const },
          { column: 'signed_up', type: 'timestamp' as const },
        ],
      },
    };
    const first = await h.runImport(spec);
    expect(first).toMatchObject({
      status: 'succeeded',
      rowsRead: 4,
      created: 3,
      updated: 1,
      unchanged: 0,
      rejected: 0,
      profilesCreated: 3,
    });
    const ann = await h.store.query(
      `SELECT attributes FROM profiles WHERE id_type = 'email' AND id_value = 'ann@example.com'`,
    );
    expect(ann.rows[0].attributes).toEqual({
      name: 'Ann',
      age: 31,
      vip: true,
      signed_up: '2024-01-02T03:04:05.123456Z',
    });
    const bob = await h.store.query(`SELECT attributes FROM profiles WHERE id_value = 'bob@example.com'`);
    expect(bob.rows[0].attributes).toMatchObject({ name: 'Bobby', age: 41 }); // last row in cursor order wins

    // Same rows again (a fresh run reads from the start after a position reset): nothing changes.
    await h.store.query('UPDATE positions SET cursor_value = NULL, key_value = NULL WHERE import_id = $1', [spec.id]);
    const again = await h.runImport(spec);
    expect(again).toMatchObject({ status: 'succeeded', rowsRead: 4, created: 0, updated: 0, unchanged: 4 });

    // A changed row is an update; the position moves on so only the new row is read.
    await h.source.query(`UPDATE users SET name = 'Ann B', updated_at = '2026-02-01' WHERE id = 1`);
    const third = await h.runImport(spec);
    expect(third).toMatchObject({ rowsRead: 1, updated: 1, created: 0, unchanged: 0 });
    expect(await count(h.store, `SELECT count(*) FROM profile_attributes WHERE import_id = $1`, [spec.id])).toBe(3);

    // insert-only never touches existing users; update-only never creates users.
    await h.source.query(`CREATE TABLE users2 (id int PRIMARY KEY, email text, name text, updated_at timestamptz)`);
    await h.source.query(
      `INSERT INTO users2 VALUES (1, 'ann@example.com', 'changed', '2026-03-01'), (2, 'new@example.com', 'New', '2026-03-01')`,
    );
    const m = { userId: { column: 'email' }, idType: { value: 'email' }, attributes: [{ column: 'name' }] };
    const insertOnly = await h.runImport({
      ...base(uniqueId('ins'), 'users2'),
      dataType: 'profile',
      mode: 'insert-only',
      mapping: m,
    });
    expect(insertOnly).toMatchObject({ created: 1, skipped: 1, updated: 0 });
    const updateOnly = await h.runImport({
      ...base(uniqueId('upd'), 'users2'),
      dataType: 'profile',
      mode: 'update-only',
      mapping: m,
    });
    expect(updateOnly).toMatchObject({ created: 0, updated: 2, skipped: 0 }); // both exist by now
    await h.source.query(`INSERT INTO users2 VALUES (3, 'ghost@example.com', 'Ghost', '2026-03-02')`);
    const updateOnly2 = await h.runImport({
      ...base(uniqueId('upd2'), 'users2'),
      dataType: 'profile',
      mode: 'update-only',
      mapping: m,
    });
    expect(updateOnly2).toMatchObject({ skipped: 1 });
    expect(await count(h.store, `SELECT count(*) FROM identities WHERE id_value = 'ghost@example.com'`)).toBe(0);
  });
});

describe('activity', () => {
  it('appends events, deduplicates per user on type, µs timestamp and typed properties, creates unseen users', async () => {
    await h.source.query(
      `CREATE TABLE acts (id int PRIMARY KEY, uid text, kind text, at text, props_amount text, props_num numeric, updated_at timestamptz)`,
    );
    await h.source.query(`INSERT INTO acts VALUES
      (1, 'u1', 'buy', '2026-01-01T10:00:00.000001Z', '1', 1, '2026-01-01'),
      (2, 'u1', 'buy', '2026-01-01T10:00:00.000001Z', '1', 1, '2026-01-01'),  -- duplicate of 1
      (3, 'u1', 'buy', '2026-01-01T10:00:00.000002Z', '1', 1, '2026-01-01'),  -- 1 µs later: new
      (4, 'u2', 'buy', '2026-01-01T10:00:00.000001Z', '1', 1, '2026-01-01'),  -- other user: new
      (5, 'u1', 'view', '2026-01-01T10:00:00.000001Z', '1', 1, '2026-01-01'), -- other type: new
      (6, 'u1', 'buy', '1767261600', '1', 1, '2026-01-02'),                    -- epoch seconds
      (7, 'u1', 'buy', '01/01/2026 10:00:00', '1', 1, '2026-01-02')            -- same instant as 6: duplicate`);
    const spec = {
      ...base(uniqueId('acts'), 'acts'),
      dataType: 'activity' as const,
      mapping: {
        userId: { column: 'uid' },
        eventType: { column: 'kind' },
        timestamp: { column: 'at' },
        properties: [{ column: 'props_amount', property: 'amount', type: 'string' as const }],
      },
    };
    const run = await h.runImport(spec);
    expect(run).toMatchObject({
      status: 'succeeded',
      rowsRead: 7,
      created: 5,
      duplicates: 2,
      rejected: 0,
      profilesCreated: 2,
    });
    const ev = await h.store.query(
      `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at, properties
      FROM events WHERE import_id = $1 AND id_value = 'u1' AND event_type = 'buy' ORDER BY occurred_at`,
      [spec.id],
    );
    expect(ev.rows.map((r) => r.at)).toEqual([
      '2026-01-01 10:00:00.000000',
      '2026-01-01 10:00:00.000001',
      '2026-01-01 10:00:00.000002',
    ]);
    expect(ev.rows[0].properties).toEqual({ amount: '1' });

    // The same property typed as a number is a different event: 1 and "1" differ.
    const typed = await h.runImport({
      ...spec,
      id: uniqueId('acts-typed'),
      mapping: { ...spec.mapping, properties: [{ column: 'props_num', property: 'amount', type: 'number' as const }] },
    });
    expect(typed).toMatchObject({ created: 5, duplicates: 2 });

    // Re-running over the same rows duplicates nothing.
    await h.store.query('UPDATE positions SET cursor_value = NULL, key_value = NULL WHERE import_id = $1', [spec.id]);
    const again = await h.runImport(spec);
    expect(again).toMatchObject({ rowsRead: 7, created: 0, duplicates: 7 });
    expect(await count(h.store, 'SELECT count(*) FROM events WHERE import_id = $1', [spec.id])).toBe(5);

    // Past the dedup window the event is new again (window renewed on each sighting).
    // (The memory's key is computed by the worker; the store's event_memory_key must find the same.)
    const aged = await h.store.query(
      `UPDATE event_dedup SET last_seen_at = last_seen_at - interval '91 days'
      WHERE memory_key IN (SELECT event_memory_key(id_type, id_value, dedup_key, occurred_at) FROM events WHERE import_id = $1 AND id_value = 'u2')`,
      [spec.id],
    );
    expect(aged.rowCount).toBe(1);
    await h.store.query('UPDATE positions SET cursor_value = NULL, key_value = NULL WHERE import_id = $1', [spec.id]);
    const afterWindow = await h.runImport(spec);
    expect(afterWindow).toMatchObject({ created: 1, duplicates: 6 });

    // Purging the import forgets the keys only its events held (found through the events, by event_memory_key).
    const keysOf = async (id: string) =>
      (
        await h.store.query(
          `SELECT d.memory_key FROM event_dedup d
      WHERE d.memory_key IN (SELECT event_memory_key(id_type, id_value, dedup_key, occurred_at) FROM events WHERE import_id = $1)`,
          [id],
        )
      ).rows.map((r) => r.memory_key as string);
    const keys = await keysOf(spec.id);
    expect(keys).toHaveLength(5);
    await h.store.query('UPDATE imports SET deleted_at = now() WHERE id = $1', [spec.id]);
    const purged = await purgeImportActivity({ store: h.store } as unknown as ActivityDeps)({ importId: spec.id });
    expect(purged.removed).toMatchObject({ event_dedup: 5, events: 6 });
    expect(await count(h.store, 'SELECT count(*) FROM event_dedup WHERE memory_key = ANY($1::uuid[])', [keys])).toBe(0);
  });

  it('creates users again that were purged after the worker remembered them (the identities epoch)', async () => {
    // The worker remembers across batches which users the store holds, and stages only the others. A purge
    // removes identifiers and moves the store's epoch, so the next batch forgets and creates them again.
    await h.source.query(
      'CREATE TABLE acts_known (id int PRIMARY KEY, uid text, kind text, at text, updated_at timestamptz)',
    );
    await h.source.query(`INSERT INTO acts_known
      SELECT g, 'known_' || (g % 3), 'view', '2026-01-01T10:00:00.00000' || g || 'Z', '2026-01-01' FROM generate_series(1, 6) g`);
    const spec = {
      ...base(uniqueId('acts-known'), 'acts_known'),
      dataType: 'activity' as const,
      batchSize: 2,
      mapping: {
        userId: { column: 'uid' },
        eventType: { column: 'kind' },
        timestamp: { column: 'at' },
        properties: [],
      },
    };
    const epoch = async () => count(h.store, "SELECT epoch FROM store_epochs WHERE name = 'identities'");
    const first = await h.runImport(spec);
    expect(first).toMatchObject({ status: 'succeeded', rowsRead: 6, created: 6, profilesCreated: 3, batches: 3 });
    const before = await epoch();
    await h.store.query('UPDATE imports SET deleted_at = now() WHERE id = $1', [spec.id]);
    const purged = await purgeImportActivity({ store: h.store } as unknown as ActivityDeps)({ importId: spec.id });
    expect(purged.removed).toMatchObject({ identities: 3, events: 6 });
    expect(await epoch()).toBeGreaterThan(before);

    // The same worker, the same users, in batches of two: each user is created again, once.
    const spec2 = { ...spec, id: uniqueId('acts-known2') };
    const again = await h.runImport(spec2);
    expect(again).toMatchObject({ status: 'succeeded', rowsRead: 6, created: 6, duplicates: 0, profilesCreated: 3 });
    expect(await count(h.store, "SELECT count(*) FROM identities WHERE id_value LIKE 'known\\_%'")).toBe(3);

    // Any other removal moves the epoch too (a trigger on identities).
    const beforeDelete = await epoch();
    await h.store.query("DELETE FROM identities WHERE id_value = 'known_1'");
    expect(await epoch()).toBe(beforeDelete + 1);
    await h.source.query(`INSERT INTO acts_known VALUES (7, 'known_1', 'view', '2026-01-02T00:00:00Z', '2026-01-02')`);
    const third = await h.runImport(spec2);
    expect(third).toMatchObject({ status: 'succeeded', rowsRead: 1, created: 1, profilesCreated: 1 });
    expect(await count(h.store, "SELECT count(*) FROM identities WHERE id_value = 'known_1'")).toBe(1);
  });
});

describe('JSON properties', () => {
  it('keep every digit of their numbers; a number the store cannot hold is a row error; the dedup key is unchanged', async () => {
    await h.source.query(
      `CREATE TABLE json_acts (id int PRIMARY KEY, uid text, at timestamptz, ctx text, updated_at timestamptz)`,
    );
    const exact =
      '{"order_id": 12345678901234567890, "ratio": 0.1000000000000000055511151231257827, "tiny": 1e-400, "n": 1.50}';
    await h.source.query(
      `INSERT INTO json_acts VALUES
      (1, 'j1', '2026-01-01T10:00:00Z', $1, '2026-01-01'),
      (2, 'j1', '2026-01-01T10:00:00Z', '{ "n":1.5, "tiny":1E-400,"ratio":1.000000000000000055511151231257827e-1,"order_id":12345678901234567890 }', '2026-01-01'),
      (3, 'j1', '2026-01-01T10:00:00Z', '{"big": 1e131072}', '2026-01-01'),
      (4, 'j1', '2026-01-01T10:00:00Z', '{"order_id": 12345678901234567891}', '2026-01-01')`,
      [exact],
    );
    const spec = {
      ...base(uniqueId('json'), 'json_acts'),
      dataType: 'activity' as const,
      mapping: {
        userId: { column: 'uid' },
        eventType: { value: 'order' },
        timestamp: { column: 'at' },
        properties: [{ column: 'ctx', type: 'json' as const }],
      },
    };
    const run = await h.runImport(spec);
    // Row 2 is row 1 written differently (key order, spacing, notation): a duplicate.
    expect(run).toMatchObject({ status: 'partially_succeeded', rowsRead: 4, created: 2, duplicates: 1, rejected: 1 });
    const ev = await h.store.query(
      `SELECT properties::text AS p, dedup_key::text AS k FROM events WHERE import_id = $1 ORDER BY properties::text`,
      [spec.id],
    );
    // jsonb holds the numbers as numeric: every digit, as the worker rendered them.
    expect(ev.rows.map((r) => r.p)).toEqual([
      '{"ctx": {"n": 1.5, "tiny": 1e-400, "ratio": 0.1000000000000000055511151231257827, "order_id": 12345678901234567890}}'.replace(
        '1e-400',
        `0.${'0'.repeat(399)}1`,
      ),
      '{"ctx": {"order_id": 12345678901234567891}}',
    ]);
    // The dedup key is computed from the rendering earlier versions used (numbers through doubles), so
    // events they loaded are still known: row 1's key is that of its legacy text.
    const legacy = legacyCanonicalJson({ ctx: JSON.parse(exact) });
    expect(legacy).toBe('{"ctx":{"n":1.5,"order_id":12345678901234567000,"ratio":0.1,"tiny":0}}');
    const expectedKey = createHash('md5').update(`order\u001f2026-01-01T10:00:00.000000Z\u001f${legacy}`).digest('hex');
    expect(ev.rows[0].k.replaceAll('-', '')).toBe(expectedKey);
    const errors = await h.store.query('SELECT source_key, column_name, reason FROM row_errors WHERE run_id = $1', [
      run.runId,
    ]);
    expect(errors.rows).toEqual([
      {
        source_key: '3',
        column_name: 'ctx',
        reason:
          "JSON holds a number out of the store's range (at most 131,072 digits before the point, 16,383 after): 1e131072",
      },
    ]);
  });
});

describe('Postgres arrays', () => {
  it('mapped as json arrive as JSON arrays (empty, nested, NULL items); NaN in a float array is a row error; as strings they keep their text', async () => {
    await h.source
      .query(`CREATE TABLE arrays (id int PRIMARY KEY, uid text, tags text[], grid int[], xs float8[], ds numeric[],
      raw text[], updated_at timestamptz)`);
    await h.source.query(`INSERT INTO arrays VALUES
      (1, 'u1', '{}', '{{1,2},{3,4}}', '{1.5,-0.25}', '{12345678901234567890.5}', '{a,b}', '2026-01-01'),
      (2, 'u2', '{a,b}', '{}', '{}', '{}', '{}', '2026-01-01'),
      (3, 'u3', '{"x y",NULL,"{q}"}', NULL, NULL, NULL, '{"x y"}', '2026-01-01'),
      (4, 'u4', '{c}', '{1}', '{1.5,NaN}', '{1}', '{c}', '2026-01-01'),
      (5, 'u5', '{c}', '{1}', '{{-Infinity}}', '{1}', '{c}', '2026-01-01'),
      (6, 'u6', '{c}', '{1}', '{1}', '{NaN}', '{c}', '2026-01-01')`);
    const spec = {
      ...base(uniqueId('arrays'), 'arrays'),
      dataType: 'profile' as const,
      mapping: {
        userId: { column: 'uid' },
        idType: { value: 'uid' },
        attributes: [
          ...['tags', 'grid', 'xs', 'ds'].map((column) => ({ column, type: 'json' as const })),
          { column: 'raw', type: 'string' as const },
        ],
      },
    };
    const run = await h.runImport(spec);
    expect(run).toMatchObject({ status: 'partially_succeeded', rowsRead: 6, created: 3, rejected: 3 });
    const stored = await h.store.query(
      'SELECT id_value, attributes::text AS a FROM profile_attributes WHERE import_id = $1 ORDER BY 1',
      [spec.id],
    );
    expect(stored.rows).toEqual([
      {
        id_value: 'u1',
        a: '{"ds": [12345678901234567890.5], "xs": [1.5, -0.25], "raw": "{a,b}", "grid": [[1, 2], [3, 4]], "tags": []}',
      },
      { id_value: 'u2', a: '{"ds": [], "xs": [], "raw": "{}", "grid": [], "tags": ["a", "b"]}' },
      {
        id_value: 'u3',
        a: '{"ds": null, "xs": null, "raw": "{\\"x y\\"}", "grid": null, "tags": ["x y", null, "{q}"]}',
      },
    ]);
    const errors = await h.store.query(
      'SELECT source_key, column_name, reason FROM row_errors WHERE run_id = $1 ORDER BY source_key',
      [run.runId],
    );
    expect(errors.rows).toEqual([
      { source_key: '4', column_name: 'xs', reason: 'expected JSON, got "{1.5,NaN}"' },
      { source_key: '5', column_name: 'xs', reason: 'expected JSON, got "{{-Infinity}}"' },
      { source_key: '6', column_name: 'ds', reason: 'expected JSON, got "{NaN}"' },
    ]);
  });
});

describe('the dedup memory key', () => {
  it('is the same from the worker (eventMemoryKey) and from the store (event_memory_key), whatever the day', async () => {
    const ats = [
      '1970-01-01T00:00:00.000000Z',
      '1969-12-31T23:59:59.999999Z',
      '0001-01-01T00:00:00.000000Z',
      '1600-02-29T12:00:00.000001Z',
      '2000-02-29T23:59:59.999999Z',
      '2026-11-23T17:00:00.000000Z',
      '9999-12-31T23:59:59.999999Z',
    ];
    const eventKey = '0123456789abcdef0123456789abcdef';
    for (const at of ats) {
      const k = eventMemoryKey('email', 'a\tb\\é😀', eventKey, at);
      const r = await h.store.query(`SELECT event_memory_key('email', E'a\\tb\\\\é😀', $1, $2)::text AS k`, [
        eventKey,
        at,
      ]);
      expect(r.rows[0].k.replace(/-/g, ''), at).toBe(k);
    }
    // Days order the keys: the first 4 bytes are the day, offset by 2^31.
    expect(eventMemoryKey('t', 'u', eventKey, '1970-01-02T00:00:00.000000Z').slice(0, 8)).toBe('80000001');
    expect(eventMemoryKey('t', 'u', eventKey, '1969-12-31T00:00:00.000000Z').slice(0, 8)).toBe('7fffffff');
  });
});

describe('segments', () => {
  it('adds memberships from strings and arrays, and removes them with the removal column', async () => {
    await h.source.query(
      `CREATE TABLE seg (id int PRIMARY KEY, uid text, segs text[], gone boolean, updated_at timestamptz)`,
    );
    await h.source.query(`INSERT INTO seg VALUES
      (1, 'u1', '{vip,"big spenders"}', false, '2026-01-01'),
      (2, 'u2', '{vip}', false, '2026-01-01'),
      (3, 'u3', '{churn}', false, '2026-01-01')`);
    const spec = {
      ...base(uniqueId('seg'), 'seg'),
      dataType: 'segments' as const,
      mapping: { userId: { column: 'uid' }, segment: { column: 'segs', array: true }, removed: { column: 'gone' } },
    };
    const run = await h.runImport(spec);
    expect(run).toMatchObject({ status: 'succeeded', rowsRead: 3, created: 4, removed: 0 });
    await h.source.query(
      `INSERT INTO seg VALUES (4, 'u2', '{vip}', true, '2026-01-02'), (5, 'u1', '{vip}', false, '2026-01-02')`,
    );
    const second = await h.runImport(spec);
    expect(second).toMatchObject({ rowsRead: 2, removed: 1, unchanged: 1, created: 0 });
    const members = await h.store.query(
      `SELECT segment, id_value FROM segment_memberships WHERE import_id = $1 AND member ORDER BY 1, 2`,
      [spec.id],
    );
    expect(members.rows).toEqual([
      { segment: 'big spenders', id_value: 'u1' },
      { segment: 'churn', id_value: 'u3' },
      { segment: 'vip', id_value: 'u1' },
    ]);
    // Re-added after removal: an update.
    await h.source.query(`INSERT INTO seg VALUES (6, 'u2', '{vip}', false, '2026-01-03')`);
    expect(await h.runImport(spec)).toMatchObject({ updated: 1 });
  });
});

describe('identity', () => {
  it('joins identifiers into persons: A–B and C–D, then B–C makes one person', async () => {
    await h.source.query(
      `CREATE TABLE links (id int PRIMARY KEY, lt text, lv text, rt text, rv text, updated_at timestamptz)`,
    );
    await h.source.query(`INSERT INTO links VALUES
      (1, 'email', 'a@x.com', 'phone', '+100', '2026-01-01'),
      (2, 'email', 'c@x.com', 'device', 'D-1', '2026-01-01')`);
    const spec = {
      ...base(uniqueId('ident'), 'links'),
      dataType: 'identity' as const,
      mapping: {
        left: { idType: { column: 'lt' }, value: { column: 'lv' } },
        right: { idType: { column: 'rt' }, value: { column: 'rv' } },
      },
    };
    const first = await h.runImport(spec);
    expect(first).toMatchObject({ status: 'succeeded', created: 2, profilesCreated: 4 });
    const persons = () =>
      count(
        h.store,
        `SELECT count(DISTINCT person_id) FROM identities WHERE id_value IN ('a@x.com','+100','c@x.com','D-1')`,
      );
    expect(await persons()).toBe(2);
    await h.source.query(`INSERT INTO links VALUES (3, 'phone', '+100', 'email', 'c@x.com', '2026-01-02')`);
    const second = await h.runImport(spec);
    expect(second).toMatchObject({ created: 1, profilesCreated: 0 });
    expect(await persons()).toBe(1);
    expect(await count(h.store, 'SELECT count(*) FROM person_merges')).toBe(3); // A–B, C–D, then the two persons
    // The same link again changes nothing.
    await h.store.query('UPDATE positions SET cursor_value = NULL, key_value = NULL WHERE import_id = $1', [spec.id]);
    expect(await h.runImport(spec)).toMatchObject({ created: 0, unchanged: 3 });
    expect(await persons()).toBe(1);
  });
});

describe('group', () => {
  it('adds, updates (role) and removes group memberships', async () => {
    await h.source.query(
      `CREATE TABLE hh (id int PRIMARY KEY, hid text, uid text, role text, gone boolean, updated_at timestamptz)`,
    );
    await h.source.query(
      `INSERT INTO hh VALUES (1, 'H1', 'u1', 'owner', false, '2026-01-01'), (2, 'H1', 'u2', 'member', false, '2026-01-01')`,
    );
    const spec = {
      ...base(uniqueId('group'), 'hh'),
      dataType: 'group' as const,
      mapping: {
        userId: { column: 'uid' },
        groupId: { column: 'hid' },
        groupType: { value: 'household' },
        role: { column: 'role' },
        removed: { column: 'gone' },
      },
    };
    expect(await h.runImport(spec)).toMatchObject({ status: 'succeeded', created: 2 });
    await h.source.query(
      `INSERT INTO hh VALUES (3, 'H1', 'u2', 'owner', false, '2026-01-02'), (4, 'H1', 'u1', 'owner', true, '2026-01-02')`,
    );
    expect(await h.runImport(spec)).toMatchObject({ updated: 1, removed: 1 });
    const m = await h.store.query(
      `SELECT id_value, role, member FROM group_memberships WHERE import_id = $1 ORDER BY id_value`,
      [spec.id],
    );
    expect(m.rows).toEqual([
      { id_value: 'u1', role: 'owner', member: false },
      { id_value: 'u2', role: 'owner', member: true },
    ]);
  });
});

// Last in the file: its identity link adds a person merge, which the identity test above counts.
describe('repeated rows of one key in a batch', () => {
  it('count each row against the one before it, and insert-only keeps the first row, whatever the chunking', async () => {
    await h.source.query(
      `CREATE TABLE rep_users (id int PRIMARY KEY, email text, plan text, updated_at timestamptz NOT NULL)`,
    );
    await h.source.query(`INSERT INTO rep_users VALUES
      (1, 'r1@example.com', 'free', '2026-01-01'), (2, 'r1@example.com', 'free', '2026-01-02'),
      (3, 'r1@example.com', 'gold', '2026-01-03'), (4, 'r2@example.com', 'free', '2026-01-04'),
      (5, 'r2@example.com', 'gold', '2026-01-05')`);
    const mapping = { userId: { column: 'email' }, idType: { value: 'email' }, attributes: [{ column: 'plan' }] };
    const plan = async (id: string, email: string) =>
      (
        await h.store.query(
          `SELECT attributes->>'plan' AS plan FROM profile_attributes WHERE import_id = $1 AND id_value = $2`,
          [id, email],
        )
      ).rows[0]?.plan;
    // One batch, then one row per batch: the same counts and the same stored values.
    const forget = () => h.store.query(`DELETE FROM identities WHERE id_value IN ('r1@example.com', 'r2@example.com')`);
    for (const batchSize of [100, 1]) {
      await forget();
      const upsert = await h.runImport({
        ...base(uniqueId('rep-up'), 'rep_users'),
        dataType: 'profile',
        batchSize,
        mapping,
      });
      expect(upsert).toMatchObject({ rowsRead: 5, created: 2, updated: 2, unchanged: 1, skipped: 0 });
      const insertOnly = {
        ...base(uniqueId('rep-ins'), 'rep_users'),
        dataType: 'profile' as const,
        mode: 'insert-only' as const,
        batchSize,
        mapping,
      };
      await forget();
      const ins = await h.runImport(insertOnly);
      expect(ins).toMatchObject({ rowsRead: 5, created: 2, updated: 0, unchanged: 0, skipped: 3 });
      expect(await plan(insertOnly.id, 'r1@example.com')).toBe('free');
      expect(await plan(insertOnly.id, 'r2@example.com')).toBe('free');
    }

    // The same link twice, and a segments row with an empty array: rows that change nothing.
    await h.source.query(`CREATE TABLE rep_links (id int PRIMARY KEY, a text, b text, updated_at timestamptz)`);
    await h.source.query(`INSERT INTO rep_links VALUES (1, 'ra', 'rb', '2026-01-01'), (2, 'ra', 'rb', '2026-01-01')`);
    const links = await h.runImport({
      ...base(uniqueId('rep-links'), 'rep_links'),
      dataType: 'identity',
      mapping: {
        left: { idType: { value: 'external_id' }, value: { column: 'a' } },
        right: { idType: { value: 'external_id' }, value: { column: 'b' } },
      },
    });
    expect(links).toMatchObject({ rowsRead: 2, created: 1, updated: 0, unchanged: 1 });
    await h.source.query(`CREATE TABLE rep_segs (id int PRIMARY KEY, uid text, segs text[], updated_at timestamptz)`);
    await h.source.query(
      `INSERT INTO rep_segs VALUES (1, 'rs1', '{vip}', '2026-01-01'), (2, 'rs2', '{}', '2026-01-01')`,
    );
    const segs = await h.runImport({
      ...base(uniqueId('rep-segs'), 'rep_segs'),
      dataType: 'segments',
      mapping: { userId: { column: 'uid' }, segment: { column: 'segs', array: true } },
    });
    expect(segs).toMatchObject({ rowsRead: 2, created: 1, unchanged: 1, rejected: 0 });
  });
});

describe('two imports creating the same user at once', () => {
  it('the one that loses the race does not count it created; insert-only leaves it alone', async () => {
    const merge = async (client: pg.PoolClient, importId: string, mode: 'upsert' | 'insert-only', name: string) => {
      await client.query(
        `CREATE TEMP TABLE IF NOT EXISTS stage (seq integer, ${stageTableColumns(profileType.stage)}) ON COMMIT DROP`,
      );
      await client.query(`INSERT INTO stage VALUES (1, 'email', 'race@example.com', $1)`, [{ name }]);
      const spec = { dataType: 'profile', mode } as unknown as ImportSpec;
      return profileLoader.merge({ client, spec, importId, runId: 1 });
    };
    for (const mode of ['insert-only', 'upsert'] as const) {
      await h.store.query(`DELETE FROM identities WHERE id_value = 'race@example.com'`);
      const first = await h.store.connect();
      const second = await h.store.connect();
      try {
        const [a, b] = [uniqueId('race-a'), uniqueId(`race-${mode}`)];
        await first.query('BEGIN');
        expect(await merge(first, a, 'upsert', 'from a')).toMatchObject({ created: 1, profilesCreated: 1 });
        await second.query('BEGIN');
        // Waits on the first transaction's new identity, then finds it committed.
        const pending = merge(second, b, mode, `from ${mode}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await first.query('COMMIT');
        const counts = await pending;
        await second.query('COMMIT');
        expect(counts).toMatchObject(
          mode === 'insert-only'
            ? { created: 0, skipped: 1, updated: 0, profilesCreated: 0 }
            : { created: 0, updated: 1, skipped: 0, profilesCreated: 0 },
        );
        const rows = await h.store.query(
          `SELECT import_id FROM profile_attributes WHERE id_value = 'race@example.com' AND import_id = ANY($1) ORDER BY 1`,
          [[a, b]],
        );
        expect(rows.rows.map((r) => r.import_id)).toEqual(mode === 'insert-only' ? [a] : [a, b].sort());
      } finally {
        first.release();
        second.release();
      }
    }
  });
});
