/**
 * Identity links join identifiers into one person: the connected components of the identity graph.
 * New links are unioned by size: all identities of the smaller person move to the larger one, and the
 * merge is recorded. A global advisory lock serialises merges, so two imports never merge crosswise, and
 * a purge splitting persons takes it too. Deleting an import splits again what its links joined.
 */
import { ENSURE_IDENTITIES, type Loader, type MergeResult, num } from '../../store/loaders/types';
import { IDENTITY_GRAPH_LOCK } from '../../store/locks';

export const identityLoader: Loader = {
  async merge({ client, importId, runId }): Promise<MergeResult> {
    await client.query('SELECT pg_advisory_xact_lock($1)', [IDENTITY_GRAPH_LOCK]);
    const created = await client.query(
      `WITH ends AS (SELECT left_type AS id_type, left_value AS id_value FROM stage
                     UNION SELECT right_type, right_value FROM stage),
       ins AS (${ENSURE_IDENTITIES('ends')})
       SELECT count(*) AS n FROM ins`,
      [importId],
    );
    // Links new to this import; a link already known changes nothing.
    const links = await client.query<{ lt: string; lv: string; rt: string; rv: string; n: string }>(
      `WITH distinct_links AS (
         SELECT left_type, left_value, right_type, right_value, count(*) AS n, min(seq) AS seq
         FROM stage GROUP BY 1, 2, 3, 4),
       ins AS (
         INSERT INTO identity_links (import_id, left_type, left_value, right_type, right_value, run_id)
         SELECT $1, left_type, left_value, right_type, right_value, $2 FROM distinct_links ORDER BY seq
         ON CONFLICT DO NOTHING
         RETURNING left_type, left_value, right_type, right_value)
       SELECT d.left_type AS lt, d.left_value AS lv, d.right_type AS rt, d.right_value AS rv, d.n::text AS n,
              (ins.left_type IS NOT NULL) AS fresh
       FROM distinct_links d LEFT JOIN ins USING (left_type, left_value, right_type, right_value)`,
      [importId, runId],
    );
    let createdLinks = 0;
    let unchanged = 0;
    const fresh: { l: string; r: string }[] = [];
    const ids = new Set<string>();
    for (const row of links.rows as ((typeof links.rows)[number] & { fresh: boolean })[]) {
      const n = Number(row.n);
      if (row.fresh) {
        // The same link again in the chunk changes nothing: unchanged, as it would be in a later chunk.
        createdLinks += 1;
        unchanged += n - 1;
        const l = `${row.lt}\u0000${row.lv}`;
        const r = `${row.rt}\u0000${row.rv}`;
        fresh.push({ l, r });
        ids.add(l).add(r);
      } else unchanged += n;
    }
    if (fresh.length > 0) await unionPersons(client, [...ids], fresh, runId);
    return {
      created: createdLinks,
      unchanged,
      profilesCreated: num(created.rows[0]?.n),
    };
  },
};

async function unionPersons(
  client: import('pg').PoolClient,
  ids: string[],
  links: { l: string; r: string }[],
  runId: number,
): Promise<void> {
  const split = ids.map((s) => s.split('\u0000') as [string, string]);
  const people = await client.query<{ id_type: string; id_value: string; person_id: string }>(
    `SELECT i.id_type, i.id_value, i.person_id::text FROM identities i
     JOIN unnest($1::text[], $2::text[]) AS u(t, v) ON i.id_type = u.t AND i.id_value = u.v`,
    [split.map((s) => s[0]), split.map((s) => s[1])],
  );
  const personOf = new Map(people.rows.map((r) => [`${r.id_type}\u0000${r.id_value}`, r.person_id]));
  // Union-find over person ids touched by the new links.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    let cur = x;
    while (cur !== root) {
      const next = parent.get(cur) ?? root;
      parent.set(cur, root);
      cur = next;
    }
    return root;
  };
  for (const { l, r } of links) {
    const a = find(personOf.get(l)!);
    const b = find(personOf.get(r)!);
    if (a !== b) parent.set(a, b);
  }
  const groups = new Map<string, string[]>();
  for (const p of new Set(personOf.values())) {
    const root = find(p);
    groups.set(root, [...(groups.get(root) ?? []), p]);
  }
  const merging = [...groups.values()].filter((g) => g.length > 1);
  if (merging.length === 0) return;
  const sizes = await client.query<{ person_id: string; n: string }>(
    'SELECT person_id::text, count(*)::text AS n FROM identities WHERE person_id = ANY($1::bigint[]) GROUP BY person_id',
    [merging.flat()],
  );
  const size = new Map(sizes.rows.map((r) => [r.person_id, Number(r.n)]));
  for (const group of merging) {
    // The largest person absorbs the others (ties: the oldest id), so fewer rows move.
    const into = [...group].sort((a, b) => (size.get(b) ?? 0) - (size.get(a) ?? 0) || Number(a) - Number(b))[0]!;
    for (const from of group) {
      if (from === into) continue;
      const moved = await client.query('UPDATE identities SET person_id = $1 WHERE person_id = $2', [into, from]);
      await client.query(
        'INSERT INTO person_merges (from_person, into_person, moved, run_id) VALUES ($1, $2, $3, $4)',
        [from, into, moved.rowCount ?? 0, runId],
      );
    }
  }
}
