/**
 * Dropped connections: a store or source that restarts, or a backend terminated under us, must fail the
 * batch or the request that was using the connection, never the process. Node drivers report a dead
 * socket as an 'error' event on the client (pg, mysql2) or stream; an 'error' event with no listener is
 * thrown, and kills the worker or the API. Every pool and client gets a listener here; the query that was
 * running fails on its own promise, and the pool replaces the connection on next use.
 */
import type { EventEmitter } from 'node:events';
import type pg from 'pg';
import { messageOf, networkCode } from './errors';

export type ConnectionLog = (line: string) => void;

const defaultLog: ConnectionLog = (line) => console.warn(line);

/** The driver's code and message of a dropped connection, short and without connection details. */
const describe = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `${code}: ${messageOf(err)}` : messageOf(err);
};

/** A listener for a connection's 'error' events: logged, never thrown. */
export function logDropped(what: string, log: ConnectionLog = defaultLog): (err: unknown) => void {
  return (err) => log(`${what}: connection lost (${describe(err)}); its work fails and is retried`);
}

/**
 * A pg pool whose connections can die without taking the process along. pg-pool listens for 'error' on
 * idle clients only (re-emitting it on the pool); a checked-out client emits on itself, with no
 * listener, while it waits between queries of a batch. So every client gets its own listener for life.
 */
export function guardPool(pool: pg.Pool, what: string, log?: ConnectionLog): pg.Pool {
  const onError = logDropped(what, log);
  pool.on('error', onError);
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
  return pool;
}

/** A stream (pg-query-stream, pg-copy-streams) whose error reaches its consumer another way. */
export function guardStream<T extends EventEmitter>(stream: T): T {
  stream.on('error', () => undefined);
  return stream;
}

/**
 * Postgres's SQLSTATEs of a connection that is gone or going: admin_shutdown (a terminated backend, a
 * fast shutdown), crash_shutdown, cannot_connect_now (starting up, in recovery), and class 08
 * (connection exceptions).
 */
const GONE_STATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const GONE_MESSAGES = ['Connection terminated', 'Client has encountered a connection error and is not queryable'];

/** True when the error means the connection was lost or refused, so the same work may succeed later. */
export function isDroppedConnection(err: unknown): boolean {
  if (networkCode(err)) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && GONE_STATES.has(e.code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return GONE_MESSAGES.some((m) => message.startsWith(m));
}

/** admin_shutdown: what pg_terminate_backend (and a fast shutdown) leaves the terminated session. */
export const BACKEND_TERMINATED = '57P01';

/**
 * The source session was terminated (57P01) while it ran the spec's custom query. Either someone else
 * ended it (a DBA, a shutdown: worth a retry) or the query ended its own backend (never worth one): the
 * work is tried once more on a new connection to tell which (see ownTermination.ts).
 */
export class CustomQueryTerminatedError extends Error {
  constructor(cause: unknown) {
    super(`the source ended the connection running the custom query (${describe(cause)})`, { cause });
    this.name = 'CustomQueryTerminatedError';
  }
}

export function isBackendTerminated(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === BACKEND_TERMINATED;
}
