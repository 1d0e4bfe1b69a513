/**
 * Connections are resolved inside the worker, never passed through Temporal. In this version they come
 * from the environment: TRIBUTARY_CONNECTION_<NAME>=<url> (name upper-cased, '-' as '_'), or
 * TRIBUTARY_CONNECTIONS='{"name": "<url>", ...}'. The URL's scheme gives the connector kind.
 */
import { ConfigurationError, type ConnectionConfig, type ConnectionResolver } from './source';

const KIND_BY_SCHEME: Record<string, string> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  clickhouse: 'clickhouse',
  mysql: 'mysql',
  mariadb: 'mysql',
  snowflake: 'snowflake',
  bigquery: 'bigquery',
  // Files (connectors/files): the URL's path is the base the import's paths are under.
  file: 'file',
  http: 'http',
  https: 'http',
  sftp: 'sftp',
  s3: 's3',
};

export function connectionFromUrl(url: string): ConnectionConfig {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
  const kind = KIND_BY_SCHEME[scheme];
  if (!kind)
    throw new ConfigurationError(
      `connection URL scheme "${scheme}" is not one of ${Object.keys(KIND_BY_SCHEME).join(', ')}`,
    );
  return { kind, url };
}

/** A resolver over a fixed map of name → URL (tests and the bench build one directly). */
export function staticConnections(map: Record<string, string>): ConnectionResolver {
  return async (name) => {
    const url = map[name];
    if (!url) throw new ConfigurationError(`connection "${name}" is not configured on this worker`);
    return { ...connectionFromUrl(url), operatorDefined: true };
  };
}

export function envConnections(env: NodeJS.ProcessEnv = process.env): ConnectionResolver {
  return async (name) => {
    const direct = env[`TRIBUTARY_CONNECTION_${name.toUpperCase().replace(/-/g, '_')}`];
    if (direct) return { ...connectionFromUrl(direct), operatorDefined: true };
    if (env.TRIBUTARY_CONNECTIONS) {
      let map: Record<string, string>;
      try {
        map = JSON.parse(env.TRIBUTARY_CONNECTIONS) as Record<string, string>;
      } catch {
        // JSON.parse quotes the text around the fault, which is full of connection URLs and their passwords.
        throw new ConfigurationError('TRIBUTARY_CONNECTIONS is not a valid JSON object of connection name to URL');
      }
      if (map[name]) return { ...connectionFromUrl(map[name]), operatorDefined: true };
    }
    throw new ConfigurationError(
      `connection "${name}" is not configured on this worker: set TRIBUTARY_CONNECTION_${name.toUpperCase().replace(/-/g, '_')}`,
    );
  };
}

/** Strip credentials from a URL before it is shown anywhere. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}
