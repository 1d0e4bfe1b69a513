/**
 * BigQuery (Google API) errors → the shared error kinds. The HTTP status and the first error's reason say
 * it: 401 bad credentials; 403 accessDenied (not quota or rate limits, which are transient); 404 notFound;
 * 400 invalid or invalidQuery (the user's SQL or mapping). 5xx and rate limits are retried.
 */
import type { Relation } from '../source';
import { ConfigurationError } from '../source';
import { authFailed, messageOf, missingObject, networkCode, permissionDenied, unreachable } from '../common/errors';
import { isStatementTimeout, statementTimedOut } from '../common/statementTimeout';

const KIND = 'bigquery';

/** `timeLimitSeconds`: the jobTimeoutMs sent with each query job, named when a job runs into it. */
export function classifyBigQuery(err: unknown, target: string, relation?: Relation, timeLimitSeconds?: number): never {
  if (err instanceof ConfigurationError) throw err;
  if (isStatementTimeout(err)) throw statementTimedOut(KIND, err, timeLimitSeconds);
  const what = relation ? ('table' in relation ? `table ${relation.table}` : 'the custom query') : 'the source';
  const e = err as { code?: unknown; errors?: { reason?: string }[]; response?: { status?: number } };
  const status = typeof e.code === 'number' ? e.code : e.response?.status;
  const reason = e.errors?.[0]?.reason ?? '';
  const msg = messageOf(err);
  if (networkCode(err)) throw unreachable(KIND, target, err);
  // A response whose connection closed before its body ended (node-fetch's FetchError): the connection was lost.
  if (
    (err as { name?: unknown }).name === 'FetchError' &&
    (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE'
  ) {
    throw unreachable(
      KIND,
      target,
      new Error('the connection closed before the response ended (ERR_STREAM_PREMATURE_CLOSE)'),
    );
  }
  if (status === 401 || reason === 'authError' || /invalid_grant|DECODER routines|PEM|private key/i.test(msg))
    throw authFailed(KIND, err);
  if (status === 403 && !/rateLimitExceeded|quotaExceeded/.test(reason)) throw permissionDenied(KIND, what, err);
  if (status === 404 || reason === 'notFound') throw missingObject(KIND, what, err);
  if (status === 400 && /Unrecognized name/i.test(msg))
    throw new ConfigurationError(`${KIND}: ${what}: ${msg} (missing column)`);
  if (status === 400 || reason === 'invalidQuery' || reason === 'invalid')
    throw new ConfigurationError(`${KIND}: ${what}: ${msg}`);
  throw err;
}
