/**
 * What the operator allows sources to reach. It comes only from the process's environment (or a test's
 * explicit value), never from an import spec or a stored connection: an API key holder names hosts, paths
 * and SQL, but the bounds on them are the operator's.
 *
 *   TRIBUTARY_FILE_ROOTS              local folders file sources may read, separated by ':' (default: the
 *                                     data folder's `drop` folder only)
 *   TRIBUTARY_KEY_FILE_ROOTS          local folders a connection's key files (SSH keys, CA certificates,
 *                                     service-account and key-pair keys) may be read from, separated by ':'
 *                                     (default: the data folder's `keys` folder only)
 *   TRIBUTARY_ALLOW_PRIVATE_HOSTS     addresses network sources may connect to although they are loopback,
 *                                     private or link-local: a comma-separated list of IPs or CIDRs, or `*`
 *                                     (default: none)
 *   TRIBUTARY_ALLOW_SUPERUSER_SOURCES `1` (or true/yes) lets a database source connect with a superuser role (default: no)
 *   TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS
 *                                     the longest one statement may run on a source that can bound it
 *                                     (default: 1800)
 *   TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS  attempts an activity gets for an error known neither as transient nor
 *                                     as a configuration error, before its run fails (default 8: about two
 *                                     minutes of backoff)
 */
import net from 'node:net';
import path from 'node:path';

export interface OperatorPolicy {
  /** Absolute, resolved folders under which local file sources may read. */
  fileRoots: string[];
  /** Absolute, resolved folders under which a connection's key and certificate files may be read. */
  keyFileRoots: string[];
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

export const dataDir = (env: NodeJS.ProcessEnv = process.env): string =>
  path.resolve(env.TRIBUTARY_DATA_DIR ?? '.data');

/**
 * A setting the operator got wrong: the process must not start on a guess. Each variable is read the
 * same way: unset or blank takes its default, anything else must be a valid value, and is never
 * quietly replaced by the default (a typo in a bound would otherwise widen or shrink it unnoticed).
 */
export class OperatorSettingError extends Error {
  constructor(variable: string, value: string, expected: string) {
    super(`${variable}: "${value}" is not valid; expected ${expected}`);
    this.name = 'OperatorSettingError';
  }
}

/** Longest statement time limit: Postgres's statement_timeout is a 32-bit count of milliseconds. */
export const MAX_STATEMENT_TIMEOUT_SECONDS = 2_147_483;
/** Enough for weeks of backoff; more is a typo, not a budget. */
export const MAX_UNKNOWN_ERROR_ATTEMPTS = 1000;

export function operatorPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): OperatorPolicy {
  return {
    fileRoots: folders(env, 'TRIBUTARY_FILE_ROOTS', 'drop'),
    keyFileRoots: folders(env, 'TRIBUTARY_KEY_FILE_ROOTS', 'keys'),
    allowPrivateHosts: privateHosts(env),
    sourceStatementTimeoutSeconds: wholeNumberSetting(
      env,
      'TRIBUTARY_SOURCE_STATEMENT_TIMEOUT_SECONDS',
      1800,
      MAX_STATEMENT_TIMEOUT_SECONDS,
    ),
    allowSuperuserSources: flagSetting(env, 'TRIBUTARY_ALLOW_SUPERUSER_SOURCES'),
    protectedPaths: dataDirSecrets(dataDir(env)),
    unknownErrorAttempts: wholeNumberSetting(
      env,
      'TRIBUTARY_UNKNOWN_ERROR_ATTEMPTS',
      DEFAULT_UNKNOWN_ERROR_ATTEMPTS,
      MAX_UNKNOWN_ERROR_ATTEMPTS,
    ),
  };
}

/** The variable's value, or undefined when it is unset or blank (its default then holds). */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A ':'-separated list of folders, resolved; the data folder's `fallback` folder when unset. */
function folders(env: NodeJS.ProcessEnv, name: string, fallback: string): string[] {
  const list = setting(env, name)
    ?.split(':')
    .filter((r) => r.trim() !== '');
  return (list && list.length > 0 ? list : [path.join(dataDir(env), fallback)]).map((r) => path.resolve(r));
}

/** A whole number setting; the API's settings are read by these same rules. */
export function wholeNumberSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  max: number,
  min = 1,
): number {
  const text = setting(env, name);
  if (text === undefined) return fallback;
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new OperatorSettingError(name, text, `a whole number from ${min} to ${max}`);
  return n;
}

/** `1` or `0` (also `true`/`false`, `yes`/`no`): anything else may be a typo for either. */
export function flagSetting(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = setting(env, name);
  if (text === undefined) return false;
  const v = text.trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(v)) return true;
  if (['0', 'false', 'no'].includes(v)) return false;
  throw new OperatorSettingError(name, text, '1 or 0');
}

function privateHosts(env: NodeJS.ProcessEnv): string[] {
  const name = 'TRIBUTARY_ALLOW_PRIVATE_HOSTS';
  const entries = (setting(env, name) ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (const entry of entries) {
    if (entry !== '*' && parseCidr(entry) === null) {
      throw new OperatorSettingError(name, entry, 'an IP address or CIDR (e.g. 10.1.2.3 or 10.0.0.0/8), or *');
    }
  }
  return entries;
}

/** An IP or CIDR as net.BlockList#addSubnet takes it, or null when `entry` is neither. */
export function parseCidr(entry: string): { ip: string; bits: number; family: 'ipv4' | 'ipv6' } | null {
  const [ip = '', prefix, extra] = entry.split('/');
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : null;
  if (!family || extra !== undefined) return null;
  const max = family === 'ipv4' ? 32 : 128;
  const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  return Number.isInteger(bits) && bits >= 0 && bits <= max ? { ip, bits, family } : null;
}
