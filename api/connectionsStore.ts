/**
 * Stored connections: the URL sealed under TRIBUTARY_SECRET_KEY, and a display form without the password.
 * Nothing here returns the URL; callers that must connect resolve the id like the worker does.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { connectionFromUrl } from '../connectors/connections';
import { encryptSecret, requireSecretKey } from '../connectors/secrets';
import { ConfigurationError } from '../connectors/source';
import { insertConnectionRow } from '../store/connections';

export interface ConnectionDisplay {
  host: string | null;
  port: number | null;
  database: string | null;
  user: string | null;
}

export interface ConnectionInput {
  id?: string;
  name: string;
  url?: string;
  kind?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  params?: Record<string, string>;
}

/** The URL a structured body describes (credentials percent-encoded), or the one given. */
export function urlOf(input: ConnectionInput): string {
  if (input.url) return input.url;
  const u = new URL(`${input.kind ?? 'postgres'}://placeholder`);
  u.hostname = input.host!;
  if (input.port) u.port = String(input.port);
  u.pathname = `/${encodeURIComponent(input.database ?? '')}`;
  if (input.user) u.username = encodeURIComponent(input.user);
  if (input.password) u.password = encodeURIComponent(input.password);
  for (const [k, v] of Object.entries(input.params ?? {})) u.searchParams.set(k, v);
  return u.toString();
}

export function displayOf(url: string): ConnectionDisplay {
  try {
    const u = new URL(url);
    return {
      host: u.hostname || null,
      port: u.port ? Number(u.port) : null,
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || null,
      user: u.username ? decodeURIComponent(u.username) : null,
    };
  } catch {
    return { host: null, port: null, database: null, user: null };
  }
}

export async function insertConnection(store: pg.Pool, key: Buffer | null, input: ConnectionInput): Promise<string> {
  const url = urlOf(input);
  const { kind } = connectionFromUrl(url);
  const id = input.id ?? `c-${randomBytes(5).toString('hex')}`;
  const inserted = await insertConnectionRow(store, {
    id,
    name: input.name,
    kind,
    display: displayOf(url),
    sealedUrl: encryptSecret(requireSecretKey(key), url),
  });
  if (!inserted) throw new DuplicateError(id);
  return id;
}

export class DuplicateError extends Error {}

/** A URL must parse before it is sealed; its scheme names the connector. */
export function checkUrl(url: string): void {
  try {
    new URL(url);
  } catch {
    throw new ConfigurationError('url: not a valid URL');
  }
  connectionFromUrl(url);
}

/** sslmode values node-postgres understands (libpq's, and its own no-verify). */
const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];
/** Parameters node-postgres reads as file paths while it connects: on the API's and the worker's machine, not the caller's. */
const FILE_PARAMS = ['sslcert', 'sslkey', 'sslrootcert', 'sslcrl'];

/** A parameter of a Postgres connection URL the API refuses to store, and why; null when there is none. */
export function urlParamProblem(url: string): { param: string; message: string } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null; // checkUrl names an unparsable URL
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol)) return null;
  for (const param of FILE_PARAMS) {
    if (u.searchParams.has(param)) {
      return {
        param,
        message: `${param} names a file on the server, which a stored connection may not; verify-full checks the server against the system's CA certificates`,
      };
    }
  }
  const mode = u.searchParams.get('sslmode');
  if (mode !== null && !SSLMODES.includes(mode))
    return { param: 'sslmode', message: `sslmode "${mode}" is not one of ${SSLMODES.join(', ')}` };
  return null;
}
