/**
 * ClickHouse errors → the shared error kinds. Old servers (18.x) answer in a format the client does not
 * parse, so the numeric code is also read from the message ("Code: 60, e.displayText() = …").
 */
import type { Relation } from '../source';
import { ConfigurationError } from '../source';
import {
  authFailed,
  messageOf,
  missingObject,
  networkCode,
  notReadOnly,
  permissionDenied,
  unreachable,
  SourceUnavailableError,
} from '../common/errors';
import { isStatementTimeout, statementTimedOut } from '../common/statementTimeout';

const KIND = 'clickhouse';
const AUTH = new Set([192, 193, 194, 195, 516]); // unknown user, wrong password, required password, IP not allowed, auth failed
const PERMISSION = new Set([291, 497]); // database access denied, access denied
const MISSING = new Map([
  [60, 'the table'],
  [81, 'the database'],
  [47, 'a column'],
  [16, 'a column'],
]);

export function codeOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && /^\d+$/.test(e.code)) return Number(e.code);
  const m = typeof e.message === 'string' ? /Code: (\d+)/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}

/** `timeLimitSeconds`: the max_execution_time sent with each query, named when a query runs into it. */
export function classifyClickHouse(
  err: unknown,
  target: string,
  relation?: Relation,
  timeLimitSeconds?: number,
): never {
  if (err instanceof ConfigurationError) throw err;
  if (isStatementTimeout(err)) throw statementTimedOut(KIND, err, timeLimitSeconds);
  const what = relation ? ('table' in relation ? `table ${relation.table}` : 'the custom query') : 'the source';
  if (networkCode(err) || /socket hang up|Timeout error/i.test(messageOf(err))) throw unreachable(KIND, target, err);
  // Node's HTTP parser refused the answer: what listens there is not an HTTP server (not ClickHouse).
  if (/^HPE_/.test(String((err as { code?: unknown }).code ?? '')))
    throw new SourceUnavailableError(`${KIND}: ${target} did not answer as ClickHouse's HTTP interface; will retry`);
  const code = codeOf(err);
  if (code === undefined) throw err;
  if (AUTH.has(code)) throw authFailed(KIND, err);
  if (PERMISSION.has(code)) throw permissionDenied(KIND, what, err);
  if (code === 164) throw notReadOnly(KIND, err);
  const missing = MISSING.get(code);
  if (missing) throw missingObject(KIND, `${missing} (in ${what})`, err);
  // Syntax and type errors in the user's query or mapping: retrying cannot fix them.
  if ([62, 43, 44, 53, 70, 386].includes(code)) throw new ConfigurationError(`${KIND}: ${what}: ${messageOf(err)}`);
  throw err;
}
