/**
 * How the worker, the API and the scripts reach Temporal: the way Temporal's own tools do, through
 * @temporalio/envconfig. A profile of the Temporal config file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE),
 * overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH,
 * TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME (and their
 * _DATA forms). Without any, the local dev server on 127.0.0.1:7233, namespace default.
 */
import { Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export interface TemporalConnectSettings {
  address: string;
  namespace: string;
  /** Address, TLS, API key and gRPC metadata, for NativeConnection.connect and Connection.connect alike. */
  connectionOptions: NativeConnectionOptions & { address: string };
}

/** The settings from the environment and the Temporal config file; a config error names what is wrong. */
export function temporalConnectSettings(env: NodeJS.ProcessEnv = process.env): TemporalConnectSettings {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  let loaded;
  try {
    loaded = loadClientConnectConfig({
      overrideEnvVars: vars,
      ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}),
    });
  } catch (err) {
    throw new Error(`Temporal connection settings: ${(err as Error).message}`, { cause: err });
  }
  const address = loaded.connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS;
  return {
    address,
    namespace: loaded.namespace ?? 'default',
    connectionOptions: { ...loaded.connectionOptions, address },
  };
}

/**
 * Say what went wrong connecting in terms an operator can act on: a refused API key or client certificate
 * otherwise surfaces as a bare gRPC status. The key itself is never part of the message.
 */
export function explainConnectError(err: unknown, settings: TemporalConnectSettings): Error {
  // The SDK wraps the gRPC error ("Failed to connect to Temporal server"): what happened is in its causes.
  const chain: { message?: string; code?: number; details?: string }[] = [];
  for (let e: unknown = err; e && typeof e === 'object' && chain.length < 5; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  const message =
    chain
      .map((e) => e.details || e.message)
      .filter((m) => m)
      .join(': ') || String(err);
  const code = chain.find((e) => typeof e.code === 'number')?.code;
  const where = `Temporal at ${settings.address} (namespace ${settings.namespace})`;
  const auth = settings.connectionOptions.apiKey ? 'the API key (TEMPORAL_API_KEY)' : 'the credentials';
  if (code === 16 || /unauthenticated|valid authentication credentials|\b401\b/i.test(message)) {
    return new Error(`${where} refused ${auth}: ${message}`, { cause: err });
  }
  if (code === 7 || /permission denied|\b403\b/i.test(message)) {
    return new Error(`${where} denied access with ${auth}: ${message}`, { cause: err });
  }
  // A gateway that checks client certificates at the HTTP layer answers 400 (nginx: 400, 495, 496) instead.
  const tls = settings.connectionOptions.tls;
  if (/certificate|handshake|tls|ssl/i.test(message) || (tls && /HTTP status code (400|495|496)\b/.test(message))) {
    return new Error(
      `${where}: the TLS handshake failed (check TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, ` +
        `TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_NAME): ${message}`,
      { cause: err },
    );
  }
  return new Error(`could not connect to ${where}: ${message}`, { cause: err });
}

/**
 * Connect, and make one call: a refused key or certificate shows only on the first call, so it is found
 * now, not at the first poll. A connection that fails the call is closed, and the error says what to check.
 */
async function verified<
  C extends { workflowService: { getSystemInfo(req: object): Promise<unknown> }; close(): Promise<void> },
>(connect: () => Promise<C>, settings: TemporalConnectSettings): Promise<C> {
  let connection: C | undefined;
  try {
    connection = await connect();
    await connection.workflowService.getSystemInfo({});
    return connection;
  } catch (err) {
    await connection?.close().catch(() => undefined);
    throw explainConnectError(err, settings);
  }
}

/** A worker's connection, with an operator-readable error when it is refused. */
export const connectWorker = (
  settings: TemporalConnectSettings = temporalConnectSettings(),
): Promise<NativeConnection> => verified(() => NativeConnection.connect(settings.connectionOptions), settings);

/** A client connection, with an operator-readable error when it is refused. */
export const connectClient = (settings: TemporalConnectSettings = temporalConnectSettings()): Promise<Connection> =>
  verified(() => Connection.connect(settings.connectionOptions), settings);
