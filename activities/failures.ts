/**
 * Every failure an activity ends with is one of three kinds, and each is treated its own way:
 * - configuration (ConfigurationError, an invalid spec, a source statement stopped by the operator's time
 *   limit): never retried; it names the field or the setting to fix;
 * - transient (a source or the store unreachable, a dropped connection, a serialization failure or a
 *   deadlock, an administrator's shutdown, a server short of resources): retried with backoff as long as it
 *   lasts, since it ends by itself;
 * - unknown (a bug, a SQLSTATE nobody classified, a data exception from a value the spec produced): retried
 *   a few times, as it may be a passing fault nobody named, then failed for good, so the run ends visibly
 *   failed with the error on its record instead of retrying out of sight for ever.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { networkCode } from '../connectors/common/errors';
import { DEFAULT_UNKNOWN_ERROR_ATTEMPTS } from '../connectors/common/operatorPolicy';
import { isStatementTimeout, statementTimedOut } from '../connectors/common/statementTimeout';

export type FailureKind = 'configuration' | 'transient' | 'unknown';

/**
 * SQLSTATEs that end by themselves: connection exceptions (08), serialization failure and deadlock (40001,
 * 40P01), insufficient resources (53), an administrator or crash shutting the server down (57P01-57P03),
 * a lock not available now (55P03).
 */
const TRANSIENT_SQLSTATE = /^(08...|40001|40P01|53...|57P0[123]|55P03)$/;

/** MySQL/MariaDB: deadlock, lock wait timeout, too many connections, server gone or lost. */
const TRANSIENT_MYSQL = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
]);

/** Messages of dropped connections that carry no code (node-postgres, HTTP clients). */
const TRANSIENT_MESSAGE =
  /Connection terminated|terminating connection|socket hang up|Client has encountered a connection error|timeout exceeded when trying to connect|Connection ended unexpectedly/i;

// RefusedAddressError: a host the operator's policy refuses (networkReach.ts); another attempt is refused alike.
const CONFIGURATION_NAMES = new Set(['ConfigurationError', 'InvalidSpecError', 'InvalidSpec', 'RefusedAddressError']);
const TRANSIENT_NAMES = new Set(['SourceUnavailableError', 'TimeoutError']);

export function failureKind(err: unknown): FailureKind {
  const e = (err ?? {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    status?: unknown;
    response?: { status?: unknown };
  };
  const name = typeof e.name === 'string' ? e.name : '';
  if (CONFIGURATION_NAMES.has(name)) return 'configuration';
  // The same statement over the same rows runs as long again: a retry only repeats the wait.
  if (isStatementTimeout(err)) return 'configuration';
  if (TRANSIENT_NAMES.has(name) || networkCode(err)) return 'transient';
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && TRANSIENT_SQLSTATE.test(e.code)) return 'transient';
  if (typeof e.code === 'string' && TRANSIENT_MYSQL.has(e.code)) return 'transient';
  // HTTP APIs (BigQuery): rate limits and server errors pass.
  const status = typeof e.code === 'number' ? e.code : typeof e.status === 'number' ? e.status : e.response?.status;
  if (typeof status === 'number' && (status === 429 || (status >= 500 && status <= 504))) return 'transient';
  if (typeof e.message === 'string' && TRANSIENT_MESSAGE.test(e.message)) return 'transient';
  return 'unknown';
}

const describe = (err: unknown): string => {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // node-postgres names its errors 'error'; the class says what it is.
    const name = err.name === 'error' ? err.constructor.name : err.name;
    return `${name}${typeof code === 'string' || typeof code === 'number' ? ` ${code}` : ''}: ${err.message}`;
  }
  return typeof err === 'string' ? err : JSON.stringify(err);
};

/**
 * The activity with its failures classified. An unknown failure on the last attempt of the budget becomes
 * a non-retryable failure saying so; the workflow then records it on the run and announces run.failed.
 * The budget counts the activity's attempts (Temporal's own count): with ACTIVITY_RETRY's backoff, the
 * default of 8 attempts spans about two minutes.
 */
export function classified<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  budget = DEFAULT_UNKNOWN_ERROR_ATTEMPTS,
): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (err) {
      throw classify(err, budget);
    }
  };
}

function classify(err: unknown, budget: number): unknown {
  // Temporal's own failures (a cancellation, one already classified) pass as they are.
  if (err instanceof CancelledFailure || err instanceof ApplicationFailure) return err;
  const kind = failureKind(err);
  if (kind === 'configuration') {
    // ConfigurationError is non-retryable by the retry policy already; other names are made so here. The
    // SDK records an error's type as its class's name, so a subclass (MissingPackageError, named
    // 'ConfigurationError' for failureKind) is not one to the retry policy and is made so here too.
    if ((err as Error).constructor?.name === 'ConfigurationError') return err;
    // A time limit a connector did not already explain: named, with the setting that raises it.
    if (isStatementTimeout(err))
      return ApplicationFailure.nonRetryable(statementTimedOut('source', err).message, 'ConfigurationError');
    return ApplicationFailure.nonRetryable(err instanceof Error ? err.message : String(err), 'ConfigurationError');
  }
  if (kind === 'transient') return err;
  let attempt = 1;
  try {
    attempt = Context.current().info.attempt;
  } catch {
    // called outside an activity (a test): no budget to count
    return err;
  }
  if (attempt < budget) return err;
  return ApplicationFailure.create({
    message: `${describe(err)} (an unexpected error, failed after ${attempt} attempts)`,
    type: 'UnexpectedError',
    nonRetryable: true,
    cause: err instanceof Error ? err : undefined,
  });
}
