/**
 * How a Postgres source connection is kept to reading what it was asked to read:
 *   - SQL that embeds a custom query goes only through the extended protocol (Parse/Bind/Execute), which
 *     runs exactly one statement per call: whatever the guard misread, `…; COMMIT; DELETE …` cannot become
 *     three statements. pg uses the simple protocol for a query without values, so the mode is explicit.
 *   - A connection goes back to the pool only after DISCARD ALL, so what a query left in its session
 *     (advisory locks, set_config(…, false), prepared statements, temporary tables) ends with it.
 *   - The role is checked once per pool: a superuser (or a member of the roles that read server files or
 *     run server programs) is refused unless the operator allows it.
 */
import pg from 'pg';
import { ConfigurationError } from '../source';

/** A query run with the extended protocol, even without parameters. */
export function extended(
  text: string,
  values: unknown[] = [],
  options: { rowMode?: 'array'; types?: pg.CustomTypesConfig } = {},
): pg.QueryConfig {
  return { text, values, ...options, queryMode: 'extended' } as pg.QueryConfig;
}

/**
 * Return a client to its pool with a clean session, or close it when that cannot be done: after a failed
 * ROLLBACK or a stream cut mid-read it may still be inside a transaction, where DISCARD ALL cannot run.
 */
export async function releaseClean(client: pg.PoolClient, reusable: boolean): Promise<void> {
  if (!reusable) {
    client.release(true);
    return;
  }
  try {
    await client.query('DISCARD ALL');
    client.release();
  } catch (err) {
    client.release(err instanceof Error ? err : true);
  }
}

export interface SourceRole {
  name: string;
  /** Superuser, or a member of pg_read_server_files / pg_write_server_files / pg_execute_server_program. */
  privileged: boolean;
  superuser: boolean;
}

export async function sourceRole(client: pg.ClientBase): Promise<SourceRole> {
  const res = await client.query<{ name: string; superuser: boolean | string; privileged: boolean | string }>(
    `SELECT current_user::text AS name, r.rolsuper AS superuser,
            r.rolsuper OR pg_has_role('pg_read_server_files', 'MEMBER') OR pg_has_role('pg_write_server_files', 'MEMBER')
              OR pg_has_role('pg_execute_server_program', 'MEMBER') AS privileged
     FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = res.rows[0];
  // Raw type parsers leave booleans as 't'/'f'.
  const yes = (v: boolean | string | undefined) => v === true || v === 't';
  return { name: row?.name ?? 'unknown', superuser: yes(row?.superuser), privileged: yes(row?.privileged) };
}

/** Refuse a role that can reach the server's files or programs, unless the operator allows it. */
export function assertRoleAllowed(role: SourceRole, allowSuperuser: boolean): void {
  if (!role.privileged || allowSuperuser) return;
  const what = role.superuser
    ? 'a superuser'
    : 'a member of pg_read_server_files, pg_write_server_files or pg_execute_server_program';
  throw new ConfigurationError(
    `postgres: the connection's role "${role.name}" is ${what}; connect with a role that can only read the tables it imports ` +
      '(the operator may allow such roles with TRIBUTARY_ALLOW_SUPERUSER_SOURCES=1)',
  );
}
