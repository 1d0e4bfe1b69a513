/**
 * Splitting persons again when identity links go (purge of an import). A person is a connected component
 * of the identity graph (dataTypes/identity/merge.ts); once some of its links are removed, the identifiers of
 * the persons they touched are regrouped by the links that remain, of every other import, and each
 * component becomes a person of its own. An identifier no link joins any more is a person by itself.
 *
 * Which component keeps the old person id: the largest (ties: the one holding the person's oldest
 * identifier). It mirrors the merge, where the larger person absorbs the smaller: the fewest identifiers
 * change person, and a consumer that keyed data by person id keeps it on most of that person. Every other
 * component takes a new id from person_ids, recorded in person_splits (migration 054).
 *
 * Runs inside the caller's transaction, which must hold IDENTITY_GRAPH_LOCK from before the links were
 * removed until it commits: no merge can then join what is being split, nor split what a merge joined.
 */
import type pg from 'pg';
import { IDENTITY_GRAPH_LOCK } from './locks';
import { inTransaction } from './transaction';

export interface SplitCounts {
  /** Persons that fell apart into more than one component. */
  persons: number;
  /** New persons those splits made (components that did not keep the old id). */
  created: number;
  /** Identifiers that moved to a new person. */
  moved: number;
}

export const zeroSplit = (): SplitCounts => ({ persons: 0, created: 0, moved: 0 });

/** Recompute the components of these persons from the links that remain, and give each its own person. */
export async function splitPersons(
  client: pg.PoolClient,
  personIds: string[],
  importId: string | null,
): Promise<SplitCounts> {
  const counts = zeroSplit();
  if (personIds.length === 0) return counts;
  // Oldest first within each person: a component's first member is its oldest identifier.
  const members = await client.query<{ id_type: string; id_value: string; person_id: string }>(
    `SELECT id_type, id_value, person_id::text FROM identities WHERE person_id = ANY($1::bigint[])
     ORDER BY person_id, created_at, id_type, id_value`,
    [personIds],
  );
  if (members.rows.length === 0) return counts;
  const index = new Map<string, number>();
  members.rows.forEach((m, i) => index.set(`${m.id_type}\u0000${m.id_value}`, i));
  // A link joins two identifiers of one person, so the links found by their left end are all of them.
  const links = await client.query<{ lt: string; lv: string; rt: string; rv: string }>(
    `SELECT DISTINCT l.left_type AS lt, l.left_value AS lv, l.right_type AS rt, l.right_value AS rv
     FROM identities i JOIN identity_links l ON l.left_type = i.id_type AND l.left_value = i.id_value
     WHERE i.person_id = ANY($1::bigint[])`,
    [personIds],
  );

  const parent = members.rows.map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (const l of links.rows) {
    const a = index.get(`${l.lt}\u0000${l.lv}`);
    const b = index.get(`${l.rt}\u0000${l.rv}`);
    if (a === undefined || b === undefined) continue; // cannot happen while links stay within persons
    const ra = find(a);
    const rb = find(b);
    // The root is the older member, so a component's root is its oldest identifier.
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }

  // Per person, its components (root → member indexes), in the order of their oldest identifier.
  const persons = new Map<string, Map<number, number[]>>();
  members.rows.forEach((m, i) => {
    let comps = persons.get(m.person_id);
    if (!comps) persons.set(m.person_id, (comps = new Map()));
    const root = find(i);
    const comp = comps.get(root);
    if (comp) comp.push(i);
    else comps.set(root, [i]);
  });

  const moves: { from: string; members: number[] }[] = [];
  for (const [person, comps] of persons) {
    if (comps.size < 2) continue;
    counts.persons += 1;
    // Largest first; a stable sort keeps the older component first among equals.
    const [, ...others] = [...comps.entries()].sort((x, y) => y[1].length - x[1].length || x[0] - y[0]);
    for (const [, comp] of others) moves.push({ from: person, members: comp });
  }
  if (moves.length === 0) return counts;

  const ids = await client.query<{ id: string }>(
    "SELECT nextval('person_ids')::text AS id FROM generate_series(1, $1)",
    [moves.length],
  );
  const types: string[] = [];
  const values: string[] = [];
  const into: string[] = [];
  moves.forEach((move, k) => {
    for (const i of move.members) {
      types.push(members.rows[i]!.id_type);
      values.push(members.rows[i]!.id_value);
      into.push(ids.rows[k]!.id);
    }
  });
  const moved = await client.query(
    `UPDATE identities i SET person_id = u.p
     FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(t, v, p)
     WHERE i.id_type = u.t AND i.id_value = u.v`,
    [types, values, into],
  );
  await client.query(
    `INSERT INTO person_splits (from_person, into_person, moved, import_id)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[]) CROSS JOIN (SELECT $4::text) AS imp`,
    [moves.map((m) => m.from), moves.map((_, k) => ids.rows[k]!.id), moves.map((m) => m.members.length), importId],
  );
  counts.created = moves.length;
  counts.moved = moved.rowCount ?? 0;
  return counts;
}

/**
 * Check every person of the store against its links and split those that are not one component: a repair
 * for stores where imports were purged before purge split persons (scripts/splitPersons.ts). A batch of
 * persons at a time, each batch its own transaction under the graph lock, so imports go on meanwhile.
 */
export async function repairPersons(pool: pg.Pool, batch = 1000): Promise<SplitCounts> {
  const total = zeroSplit();
  let after = '-9223372036854775808';
  for (;;) {
    const ids = (
      await pool.query<{ p: string }>(
        'SELECT DISTINCT person_id::text AS p FROM identities WHERE person_id > $1 ORDER BY 1 LIMIT $2',
        [after, batch],
      )
    ).rows.map((r) => r.p);
    if (ids.length === 0) return total;
    const counts = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [IDENTITY_GRAPH_LOCK]);
      return splitPersons(client, ids, null);
    });
    total.persons += counts.persons;
    total.created += counts.created;
    total.moved += counts.moved;
    after = ids[ids.length - 1]!;
  }
}
