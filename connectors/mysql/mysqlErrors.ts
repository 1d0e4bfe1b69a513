/** mysql2 errors → the shared error kinds (connectors/common/errors.ts). */
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

const KIND = 'mysql';

/** `timeLimitSeconds`: the session's statement time limit, named when a statement runs into it. */
export function classifyMysql(err: unknown, target: string, relation?: Relation, timeLimitSeconds?: number): never {
  if (err instanceof ConfigurationError) throw err;
  if (isStatementTimeout(err)) throw statementTimedOut(KIND, err, timeLimitSeconds);
  const e = err as { code?: string; errno?: number; fatal?: boolean };
  const what = relation ? ('table' in relation ? `table ${relation.table}` : 'the custom query') : 'the source';
  if (networkCode(err)) throw unreachable(KIND, target, err);
  switch (e.code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
    case 'ER_NOT_SUPPORTED_AUTH_MODE':
      throw authFailed(KIND, err);
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_TABLEACCESS_DENIED_ERROR':
    case 'ER_COLUMNACCESS_DENIED_ERROR':
    case 'ER_SPECIFIC_ACCESS_DENIED_ERROR':
    case 'ER_PROCACCESS_DENIED_ERROR':
      throw permissionDenied(KIND, what, err);
    case 'ER_NO_SUCH_TABLE':
      throw missingObject(KIND, what, err);
    case 'ER_BAD_DB_ERROR':
      throw missingObject(KIND, 'the database', err);
    case 'ER_BAD_FIELD_ERROR':
      throw new ConfigurationError(`${KIND}: ${what}: ${messageOf(err)} (missing column)`);
    case 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION':
      throw notReadOnly(KIND, err);
    case 'ER_PARSE_ERROR':
    case 'ER_WRONG_FIELD_WITH_GROUP':
    case 'ER_NON_UNIQ_ERROR':
      throw new ConfigurationError(`${KIND}: ${what}: ${messageOf(err)}`);
  }
  throw err;
}
