/**
 * Backfill partitions for a Postgres source, in one REPEATABLE READ snapshot: a count, ntile() quantiles
 * over (cursor, key), then one scan for each boundary's row count and largest key. Boundaries are cursor
 * values, so ties at a boundary all fall in the partition before it. Every query embeds the relation, so all
 * go through the extended protocol.
 */
import pg from 'pg';
import { type PlanRangeInput, type RangePlan, partitionCount } from '../rangePlanner';
import type { Position, Relation } from '../source';
import { fromClause } from './postgresSql';
import { extended } from './postgresSessionGuard';

type ReadOnly = <T>(fn: (client: pg.PoolClient) => Promise<T>, relation?: Relation) => Promise<T>;

export function planPostgresRange(readOnly: ReadOnly, relation: Relation, input: PlanRangeInput): Promise<RangePlan> {
  const c = `src.${pg.escapeIdentifier(input.cursor)}`;
  const k = `src.${pg.escapeIdentifier(input.key)}`;
  const from = fromClause(relation);
  return readOnly(async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    // Parameters take the column's type from the comparison they appear in.
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    let base = `${c} IS NOT NULL AND ${k} IS NOT NULL AND ${c} <= ${p(input.upperBound)}`;
    if (input.to !== null) base += ` AND ${c} < ${p(input.to)}`;
    if (input.after) base += ` AND (${c}, ${k}) > (${p(input.after.cursor)}, ${p(input.after.key)})`;

    let start: Position | null = input.after;
    let skipped = 0;
    let range = base;
    if (input.from !== null) {
      const fromParam = p(input.from);
      const before = await client.query<{ n: string; c: string | null }>(
        extended(
          `SELECT count(*)::text AS n, max(${c})::text AS c FROM ${from} WHERE ${base} AND ${c} < ${fromParam}`,
          params,
        ),
      );
      skipped = Number(before.rows[0]!.n);
      const last = before.rows[0]!.c;
      if (last !== null) {
        const key = await client.query<{ k: string }>(
          extended(`SELECT max(${k})::text AS k FROM ${from} WHERE ${c} = $1`, [last]),
        );
        start = { cursor: last, key: key.rows[0]!.k };
      }
      range = `${base} AND ${c} >= ${fromParam}`;
    }

    const total = Number(
      (await client.query<{ n: string }>(extended(`SELECT count(*)::text AS n FROM ${from} WHERE ${range}`, params)))
        .rows[0]!.n,
    );
    const parts = partitionCount(total, input);
    if (parts === 0) return { start, skipped, partitions: [] };

    // The last cursor value of each ntile; equal values (a tie spanning tiles) collapse into one boundary.
    const tiles = await client.query<{ c: string }>(
      extended(
        `SELECT max(c)::text AS c FROM (SELECT ${c} AS c, ntile(${p(parts)}::int) OVER (ORDER BY ${c}, ${k}) AS part
         FROM ${from} WHERE ${range}) t GROUP BY part ORDER BY part`,
        params,
      ),
    );
    params.pop();
    const bounds = tiles.rows.map((r) => r.c).filter((v, i, all) => i === 0 || v !== all[i - 1]);

    // Rows up to each boundary and the largest key at it, in one scan.
    const first = params.length + 1;
    const cols = bounds.map(
      (_, i) =>
        `count(*) FILTER (WHERE ${c} <= $${first + i})::text AS n${i}, max(${k}) FILTER (WHERE ${c} = $${first + i})::text AS k${i}`,
    );
    const scan = await client.query(
      extended(`SELECT ${cols.join(', ')} FROM ${from} WHERE ${range}`, [...params, ...bounds]),
    );
    const row = scan.rows[0] as Record<string, string | null>;
    let before = 0;
    const partitions = bounds.map((cursor, i) => {
      const upTo = Number(row[`n${i}`]);
      const rows = upTo - before;
      before = upTo;
      return { upper: { cursor, key: String(row[`k${i}`]) }, rows };
    });
    return { start, skipped, partitions };
  }, relation);
}
