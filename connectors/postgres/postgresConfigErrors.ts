/**
 * Postgres failures that no retry can fix, because the connection URL or the request must change: the
 * URL's sslmode asks for TLS the server does not offer or cannot prove (sslmode=require, verify-ca,
 * verify-full), and a feature the server lacks, such as a three-part name whose first part is another
 * database (Postgres reads db.schema.table only for the database it is connected to).
 */

/** Node's certificate-check failures (tls.TLSSocket authorizationError codes). */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/** Why the connection or request must change, or null when `err` is not such a failure. */
export function postgresConfigProblem(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (/does not support SSL connections/i.test(message)) {
    return "the server does not support SSL connections, but the connection URL's sslmode asks for it (use sslmode=prefer or disable, or enable SSL on the server)";
  }
  if (CERTIFICATE_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    return `the server's TLS certificate was refused (${code}: ${message}); check the connection URL's sslmode and the server's certificate`;
  }
  if (code === '0A000') {
    return /cross-database references/.test(message)
      ? `${message} (a three-part name must start with the database the connection is to)`
      : `${message} (the server does not support this)`;
  }
  return null;
}
