/**
 * Database drivers that open their own TCP connections (node-postgres, mysql2) and HTTP clients that take
 * an agent (ClickHouse), made to connect through the operator's policy on addresses (networkReach.ts): the
 * host of a source connection comes from an API key holder, so it may not reach this machine, its private
 * network or a metadata service unless TRIBUTARY_ALLOW_PRIVATE_HOSTS allows it. Names resolve through the
 * check at each new connection, so the address judged is the one connected to.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { NetworkReach } from './networkReach';

/** A socket that fails (on its 'error' event, as a refused connect would) once the driver has listened. */
function refused(socket: net.Socket, err: unknown): net.Socket {
  process.nextTick(() => socket.destroy(err as Error));
  return socket;
}

/**
 * node-postgres's `stream` option: a socket whose connect(port, host) — or connect(path) for a Unix
 * socket — goes through the policy.
 */
export function pgStream(reach: NetworkReach): () => net.Socket {
  return () => {
    const socket = new net.Socket();
    const connect = socket.connect.bind(socket) as (options: net.TcpNetConnectOpts) => net.Socket;
    const guarded = (port: number | string, host?: string): net.Socket => {
      try {
        if (typeof port === 'string' && host === undefined) reach.checkSocketPath(port);
        else reach.checkHost(host ?? 'localhost');
      } catch (err) {
        return refused(socket, err);
      }
      return connect({ port: Number(port), host: host ?? 'localhost', lookup: reach.lookup });
    };
    socket.connect = guarded as typeof socket.connect;
    return socket;
  };
}

/** mysql2's `stream` option: a TCP connection to host:port through the policy. */
export function tcpStream(reach: NetworkReach, host: string, port: number): () => net.Socket {
  return () => {
    const socket = new net.Socket();
    try {
      reach.checkHost(host);
    } catch (err) {
      return refused(socket, err);
    }
    return socket.connect({ port, host: host.replace(/^\[(.*)\]$/, '$1'), lookup: reach.lookup });
  };
}

/** An HTTP(S) agent whose connections resolve names through the policy (IP literals: check them with checkHost). */
export function reachingAgent(reach: NetworkReach, secure: boolean, maxSockets: number): http.Agent {
  const options = { keepAlive: true, maxSockets, lookup: reach.lookup };
  return secure ? new https.Agent(options) : new http.Agent(options);
}
