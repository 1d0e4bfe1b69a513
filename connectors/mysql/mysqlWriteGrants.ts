/**
 * What the connection's MySQL/MariaDB user may write, from the server's own privilege tables
 * (information_schema USER_PRIVILEGES, SCHEMA_PRIVILEGES, TABLE_PRIVILEGES): INSERT, UPDATE or DELETE
 * granted on every database (`*.*`), on a database (whose name in a grant may hold the LIKE wildcards
 * `%` and `_`), or on one table. GRANT ALL appears there as each privilege it holds. Privileges that come
 * only through a role are not seen.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { Relation } from '../source';
import { canWriteWarning, writesWhatItReadsWarning } from '../common/writeWarnings';

export interface WriteGrant {
  scope: 'global' | 'database' | 'table';
  database: string | null;
  table: string | null;
}

const KIND = 'mysql';

/** The grantee text these tables use for the current user: 'user'@'host'. */
const GRANTEE = `CONCAT('''', LEFT(CURRENT_USER(), CHAR_LENGTH(CURRENT_USER()) - CHAR_LENGTH(SUBSTRING_INDEX(CURRENT_USER(), '@', -1)) - 1),
  '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`;
const WRITES = "('INSERT', 'UPDATE', 'DELETE')";

export async function writeGrants(
  conn: PoolConnection,
): Promise<{ who: string; database: string | null; grants: WriteGrant[] }> {
  const [rows] = await conn.query({
    sql: `SELECT CURRENT_USER(), DATABASE(), g.scope, g.db, g.tbl FROM (
            SELECT 'global' AS scope, NULL AS db, NULL AS tbl, GRANTEE FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE IN ${WRITES}
            UNION SELECT 'database', TABLE_SCHEMA, NULL, GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE PRIVILEGE_TYPE IN ${WRITES}
            UNION SELECT 'table', TABLE_SCHEMA, TABLE_NAME, GRANTEE FROM information_schema.TABLE_PRIVILEGES WHERE PRIVILEGE_TYPE IN ${WRITES}
          ) g WHERE g.GRANTEE = ${GRANTEE}
          UNION ALL SELECT CURRENT_USER(), DATABASE(), NULL, NULL, NULL`,
    rowsAsArray: true,
  });
  const all = rows as (string | null)[][];
  const who = String(all[0]?.[0] ?? 'unknown');
  const database = all[0]?.[1] ?? null;
  const grants = all
    .filter((r) => r[2] !== null)
    .map(([, , scope, db, tbl]) => ({ scope: scope as WriteGrant['scope'], database: db ?? null, table: tbl ?? null }));
  return { who, database, grants };
}

/** A database name in a grant, as the server matches it: `%` and `_` are wildcards, `\` escapes them. */
function grantMatches(pattern: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(name);
}

const described = (g: WriteGrant): string =>
  g.scope === 'global'
    ? 'every database (*.*)'
    : g.scope === 'database'
      ? `every table of database ${g.database}`
      : `${g.database}.${g.table}`;

/** For the connection test: everything the user can write. */
export const connectionWarnings = (facts: Awaited<ReturnType<typeof writeGrants>>): string[] =>
  canWriteWarning(KIND, facts.who, [...new Set(facts.grants.map(described))]);

/**
 * For a run: what the user can write among what the import reads. A table names itself (`db.table`, or the
 * connection's database); a custom query may read any table of the connection's database, so writes there count.
 */
export function runWarnings(facts: Awaited<ReturnType<typeof writeGrants>>, relation: Relation): string[] {
  if ('file' in relation) return [];
  if ('table' in relation) {
    const dot = relation.table.indexOf('.');
    const db = dot < 0 ? facts.database : relation.table.slice(0, dot);
    const table = dot < 0 ? relation.table : relation.table.slice(dot + 1);
    if (db === null) return [];
    const covers = facts.grants.some(
      (g) =>
        g.scope === 'global' ||
        (g.scope === 'database' && grantMatches(g.database ?? '', db)) ||
        (g.scope === 'table' && g.database === db && g.table === table),
    );
    return covers ? writesWhatItReadsWarning(KIND, facts.who, [`${db}.${table}`]) : [];
  }
  const db = facts.database;
  if (db === null) return [];
  const what = facts.grants
    .filter(
      (g) =>
        g.scope === 'global' ||
        (g.scope === 'database' && grantMatches(g.database ?? '', db)) ||
        (g.scope === 'table' && g.database === db),
    )
    .map(described);
  return writesWhatItReadsWarning(
    KIND,
    facts.who,
    [...new Set(what)],
    `which the custom query may read (it runs in database ${db})`,
  );
}
