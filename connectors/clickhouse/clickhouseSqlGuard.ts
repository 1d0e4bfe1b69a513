/**
 * Custom SQL for ClickHouse, read with its quoting rules: '…' strings and "…" / `…` identifiers all take
 * backslash escapes, `--` starts a comment with or without a space. The server refuses writes (every query
 * carrying user SQL runs with readonly=1) and takes one statement per HTTP request; this check gives the
 * clear error first and keeps the query from closing the subquery the connector wraps it in.
 */
import { singleQuery, type SqlDialect } from '../common/sqlTokens';

export const clickhouseDialect: SqlDialect = {
  kind: 'clickhouse',
  backslashEscapes: true,
  doubleQuotedStrings: false,
  backslashInIdentifiers: true,
  backtickIdentifiers: true,
  hashComments: false,
  dashCommentNeedsSpace: false,
  slashSlashComments: false,
  dollarStrings: true,
  executableComments: false,
};

/** Returns the query to wrap (without a trailing `;`), or throws SqlShapeError saying what is refused. */
export const checkClickHouseQuery = (sql: string): string => singleQuery(sql, clickhouseDialect).text.trim();
