/**
 * Deleting an import undoes the persons its identity links joined: identity imports run through the
 * workflow, the purge activity on the real store, persons read back from identities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, createHarness, type Harness, uniqueId } from './helpers/harness';
import type { ActivityDeps } from '../engine/deps';
import { purgeImportActivity } from '../activities/purge';
import { dataTypes } from '../dataTypes';
import { stageTableColumns } from '../dataTypes/dataType';
import { repairPersons } from '../store/personSplit';
import type { ImportSpec } from '../domain/importSpec';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('split');
});
afterAll(async () => {
  await h?.close();
});

/** An identity import of email–email links from its own source table; returns the import id. */
async function loadLinks(table: string, links: [string, string][]): Promise<string> {
  await h.source.query(
    `CREATE TABLE ${table} (id int PRIMARY KEY, lt text, lv text, rt text, rv text, updated_at timestamptz)`,
  );
  for (const [i, [l, r]] of links.entries()) {
    await h.source.query(`INSERT INTO ${table} VALUES ($1, 'email', $2, 'email', $3, '2026-01-01')`, [i + 1, l, r]);
  }
  const id = uniqueId(table);
  const run = await h.runImport({
    id,
    name: `links ${table}`,
    source: { connection: 'warehouse', table },
    cursor: { column: 'updated_at', key: 'id' },
    dataType: 'identity',
    mapping: {
      left: { idType: { column: 'lt' }, value: { column: 'lv' } },
      right: { idType: { column: 'rt' }, value: { column: 'rv' } },
    },
  });
  expect(run).toMatchObject({ status: 'succeeded', created: links.length });
  return id;
}

const purgeActivity = () => purgeImportActivity({ store: h.store } as unknown as ActivityDeps);
async function purge(importId: string) {
  await h.store.query('UPDATE imports SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL', [importId]);
  return purgeActivity()({ importId });
}

/** The persons of these email identifiers: each a sorted list of values, the lists sorted. */
async function persons(values: string[]): Promise<string[][]> {
  const res = await h.store.query<{ members: string[] }>(
    `SELECT array_agg(id_value ORDER BY id_value) AS members FROM identities
     WHERE id_type = 'email' AND id_value = ANY($1) GROUP BY person_id ORDER BY 1`,
    [values],
  );
  return res.rows.map((r) => r.members);
}
const personOf = async (value: string): Promise<string> =>
  (
    await h.store.query(`SELECT person_id::text AS p FROM identities WHERE id_type = 'email' AND id_value = $1`, [
      value,
    ])
  ).rows[0].p as string;

