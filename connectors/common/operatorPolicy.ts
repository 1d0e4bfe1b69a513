/**
 * What the operator allows sources to reach. It comes only from the process's environment (or a test's
 * explicit value), never from an import spec or a stored connection: an API key holder names hosts, paths
 * and SQL, but the bounds on them are the operator's.
 *
 *   TRIBUTARY_FILE_ROOTS              local folders file sources may read, separated by ':' (default: the
 *                                     data folder's `drop` folder only)
 *   TRIBUTARY_ALLOW_PRIVATE_HOSTS     addresses network sources may connect to although they are loopback,
 *                                     private or link-local: a comma-separated list of IPs or CIDRs, or `*`
 *                                     (default: none)
 *   TRIBUTARY_ALLOW_SUPERUSER_SOURCES `1` lets a database source connect with a superuser role (default: no)
 *   TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS
 *                                     the longest one statement may run on a source that can bound it
 *                                     (default: 1800)
 *   TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS  attempts an activity gets for an error known neither as transient nor
 *                                     as a configuration error, before its run fails (default 8: about two
 *                                     minutes of backoff)
 */
import path from 'node:path';

export interface OperatorPolicy {
  /** Absolute, resolved folders under which local file sources may read. */
  fileRoots: string[];
  /** IPs or CIDRs of loopback, private or link-local addresses that network sources may still reach; '*' for all. */
  allowPrivateHosts: string[];
  /** The longest one statement may run on a source, in whole seconds (custom SQL can be arbitrarily slow). */
  sourceStatementTimeoutSeconds: number;
  /** Whether a database source may connect as a superuser. */
  allowSuperuserSources: boolean;
  /**
   * Paths no file source may read even under a root: the data folder's secrets (the master key, the
   * store's password) and the store's, Temporal's and the logs' own folders. Default: those of the data folder.
   */
  protectedPaths?: string[];
  /** Attempts an activity gets for an unclassified error before the run fails with it (default 8). */
  unknownErrorAttempts?: number;
}

/** The data folder's files that hold secrets or another component's state. */
export const dataDirSecrets = (dir: string): string[] =>
  ['secret-key', 'store-password', 'store-password.new', 'postgres', 'temporal', 'logs'].map((f) => path.join(dir, f));

export const DEFAULT_UNKNOWN_ERROR_ATTEMPTS = 8;

export const dataDir = (env: NodeJS.ProcessEnv = process.env): string => path.resolve(env.TRIBUTARY_DATA_DIR ?? '.data');

export function operatorPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): OperatorPolicy {
  const roots = env.TRIBUTARY_FILE_ROOTS?.split(':').filter((r) => r.trim() !== '');
  return {
    fileRoots: (roots && roots.length > 0 ? roots : [path.join(dataDir(env), 'drop')]).map((r) => path.resolve(r)),
    allowPrivateHosts: (env.TRIBUTARY_ALLOW_PRIVATE_HOSTS ?? '').split(',').map((h) => h.trim()).filter((h) => h !== ''),
    sourceStatementTimeoutSeconds: positiveSeconds(env.TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS, 1800),
    allowSuperuserSources: env.TRIBUTARY_ALLOW_SUPERUSER_SOURCES === '1',
    protectedPaths: dataDirSecrets(dataDir(env)),
    unknownErrorAttempts: positiveInt(env.TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS) ?? DEFAULT_UNKNOWN_ERROR_ATTEMPTS,
  };
}

function positiveSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS must be a whole number of seconds above 0, not "${text}"`);
  return n;
}

/** A whole number from 1 up, or undefined (unset or not one: the default holds). */
function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
}
