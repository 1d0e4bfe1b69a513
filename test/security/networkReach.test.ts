/**
 * Network file sources (HTTP(S), S3, SFTP) reach loopback, private and link-local addresses only where
 * the operator allows them. Real servers on loopback: by default each is refused; allowed by
 * TRIBUTARY_ALLOW_PRIVATE_HOSTS, each is read. The address checked is the one connected to: a name
 * resolving to 127.0.0.1 (localhost, or a name a test resolver maps) and a redirect to another loopback
 * address are refused too.
 */
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkReach, restrictedKind, type Resolver } from '../../connectors/common/networkReach';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../../connectors/common/operatorPolicy';
import { connectionFromUrl } from '../../connectors/connections';
import { createFileConnectors } from '../../connectors/files/connectors';
import { fileReach, openTransport } from '../../connectors/files/transports/open';
import { readAll } from '../../connectors/files/transports/transport';
import { startHttp, startS3, startSftp, type Running } from '../files/fileServers';
import { TEST_FILE_ROOTS } from '../helpers/testPolicy';

const CANARY = 'CANARY-51e0-loopback-body';
// The default policy, but the test sshd's client key (in a temp folder) is in the operator's key folders.
const strict: OperatorPolicy = { ...operatorPolicyFromEnv({}), keyFileRoots: TEST_FILE_ROOTS };
const allowing = (...hosts: string[]): OperatorPolicy => ({ ...strict, allowPrivateHosts: hosts });
const open = (url: string, policy: OperatorPolicy, resolve?: Resolver) =>
  openTransport(connectionFromUrl(url), fileReach(policy, resolve));
const REFUSED =
  /is a loopback address, which sources may not reach; the operator can allow it with TRIBUTARY_ALLOW_PRIVATE_HOSTS/;

let web: Running & { requests: string[] };
const servers: Running[] = [];
beforeAll(async () => {
  web = await startHttp();
  servers.push(web);
  await writeFile(path.join(web.root, 'data.csv'), `id\n${CANARY}\n`);
}, 120_000);
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('address classes (IANA special-purpose registries)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fdff:ffff::1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.254', 'shared (CGNAT)'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::a00:1', 'private'],
    ['8.8.8.8', null],
    ['172.32.0.1', null],
    ['100.128.0.1', null],
    ['192.169.0.1', null],
    ['2001:4860:4860::8888', null],
    ['::ffff:8.8.8.8', null],
  ])('%s is %s', (address, kind) => {
    expect(restrictedKind(address)).toBe(kind);
  });

  it('takes single addresses and CIDRs, and names a bad entry', () => {
    expect(() => networkReach(allowing('10.0.0.0/8', '127.0.0.1', '::1/128'))).not.toThrow();
    expect(() => networkReach(allowing('localhost'))).toThrow(
      /TRIBUTARY_ALLOW_PRIVATE_HOSTS: "localhost" is not an IP address or CIDR/,
    );
    expect(() => networkReach(allowing('10.0.0.0/33'))).toThrow(/not an IP address or CIDR/);
  });
});