describe('purging an identity import splits the persons its links joined', () => {
  it('A–B and C–D by one import, B–C by another: purging the second leaves two persons', async () => {
    const ids = ['ra', 'rb', 'rc', 'rd'];
    const first = await loadLinks('lk_rev1', [
      ['ra', 'rb'],
      ['rc', 'rd'],
    ]);
    const second = await loadLinks('lk_rev2', [['rb', 'rc']]);
    expect(await persons(ids)).toEqual([ids]);
    const merged = await personOf('ra');

    const result = await purge(second);
    expect(result).toMatchObject({
      purged: true,
      removed: { identity_links: 1, identities: 0 },
      split: { persons: 1, created: 1, moved: 2 },
    });
    expect(await persons(ids)).toEqual([
      ['ra', 'rb'],
      ['rc', 'rd'],
    ]);
    // Two components of two: the one holding the oldest identifier (here ra, by id) keeps the person id.
    expect(await personOf('ra')).toBe(merged);
    const split = await h.store.query(
      'SELECT from_person::text, into_person::text, moved FROM person_splits WHERE import_id = $1',
      [second],
    );
    expect(split.rows).toEqual([{ from_person: merged, into_person: await personOf('rc'), moved: 2 }]);
    // The profiles view follows identities.
    const prof = await h.store.query(
      `SELECT id_value, person_id::text FROM profiles WHERE id_type = 'email' AND id_value = ANY($1) ORDER BY 1`,
      [ids],
    );
    expect(prof.rows.map((r) => r.person_id)).toEqual([merged, merged, await personOf('rc'), await personOf('rc')]);
    // The first import's links still stand: linking B–C again merges once more.
    expect(await count(h.store, 'SELECT count(*) FROM identity_links WHERE import_id = $1', [first])).toBe(2);
    await loadLinks('lk_rev3', [['rc', 'rb']]);
    expect(await persons(ids)).toEqual([ids]);
  });

  it('a chain held together by one import falls into three persons, the largest keeping its id', async () => {
    // c1–c2–c3 and c4–c5 and c6–c7 by one import; c3–c4 and c5–c6 by another.
    const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'];
    await loadLinks('lk_chain1', [
      ['c1', 'c2'],
      ['c2', 'c3'],
      ['c4', 'c5'],
      ['c6', 'c7'],
    ]);
    const joining = await loadLinks('lk_chain2', [
      ['c3', 'c4'],
      ['c5', 'c6'],
    ]);
    expect(await persons(ids)).toEqual([ids]);
    const merged = await personOf('c1');
    const before = await count(h.store, 'SELECT last_value FROM person_ids');

    const result = await purge(joining);
    expect(result).toMatchObject({
      removed: { identity_links: 2, identities: 0 },
      split: { persons: 1, created: 2, moved: 4 },
    });
    expect(await persons(ids)).toEqual([
      ['c1', 'c2', 'c3'],
      ['c4', 'c5'],
      ['c6', 'c7'],
    ]);
    expect(await personOf('c1')).toBe(merged); // the largest piece
    for (const v of ['c4', 'c6']) expect(Number(await personOf(v))).toBeGreaterThan(before); // new persons
  });

  it('an identifier only the purged links joined becomes a person of its own; one the import created goes', async () => {
    // s1 was created by some other import (a profile, say); z1 only by the purged import's link.
    await h.store.query(
      `INSERT INTO identities (id_type, id_value, person_id, import_id) VALUES ('email', 's1', nextval('person_ids'), 'elsewhere')`,
    );
    await loadLinks('lk_solo1', [['s2', 's3']]);
    const purged = await loadLinks('lk_solo2', [
      ['s1', 's2'],
      ['s3', 'z1'],
    ]);
    expect(await persons(['s1', 's2', 's3', 'z1'])).toEqual([['s1', 's2', 's3', 'z1']]);
    const result = await purge(purged);
    expect(result).toMatchObject({
      removed: { identity_links: 2, identities: 1 },
      split: { persons: 1, created: 1, moved: 1 },
    });
    expect(await persons(['s1', 's2', 's3', 'z1'])).toEqual([['s1'], ['s2', 's3']]);
  });

  it('a purge that removes no link a component needs splits nothing', async () => {
    // n1–n2–n3 by one import; n1–n3 (a cycle) and n1–n2 again (the same link) by another.
    const ids = ['n1', 'n2', 'n3'];
    await loadLinks('lk_none1', [
      ['n1', 'n2'],
      ['n2', 'n3'],
    ]);
    const redundant = await loadLinks('lk_none2', [
      ['n1', 'n3'],
      ['n1', 'n2'],
    ]);
    const person = await personOf('n1');
    const result = await purge(redundant);
    expect(result).toMatchObject({
      purged: true,
      removed: { identity_links: 2, identities: 0 },
      split: { persons: 0, created: 0, moved: 0 },
    });
    expect(await persons(ids)).toEqual([ids]);
    expect(await personOf('n2')).toBe(person);
    expect(await count(h.store, 'SELECT count(*) FROM person_splits WHERE import_id = $1', [redundant])).toBe(0);
  });

  it('a purge retried after failing part way splits once; a purge after it changes nothing', async () => {
    const ids = ['ta', 'tb', 'tc', 'td'];
    await loadLinks('lk_retry1', [
      ['ta', 'tb'],
      ['tc', 'td'],
    ]);
    const joining = await loadLinks('lk_retry2', [['tb', 'tc']]);
    // The first attempt fails after the split (deleting the runs, a later step): all of it rolls back.
    await h.store.query('CREATE SEQUENCE purge_attempts');
    await h.store.query(`CREATE FUNCTION fail_first_purge() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF nextval('purge_attempts') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NULL; END $$`);
    await h.store.query(
      'CREATE TRIGGER fail_first_purge AFTER DELETE ON runs FOR EACH STATEMENT EXECUTE FUNCTION fail_first_purge()',
    );
    try {
      await expect(purge(joining)).rejects.toThrow(/injected failure/);
      expect(await persons(ids)).toEqual([ids]);
      expect(await count(h.store, 'SELECT count(*) FROM identity_links WHERE import_id = $1', [joining])).toBe(1);
      expect(await count(h.store, 'SELECT count(*) FROM person_splits WHERE import_id = $1', [joining])).toBe(0);

      const retried = await purge(joining);
      expect(retried).toMatchObject({
        purged: true,
        removed: { identity_links: 1 },
        split: { persons: 1, created: 1, moved: 2 },
      });
    } finally {
      await h.store.query('DROP TRIGGER fail_first_purge ON runs');
      await h.store.query('DROP FUNCTION fail_first_purge()');
      await h.store.query('DROP SEQUENCE purge_attempts');
    }
    const after = await persons(ids);
    expect(after).toEqual([
      ['ta', 'tb'],
      ['tc', 'td'],
    ]);
    const again = await purgeActivity()({ importId: joining });
    expect(again).toEqual({
      importId: joining,
      purged: false,
      removed: {},
      split: { persons: 0, created: 0, moved: 0 },
    });
    expect(await persons(ids)).toEqual(after);
    expect(await count(h.store, 'SELECT count(*) FROM person_splits WHERE import_id = $1', [joining])).toBe(1);
  });

  it('waits for an identity import merging at the same time, and splits what that merge left', async () => {
    const ids = ['wa', 'wb', 'wc', 'wd', 'we'];
    await loadLinks('lk_wait1', [
      ['wa', 'wb'],
      ['wc', 'wd'],
    ]);
    const joining = await loadLinks('lk_wait2', [['wb', 'wc']]);
    // Another import's batch merges D–E (a new identifier) and has not committed yet: it holds the graph lock.
    const batch = await h.store.connect();
    try {
      await batch.query('BEGIN');
      await batch.query(
        `CREATE TEMP TABLE stage (seq integer, ${stageTableColumns(dataTypes.identity.stage)}) ON COMMIT DROP`,
      );
      await batch.query(`INSERT INTO stage VALUES (1, 'email', 'wd', 'email', 'we')`);
      const merged = await dataTypes.identity.loader.merge({
        client: batch,
        spec: {} as ImportSpec,
        importId: 'concurrent',
        runId: 0,
      });
      expect(merged).toMatchObject({ created: 1, profilesCreated: 1 });
      let done = false;
      const purging = purge(joining).finally(() => {
        done = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(done).toBe(false); // waiting for the graph lock, not splitting beside the merge
      await batch.query('COMMIT');
      expect(await purging).toMatchObject({
        removed: { identity_links: 1 },
        split: { persons: 1, created: 1, moved: 2 },
      });
    } finally {
      batch.release();
    }
    // The split sees the committed merge: E is with C and D, and C–D–E (the larger) keeps the person id.
    expect(await persons(ids)).toEqual([
      ['wa', 'wb'],
      ['wc', 'wd', 'we'],
    ]);
  });

  it('repairs persons an earlier purge left merged (npm run split-persons), and finds nothing the second time', async () => {
    const ids = ['pa', 'pb', 'pc', 'pd'];
    await loadLinks('lk_repair', [
      ['pa', 'pb'],
      ['pc', 'pd'],
    ]);
    // What a purge before the split left: B–C gone, the persons still one.
    await h.store.query(`UPDATE identities SET person_id = $1 WHERE id_type = 'email' AND id_value IN ('pc', 'pd')`, [
      await personOf('pa'),
    ]);
    expect(await persons(ids)).toEqual([ids]);
    expect(await repairPersons(h.store, 3)).toEqual({ persons: 1, created: 1, moved: 2 });
    expect(await persons(ids)).toEqual([
      ['pa', 'pb'],
      ['pc', 'pd'],
    ]);
    expect(await count(h.store, 'SELECT count(*) FROM person_splits WHERE import_id IS NULL')).toBe(1);
    expect(await repairPersons(h.store, 3)).toEqual({ persons: 0, created: 0, moved: 0 });
  });
});
