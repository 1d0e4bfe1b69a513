/**
 * Which network addresses a source may connect to. A connection URL comes from an API key holder, so a
 * host that is (or resolves to) this machine or its private network would let that key reach what only
 * the operator should: the store, the Temporal UI, the API itself, cloud metadata. Such addresses are
 * refused unless the operator's policy allows them (TRIBUTARY_ALLOW_PRIVATE_HOSTS).
 *
 * The address checked is the one connected to: `lookup` replaces the socket's own name resolution and
 * checks every address the name resolves to, so a name that resolves to a public address when first
 * looked at and to 127.0.0.1 at connect time (DNS rebinding) is still refused. An IP literal is never
 * looked up by Node, so `checkHost` checks it before connecting.
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import net from 'node:net';
import { ConfigurationError } from '../source';
import { type OperatorPolicy, parseCidr } from './operatorPolicy';

/** A host the policy does not let sources reach: never retried (the answer would not change). */
export class RefusedAddressError extends ConfigurationError {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedAddressError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** dns.lookup's shape, as net.connect, http.request and http.Agent take it. */
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;
/** How names are resolved (dns.lookup; tests hand in a fixed table). */
export type Resolver = (
  hostname: string,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, callback) => dns.lookup(hostname, { all: true, verbatim: true }, callback);

/** Address ranges a source may not reach by default, with what they are (for the message). */
const RANGES: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared (CGNAT)'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

/** What kind of restricted address this is, or null for an address sources may reach. */
export function restrictedKind(address: string): string | null {
  const embedded = embeddedIpv4(address);
  const ip = embedded ?? address;
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : null;
  if (!family) return 'unparseable';
  for (const [base, prefix, f, kind] of RANGES) {
    if (f !== family) continue;
    const list = new net.BlockList();
    list.addSubnet(base, prefix, f);
    if (list.check(ip, f)) return kind;
  }
  return null;
}

/**
 * The IPv4 address inside an IPv6 form that carries one: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
 * (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d). Such a form reaches the IPv4 address, so that is what is judged.
 */
function embeddedIpv4(address: string): string | null {
  if (!net.isIPv6(address)) return null;
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 10) && b[10] === 0xff && b[11] === 0xff;
  const compatible = zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && b[15] === 1);
  const nat64 = b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12);
  return mapped || compatible || nat64 ? b.slice(12).join('.') : null;
}