describe('HTTP', () => {
  it('refuses a loopback server by default, and reads it when the operator allows 127.0.0.1/32', async () => {
    expect(strict.allowPrivateHosts).toEqual([]);
    const before = web.requests.length;
    await expect(open(web.url, strict)).rejects.toThrow(REFUSED);
    expect(web.requests.length).toBe(before); // nothing was sent
    const t = await open(web.url, allowing('127.0.0.1/32'));
    expect((await readAll(t, 'data.csv')).toString()).toBe(`id\n${CANARY}\n`);
  });

  it('refuses the IPv4-mapped IPv6 form of loopback', async () => {
    const port = new URL(web.url).port;
    await expect(open(`http://[::ffff:127.0.0.1]:${port}/files/`, strict)).rejects.toThrow(/is a loopback address/);
  });

  it('refuses a name that resolves to loopback: localhost', async () => {
    const url = web.url.replace('127.0.0.1', 'localhost');
    const t = await open(url, strict);
    const err = await t.stat('data.csv').then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^http: localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
    expect(err?.name).toBe('ConfigurationError'); // not retried
  });

  it('checks the address a name resolves to at connect time, not the name', async () => {
    // A resolver for an ordinary-looking name; every connection asks it again (no answer is reused),
    // so a name that changes its answer to 127.0.0.1 between connections is refused when it does.
    const asked: string[] = [];
    const resolver: Resolver = (hostname, callback) => {
      asked.push(hostname);
      if (hostname === 'files.example.test') callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    };
    const url = web.url.replace('127.0.0.1', 'files.example.test');
    const refused = await open(url, strict, resolver);
    await expect(refused.stat('data.csv')).rejects.toThrow(
      /^http: files\.example\.test \(127\.0\.0\.1\) is a loopback address/,
    );
    // Allowed, the connection goes to the address the resolver gave (the server answers).
    const allowed = await open(url, allowing('127.0.0.1/32'), resolver);
    expect((await allowed.stat('data.csv')).size).toBe(`id\n${CANARY}\n`.length);
    expect((await readAll(allowed, 'data.csv')).toString()).toContain(CANARY);
    expect(asked.filter((h) => h === 'files.example.test').length).toBeGreaterThanOrEqual(3);
  });

  it('follows a redirect only to an allowed address: a redirect to another loopback address is refused', async () => {
    // The redirecting server is allowed (127.0.0.1); where it points (127.0.0.2, the same machine) is not.
    const targetAuth: string[] = [];
    const target = http.createServer((req, res) => {
      targetAuth.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-length': CANARY.length }).end(CANARY);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.2', resolve));
    const targetPort = (target.address() as { port: number }).port;
    const hits: string[] = [];
    const redirect = http.createServer((req, res) => {
      hits.push(`${req.headers.authorization ?? ''}`);
      res.writeHead(302, { location: `http://127.0.0.2:${targetPort}/secret` }).end();
    });
    await new Promise<void>((resolve) => redirect.listen(0, '127.0.0.1', resolve));
    const port = (redirect.address() as { port: number }).port;
    try {
      const t = await open(`http://user:pw@127.0.0.1:${port}/`, allowing('127.0.0.1/32'));
      const err = await t.read('x.csv', 0).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/^http: 127\.0\.0\.2 is a loopback address, which sources may not reach/);
      expect(err?.message).not.toContain(CANARY);
      // Allowed both, the redirect is followed (and the credentials stay with the first origin).
      const both = await open(`http://user:pw@127.0.0.1:${port}/`, allowing('127.0.0.1/32', '127.0.0.2/32'));
      expect((await readAll(both, 'x.csv')).toString()).toBe(CANARY);
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.every((h) => h.startsWith('Basic '))).toBe(true);
      expect(targetAuth).toEqual(['']);
    } finally {
      redirect.closeAllConnections();
      target.closeAllConnections();
      await new Promise((resolve) => redirect.close(resolve));
      await new Promise((resolve) => target.close(resolve));
    }
  });
});

describe('S3 and SFTP', () => {
  it('refuses S3 on loopback by default, and lists it when allowed', async () => {
    const s3 = await startS3('guarded');
    servers.push(s3);
    await expect(open(s3.url, strict)).rejects.toThrow(/^s3: 127\.0\.0\.1 is a loopback address/);
    // A name resolving to loopback is refused on the SDK's own connection.
    const named = await open(s3.url.replace('127.0.0.1', 'localhost'), strict);
    await expect(named.list('')).rejects.toThrow(/^s3: localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
    const t = await open(s3.url, allowing('127.0.0.1/32', '::1/128'));
    expect(await t.list('')).toEqual([]);
    await t.close();
    await named.close();
  }, 120_000);

  it('refuses SFTP on loopback by default, and lists it when allowed', async () => {
    const sftp = await startSftp();
    servers.push(sftp);
    await expect(open(sftp.url, strict)).rejects.toThrow(/^sftp: 127\.0\.0\.1 is a loopback address/);
    await expect(open(sftp.url.replace('127.0.0.1', 'localhost'), strict)).rejects.toThrow(
      /^sftp: localhost \((127\.0\.0\.1|::1)\) is a loopback address/,
    );
    const t = await open(sftp.url, allowing('127.0.0.1/32'));
    expect(await t.list('')).toEqual([]);
    await t.close();
  }, 120_000);

  it('the connectors the worker builds refuse loopback under the default policy', async () => {
    const connectors = createFileConnectors({ policy: strict });
    for (const url of [web.url]) {
      const c = connectionFromUrl(url);
      await expect(connectors[c.kind]!.open(c)).rejects.toThrow(REFUSED);
    }
  });
});
