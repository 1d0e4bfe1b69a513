/**
 * Real file servers on loopback for the transport tests: OpenSSH's sshd (Debian openssh-server, run
 * unprivileged-style on a free port with a temp host key and a temp authorised key; SFTP is its
 * internal-sftp), versitygw (a real S3 gateway, Go, `go install github.com/versity/versitygw/cmd/versitygw`,
 * serving a temp directory), and an HTTP server with basic auth and Range support. .ci/run installs the
 * first two when missing; the tests never install anything.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { findBinary, freePort, spawnServer, stopProcess, tempDir, waitForPort } from '../helpers/servers';

export interface Running {
  url: string;
  /** The directory the server serves (files put here are what the transport sees). */
  root: string;
  stop(): Promise<void>;
}

/** sshd with key login for the current user; the URL's base is `root`. */
export async function startSftp(): Promise<Running> {
  const sshd = findBinary(['sshd'], 'openssh-server');
  const dir = tempDir('sshd');
  const root = path.join(dir, 'files');
  mkdirSync(root);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'client_key')]);
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_key.pub')), { mode: 0o600 });
  // Run as root, sshd wants its privilege-separation directory.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
    ].join('\n') + '\n',
  );
  const { child, log } = spawnServer(sshd, ['-D', '-e', '-f', config], dir);
  await waitForPort(port, child, 'sshd', log);
  const user = os.userInfo().username;
  return {
    url: `sftp://${user}@127.0.0.1:${port}${root}?privateKey=${encodeURIComponent(path.join(dir, 'client_key'))}`,
    root,
    stop: () => stopProcess(child),
  };
}

/** The versitygw binary: PATH, then Go's bin directory (where `go install` puts it). */
function versitygwBinary(): string {
  const gopath = (() => {
    try {
      return execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    } catch {
      return path.join(os.homedir(), 'go');
    }
  })();
  const candidates = [process.env.TRIBUTARY_VERSITYGW, path.join(gopath, 'bin', 'versitygw')].filter(
    (p): p is string => !!p,
  );
  for (const c of candidates) if (existsSync(c)) return c;
  return findBinary(
    ['versitygw'],
    'versitygw (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0; not an apt package)',
  );
}

/** versitygw over a temp directory; `bucket` exists (a directory of the root). */
export async function startS3(
  bucket: string,
): Promise<Running & { accessKey: string; secretKey: string; endpoint: string }> {
  const bin = versitygwBinary();
  const dir = tempDir('s3');
  const root = path.join(dir, 'gw');
  mkdirSync(path.join(root, bucket), { recursive: true });
  const port = await freePort();
  const accessKey = 'tributarytest';
  const secretKey = 'tributary-test-secret-key';
  const { child, log } = spawnServer(
    bin,
    ['--access', accessKey, '--secret', secretKey, '--port', `127.0.0.1:${port}`, 'posix', root],
    dir,
  );
  await waitForPort(port, child, 'versitygw', log);
  return {
    url: `s3://${accessKey}:${secretKey}@127.0.0.1:${port}/${bucket}?tls=false&region=us-east-1`,
    root: path.join(root, bucket),
    accessKey,
    secretKey,
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => stopProcess(child),
  };
}

/**
 * An HTTP server over a temp directory with basic auth (user `reader`, password `s3cret pass`) and
 * single Range requests, like any static file server.
 */
/**
 * A self-signed certificate for 127.0.0.1 (openssl), so the HTTPS server is real TLS that the client
 * trusts only through the connection's `?ca=` file.
 */
function selfSignedCertificate(dir: string): { key: Buffer; cert: Buffer; caPath: string } {
  const keyPath = path.join(dir, 'key.pem');
  const caPath = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      caPath,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyPath), cert: readFileSync(caPath), caPath };
}

export async function startHttp(
  options: { ignoreRanges?: boolean; tls?: boolean } = {},
): Promise<Running & { requests: string[] }> {
  const root = tempDir('http');
  const tls = options.tls ? selfSignedCertificate(tempDir('tls')) : null;
  const requests: string[] = [];
  const expected = `Basic ${Buffer.from('reader:s3cret pass').toString('base64')}`;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    requests.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`.trim());
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="files"' }).end();
      return;
    }
    const file = path.join(
      root,
      decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/files\//, ''),
    );
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    const etag = `"${body.length}-${Math.trunc(Number(execFileSync('stat', ['-c', '%Y', file], { encoding: 'utf8' })))}"`;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (m && !options.ignoreRanges) {
      const start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${body.length}`,
        'content-length': end - start + 1,
        etag,
      });
      res.end(body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'content-length': body.length, etag });
    res.end(body);
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: tls
      ? `https://reader:${encodeURIComponent('s3cret pass')}@127.0.0.1:${port}/files/?ca=${encodeURIComponent(tls.caPath)}`
      : `http://reader:${encodeURIComponent('s3cret pass')}@127.0.0.1:${port}/files/`,
    root,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
