/**
 * The FROM clause of a source that checks custom SQL with its own dialect's rules: a quoted table, or the
 * user's query as a subquery once `check` accepts it (a refused query is a configuration error naming the
 * connector). The newlines keep a trailing -- comment in the query from swallowing the parenthesis.
 */
import { ConfigurationError, type Relation } from '../source';
import { notReadOnly } from './errors';

export function subqueryFrom(
  kind: string, relation: Relation, quoteTable: (table: string) => string, check: (sql: string) => string, alias = 'src',
): string {
  if ('table' in relation) return `${quoteTable(relation.table)} AS ${alias}`;
  if ('file' in relation) throw new ConfigurationError(`${kind}: a ${kind} connection reads tables or queries, not files`);
  let query: string;
  try {
    query = check(relation.query);
  } catch (err) {
    throw notReadOnly(kind, err);
  }
  return `(\n${query}\n) AS ${alias}`;
}
