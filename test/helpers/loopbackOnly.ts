/**
 * Keeps a test process's sockets on this machine: every TCP connect to a host that is not a loopback
 * literal (127.0.0.0/8, ::1, localhost, or the unspecified address, which Linux connects to locally) fails
 * at once with ECONNREFUSED, before any DNS lookup. A fuzzer that stores connections to hosts of its own
 * invention can then make the API and worker reach nothing but loopback, and fast: a refused connect is a
 * SourceUnavailableError straight away instead of a DNS query and a connect timeout.
 *
 * Every JavaScript client (pg, mysql2, the ClickHouse and Snowflake HTTP clients, fetch, ssh2) connects
 * through net.Socket.prototype.connect, which tls.connect uses too; Temporal's client connects from native
 * code, to the loopback dev server. Unix sockets pass.
 */
import net from 'node:net';

export interface LoopbackGuard {
  /** Hosts refused so far, in order (for the test's report). */
  refused: string[];
  uninstall(): void;
}

const LOOPBACK_NAMES = new Set(['localhost', '0.0.0.0', '::', '::1', '0:0:0:0:0:0:0:1']);

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(h) || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

type ConnectArgs = unknown[];

/** The host a Socket#connect call names (net.connect hands over its normalized [options, cb] array). */
function hostOf(args: ConnectArgs): { host: string } | { path: string } {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (first && typeof first === 'object') {
    const o = first as { path?: unknown; host?: unknown };
    if (typeof o.path === 'string') return { path: o.path };
    return { host: typeof o.host === 'string' && o.host !== '' ? o.host : 'localhost' };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost' };
}

export function installLoopbackOnly(): LoopbackGuard {
  const original = net.Socket.prototype.connect;
  const guard: LoopbackGuard = {
    refused: [],
    uninstall: () => {
      net.Socket.prototype.connect = original;
    },
  };
  const guarded = function guardedConnect(this: net.Socket, ...args: ConnectArgs) {
    const target = hostOf(args);
    if ('host' in target && !isLoopbackHost(target.host)) {
      guard.refused.push(target.host);
      const err = Object.assign(new Error(`connect ECONNREFUSED ${target.host} (this test allows loopback only)`), {
        code: 'ECONNREFUSED',
        errno: -111,
        syscall: 'connect',
        address: target.host,
      });
      process.nextTick(() => this.destroy(err));
      return this;
    }
    return (original as (...a: ConnectArgs) => net.Socket).apply(this, args);
  };
  net.Socket.prototype.connect = guarded;
  return guard;
}
