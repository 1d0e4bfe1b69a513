/**
 * The FROM clause every connector reads through: a quoted table, or the user's custom query as a
 * subquery, checked to be a single SELECT first (a rejected query is a configuration error naming the
 * connector). Each connector passes the guard of its own dialect (Postgres: postgresSqlGuard.ts, the
 * server's parser); the lexical assertSingleSelect is the default for those without one. The newlines
 * keep a trailing -- comment in the query from swallowing the parenthesis.
 */
import { assertSingleSelect } from '../../domain/sqlGuard';
import { ConfigurationError, type Relation } from '../source';
import { notReadOnly } from './errors';

/** Checks a custom query in one dialect: returns the text to embed, or throws an Error saying what is wrong. */
export type SqlGuard = (sql: string) => string;

export function fromClause(
  kind: string,
  relation: Relation,
  quoteTable: (table: string) => string,
  alias = 'src',
  guard: SqlGuard = assertSingleSelect,
): string {
  if ('table' in relation) return `${quoteTable(relation.table)} AS ${alias}`;
  if ('file' in relation)
    throw new ConfigurationError(`${kind}: a ${kind} connection reads tables or queries, not files`);
  let query: string;
  try {
    query = guard(relation.query);
  } catch (err) {
    throw notReadOnly(kind, err);
  }
  return `(\n${query}\n) AS ${alias}`;
}