/** The 16 bytes of an IPv6 address (which net.isIPv6 has accepted), a dotted IPv4 tail included. */
function ipv6Bytes(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === null ? [] : groups(tail);
  const all = tail === null ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

export interface NetworkReach {
  /** Throws RefusedAddressError if `host` is an IP literal sources may not reach (names are checked by `lookup`). */
  checkHost(host: string): void;
  /** A lookup for net.connect / http.request / http.Agent that refuses a name resolving to a refused address. */
  lookup: LookupFunction;
  /**
   * Throws RefusedAddressError if `host` is, or now resolves to, an address the policy refuses: for a check
   * up front (a URL being registered). A name that does not resolve now (or within a few seconds) passes;
   * connecting decides later.
   */
  vet(host: string): Promise<void>;
  /** Throws RefusedAddressError for a Unix socket (on this machine), unless the policy allows every address. */
  checkSocketPath(socketPath: string): void;
  /** A TCP connection to host:port, refused before connecting if its address is not reachable by policy. */
  connect(host: string, port: number, timeoutMs: number): Promise<net.Socket>;
}

/** How long a check up front waits for a name to resolve. */
const VET_TIMEOUT_MS = 3000;

/** `reacher`: who is refused, for the message (sources unless told, e.g. webhooks). */
export function networkReach(
  policy: Pick<OperatorPolicy, 'allowPrivateHosts'>,
  resolve: Resolver = systemResolver,
  reacher = 'sources',
): NetworkReach {
  const allowAll = policy.allowPrivateHosts.includes('*');
  const allowed = new net.BlockList();
  for (const entry of policy.allowPrivateHosts) {
    if (entry === '*') continue;
    const cidr = parseCidr(entry);
    if (!cidr)
      throw new Error(
        `TRIBUTARY_ALLOW_PRIVATE_HOSTS: "${entry}" is not an IP address or CIDR (e.g. 10.1.2.3 or 10.0.0.0/8)`,
      );
    allowed.addSubnet(cidr.ip, cidr.bits, cidr.family);
  }
  const isAllowed = (address: string): boolean => {
    if (allowAll) return true;
    const ip = embeddedIpv4(address) ?? address;
    return allowed.check(ip, net.isIPv4(ip) ? 'ipv4' : 'ipv6');
  };
  const check = (address: string, host: string): void => {
    const kind = restrictedKind(address);
    if (kind === null || isAllowed(address)) return;
    const named = host === address ? address : `${host} (${address})`;
    throw new RefusedAddressError(
      `${named} is a ${kind} address, which ${reacher} may not reach; the operator can allow it with TRIBUTARY_ALLOW_PRIVATE_HOSTS`,
    );
  };
  const unbracket = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

  const lookup: LookupFunction = (hostname, options, callback) => {
    const literal = unbracket(hostname);
    if (net.isIP(literal)) {
      // Node skips lookup for IP literals, but an agent may still call it with one.
      try {
        check(literal, literal);
      } catch (err) {
        callback(err as RefusedAddressError, '');
        return;
      }
      const family = net.isIPv4(literal) ? 4 : 6;
      if (options.all) callback(null, [{ address: literal, family }]);
      else callback(null, literal, family);
      return;
    }
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, '');
      const wanted =
        options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
      try {
        // Every address, not only the first: a connection may fall back to any of them.
        for (const a of wanted) check(a.address, hostname);
      } catch (refused) {
        return callback(refused as RefusedAddressError, '');
      }
      if (wanted.length === 0) {
        const none = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return callback(none, '');
      }
      if (options.all) callback(null, wanted);
      else callback(null, wanted[0]!.address, wanted[0]!.family);
    });
  };

  const checkHost = (host: string): void => {
    const literal = unbracket(host);
    if (net.isIP(literal)) check(literal, literal);
  };

  const vet = (host: string): Promise<void> =>
    new Promise((done, fail) => {
      try {
        checkHost(host);
      } catch (err) {
        fail(err);
        return;
      }
      if (net.isIP(unbracket(host))) return done();
      // A resolver that does not answer soon is no answer: connecting decides later, through the same check.
      const timer = setTimeout(done, VET_TIMEOUT_MS);
      lookup(host, { all: true }, (err) => {
        clearTimeout(timer);
        if (err instanceof RefusedAddressError) fail(err);
        else done();
      });
    });

  const checkSocketPath = (socketPath: string): void => {
    if (allowAll) return;
    throw new RefusedAddressError(
      `the Unix socket ${socketPath} is on this machine, which ${reacher} may not reach; the operator can allow it with TRIBUTARY_ALLOW_PRIVATE_HOSTS=*`,
    );
  };

  return {
    checkHost,
    lookup,
    vet,
    checkSocketPath,
    connect: (host, port, timeoutMs) =>
      new Promise((resolve, reject) => {
        try {
          checkHost(host);
        } catch (err) {
          reject(err);
          return;
        }
        const socket = net.connect({ host: unbracket(host), port, lookup, timeout: timeoutMs });
        const fail = (err: Error) => {
          socket.destroy();
          reject(err);
        };
        socket.once('error', fail);
        socket.once('timeout', () =>
          fail(Object.assign(new Error(`connect ETIMEDOUT ${host}:${port}`), { code: 'ETIMEDOUT' })),
        );
        socket.once('connect', () => {
          socket.removeListener('error', fail);
          socket.setTimeout(0);
          // The address actually connected to, judged once more (nothing has been sent on it yet).
          try {
            check(socket.remoteAddress ?? '', host);
          } catch (err) {
            fail(err as Error);
            return;
          }
          resolve(socket);
        });
      }),
  };
}

/** The host of an endpoint given as a URL (`http://127.0.0.1:9050`) or as a bare host[:port]. */
export function endpointHost(endpoint: string): string {
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`).hostname;
}
