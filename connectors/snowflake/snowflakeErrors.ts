/**
 * Snowflake errors → the shared error kinds. Login failures carry GS codes 390xxx; SQL failures carry
 * codes like 002003. Snowflake answers "does not exist or not authorized" for both a missing object and
 * one the role may not see, so that message names both causes.
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
} from '../common/errors';
import { isStatementTimeout, statementTimedOut } from '../common/statementTimeout';

const KIND = 'snowflake';

/** `timeLimitSeconds`: the STATEMENT_TIMEOUT_IN_SECONDS sent with each statement, named when one runs into it. */
export function classifySnowflake(err: unknown, target: string, relation?: Relation, timeLimitSeconds?: number): never {
  if (err instanceof ConfigurationError) throw err;
  if (isStatementTimeout(err)) throw statementTimedOut(KIND, err, timeLimitSeconds);
  const what = relation ? ('table' in relation ? `table ${relation.table}` : 'the custom query') : 'the source';
  const e = err as { code?: unknown; name?: string; response?: { statusCode?: number } };
  const code = e.code === undefined || e.code === null ? '' : String(e.code);
  // The key of a key-pair login: a file that cannot be read, or text that is no private key. Named by its
  // field; OpenSSL's reason says what is wrong without quoting the key.
  const sys = err as { code?: unknown; syscall?: unknown };
  if (sys.syscall === 'open' && typeof sys.code === 'string')
    throw new ConfigurationError(`${KIND}: private_key_path: cannot read the key file (${sys.code})`);
  if (
    (typeof sys.code === 'string' && sys.code.startsWith('ERR_OSSL')) ||
    /DECODER routines|bad decrypt|PEM routines/i.test(messageOf(err))
  ) {
    throw new ConfigurationError(`${KIND}: private_key: cannot be read as a private key (${messageOf(err)})`);
  }
  if (networkCode(err) || e.name === 'NetworkError') throw unreachable(KIND, target, err);
  // Incorrect user or password, bad or expired JWT, user locked or disabled, MFA required.
  if (/^3901(00|01|02|44|45|57|38)$/.test(code) || code === '394304' || e.response?.statusCode === 401)
    throw authFailed(KIND, err);
  // The role, warehouse or database named in the connection is not granted or does not exist.
  if (/^3901(89|90)$/.test(code) || /^3902\d\d$/.test(code))
    throw permissionDenied(KIND, `${what} (role, warehouse or database of the connection)`, err);
  if (code === '003001' || code === '003003') throw permissionDenied(KIND, what, err);
  if (code === '002003') throw missingObject(KIND, `${what} (or the connection's role may not see it)`, err);
  if (code === '000904') throw new ConfigurationError(`${KIND}: ${what}: ${messageOf(err)} (missing column)`);
  if (code === '000606')
    throw new ConfigurationError(
      `${KIND}: no warehouse to run the query: ${messageOf(err)} (set ?warehouse= in the connection)`,
    );
  if (code === '001003' || code === '002140') throw new ConfigurationError(`${KIND}: ${what}: ${messageOf(err)}`);
  // 000008: more statements than MULTI_STATEMENT_COUNT allows (the connector sends 1).
  if (code === '090105' || code === '000002' || code === '000008') throw notReadOnly(KIND, err);
  throw err;
}
