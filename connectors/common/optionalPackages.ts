/**
 * The SDKs of warehouses, file transports and file formats are optional packages: a user who reads only
 * Postgres installs none of them. Each is imported when a connection needs it, and a missing one is a
 * ConfigurationError (never retried: no retry installs a package) naming the npm package to add.
 */
import { ConfigurationError } from '../source';

/** The npm packages each connection kind or file format loads, in the order they are imported. */
export const OPTIONAL_PACKAGES = {
  mysql: ['mysql2'],
  clickhouse: ['@clickhouse/client'],
  snowflake: ['snowflake-sdk'],
  bigquery: ['@google-cloud/bigquery', 'google-auth-library'],
  s3: ['@aws-sdk/client-s3'],
  sftp: ['ssh2-sftp-client'],
  parquet: ['hyparquet'],
} as const satisfies Record<string, readonly string[]>;

export type OptionalKind = keyof typeof OPTIONAL_PACKAGES;

/** What needs the package, as the end of "connection "x" …": a kind of connection, or a file format. */
const needOf = (kind: OptionalKind): string => (kind === 'parquet' ? 'has Parquet files' : `is of kind "${kind}"`);

export class MissingPackageError extends ConfigurationError {
  constructor(
    readonly kind: OptionalKind,
    readonly packageName: string,
    readonly connection?: string,
  ) {
    super(
      `${connection === undefined ? 'the connection' : `connection "${connection}"`} ${needOf(kind)}: install the npm package ${packageName} (npm install ${packageName})`,
    );
  }

  /** The same error, naming the connection (known to the caller that resolved it, not to the loader). */
  forConnection(name: string): MissingPackageError {
    return new MissingPackageError(this.kind, this.packageName, name);
  }
}

/** The package among `packages` whose resolution failed, if `err` is Node's "cannot find" error for it. */
export function missingPackageOf(err: unknown, packages: readonly string[]): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'MODULE_NOT_FOUND') || typeof e.message !== 'string')
    return undefined;
  const message = e.message;
  // Node names the package itself ("Cannot find package 'x' imported from …"), or the module for require().
  return packages.find((p) => message.includes(`'${p}'`) || message.includes(`"${p}"`) || message.includes(`'${p}/`));
}

/** Run `load` (a dynamic import of the module that imports the kind's SDK); a missing SDK becomes a MissingPackageError. */
export async function loadOptional<T>(kind: OptionalKind, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const missing = missingPackageOf(err, OPTIONAL_PACKAGES[kind]);
    if (missing !== undefined) throw new MissingPackageError(kind, missing);
    throw err;
  }
}

/** A MissingPackageError, named for the connection that needed it; any other error as it was. */
export const namedForConnection = (err: unknown, connection: string): unknown =>
  err instanceof MissingPackageError && err.connection === undefined ? err.forConnection(connection) : err;
