/**
 * Custom SQL for Snowflake, read with its quoting rules: '…' strings take backslash escapes and doubled
 * quotes, $$…$$ strings, "…" identifiers, and --, // and /* *\/ comments. Snowflake has no read-only session:
 * the query is sent inside a subquery with MULTI_STATEMENT_COUNT=1, so the server itself refuses a second
 * statement, and a single statement that starts `SELECT * FROM (` is a query. This check gives the clear
 * error first and keeps the query from closing that subquery.
 */
import { singleQuery, type SqlDialect } from '../common/sqlTokens';

export const snowflakeDialect: SqlDialect = {
  kind: 'snowflake',
  backslashEscapes: true,
  doubleQuotedStrings: false,
  backslashInIdentifiers: false,
  backtickIdentifiers: false,
  hashComments: false,
  dashCommentNeedsSpace: false,
  slashSlashComments: true,
  dollarStrings: true,
  executableComments: false,
};

/** Returns the query to wrap (without a trailing `;`), or throws SqlShapeError saying what is refused. */
export const checkSnowflakeQuery = (sql: string): string => singleQuery(sql, snowflakeDialect).text.trim();

/**
 * Statement parameters sent with every statement: exactly one statement per request, whatever the account's
 * or user's default for MULTI_STATEMENT_COUNT, and the operator's time limit.
 */
export const statementParameters = (timeLimitSeconds: number): Record<string, number> => ({
  MULTI_STATEMENT_COUNT: 1,
  STATEMENT_TIMEOUT_IN_SECONDS: timeLimitSeconds,
});
