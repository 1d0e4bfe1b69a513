/**
 * The four failures every connector must explain the same way (issue 4): an unreachable host (transient:
 * retried), bad credentials and missing permission (configuration: never retried, retrying cannot fix
 * them), and a missing table or column (configuration). Each connector maps its driver's codes onto these.
 */
import { ConfigurationError } from '../source';

/** The source could not be reached or dropped the connection: worth retrying, with a clear message. */
export class SourceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceUnavailableError';
  }
}

/** Node's socket and DNS error codes that mean "not reachable right now". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'PROTOCOL_CONNECTION_LOST',
]);

/** The network code of an error or of its cause chain, if any. */
export function networkCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined, i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
    // AggregateError from happy-eyeballs connects: look at the first attempt.
    if (Array.isArray(e.errors) && e.errors.length > 0) e = e.errors[0] as typeof e;
    else e = e.cause as typeof e;
  }
  return undefined;
}

export const messageOf = (err: unknown): string =>
  err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);

export const unreachable = (kind: string, target: string, err: unknown): SourceUnavailableError =>
  new SourceUnavailableError(`${kind}: cannot reach ${target} (${networkCode(err) ?? messageOf(err)}); will retry`);

export const authFailed = (kind: string, err: unknown): ConfigurationError =>
  new ConfigurationError(
    `${kind}: authentication failed: ${messageOf(err)} (check the connection's user and credentials)`,
  );

export const permissionDenied = (kind: string, what: string, err: unknown): ConfigurationError =>
  new ConfigurationError(
    `${kind}: permission denied on ${what}: ${messageOf(err)} (grant the connection's user read access)`,
  );

export const missingObject = (kind: string, what: string, err: unknown): ConfigurationError =>
  new ConfigurationError(`${kind}: ${what} does not exist: ${messageOf(err)}`);

/** A rejected custom query (not a single SELECT, or it tried to write). */
export const notReadOnly = (kind: string, err: unknown): ConfigurationError =>
  new ConfigurationError(`${kind}: the custom query must only read: ${messageOf(err)}`);
