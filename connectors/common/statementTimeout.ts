/**
 * A source statement stopped by the operator's time limit (TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS),
 * recognised in each source's own terms. The same statement over the same rows takes as long again, so it is
 * a configuration error: never retried, and its message names the limit and the setting that raises it.
 */
import { ConfigurationError } from '../source';
import { messageOf } from './errors';

export const STATEMENT_TIMEOUT_SETTING = 'TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS';

/**
 * Whether the error is a source's own statement time limit at work:
 *   - Postgres: SQLSTATE 57014 "canceling statement due to statement timeout" (57014 alone is also a
 *     cancel request, which is not a time limit);
 *   - MySQL 3024 ER_QUERY_TIMEOUT (max_execution_time), MariaDB 1969 ER_STATEMENT_TIMEOUT (max_statement_time);
 *   - ClickHouse code 159 TIMEOUT_EXCEEDED (max_execution_time), also read from the message of old servers;
 *   - Snowflake 000630 (STATEMENT_TIMEOUT_IN_SECONDS);
 *   - BigQuery: a job whose error reason is `timeout` (jobTimeoutMs).
 */
export function isStatementTimeout(err: unknown): boolean {
  const e = (err ?? {}) as { code?: unknown; errno?: unknown; message?: unknown; errors?: { reason?: unknown }[] };
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.code === '57014') return /statement timeout/i.test(message);
  if (e.errno === 3024 || e.errno === 1969 || e.code === 'ER_QUERY_TIMEOUT' || e.code === 'ER_STATEMENT_TIMEOUT')
    return true;
  if (e.code === '159' || e.code === 159 || /^Code: 159\b|\bCode: 159[,.]/.test(message)) return true;
  if (e.code === '000630' || e.code === 630) return true;
  if (Array.isArray(e.errors) && e.errors[0]?.reason === 'timeout') return true;
  return false;
}

/** The clear error for a statement the limit stopped; `seconds` is the limit in force when it is known. */
export function statementTimedOut(kind: string, err: unknown, seconds?: number): ConfigurationError {
  const limit =
    seconds === undefined ? 'the source statement time limit' : `the source statement time limit of ${seconds} s`;
  return new ConfigurationError(
    `${kind}: a statement ran longer than ${limit} and was stopped (${messageOf(err)}); make the query cheaper ` +
      `(an index on the cursor and key columns, a smaller batch) or have the operator raise ${STATEMENT_TIMEOUT_SETTING}`,
  );
}
