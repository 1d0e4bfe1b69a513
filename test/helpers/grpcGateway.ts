/**
 * An authenticating gRPC endpoint in front of the test's Temporal dev server, as Temporal Cloud is: nginx
 * (Debian's package) terminating TLS, and either checking an API key in the `authorization` header or
 * requiring a client certificate signed by its CA. Certificates are made with the openssl command.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { findBinary, freePort, spawnServer, stopProcess, tempDir, waitForPort } from './servers';

export interface Certificates {
  dir: string;
  caCert: string;
  /** A client certificate and key signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** A client certificate and key signed by another CA, which the gateway must refuse. */
  rogueCert: string;
  rogueKey: string;
  /** The name the server certificate is issued to. */
  serverName: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function issue(dir: string, name: string, ca: string, subject: string, ext: string | null): void {
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
  const args = [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
  ];
  if (ext) {
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    args.push('-extfile', `${name}.ext`);
  }
  openssl(dir, args);
}

export function makeCertificates(): Certificates {
  const dir = tempDir('certs');
  const serverName = 'temporal.test';
  for (const ca of ['ca', 'rogue-ca']) {
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${ca}`,
    ]);
  }
  issue(
    dir,
    'server',
    'ca',
    `/CN=${serverName}`,
    `subjectAltName=DNS:${serverName},IP:127.0.0.1\nextendedKeyUsage=serverAuth\n`,
  );
  issue(dir, 'client', 'ca', '/CN=tributary-worker', 'extendedKeyUsage=clientAuth\n');
  issue(dir, 'rogue', 'rogue-ca', '/CN=tributary-worker', 'extendedKeyUsage=clientAuth\n');
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    caCert: f('ca.crt'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    rogueCert: f('rogue.crt'),
    rogueKey: f('rogue.key'),
    serverName,
  };
}

export interface GrpcGateway {
  address: string;
  stop(): Promise<void>;
}

/** nginx proxying gRPC to `upstream`, requiring `apiKey` (as `Bearer <key>`) or a client certificate. */
export async function startGrpcGateway(
  upstream: string,
  certs: Certificates,
  auth: { apiKey: string } | { mtls: true },
  options: { denyOperatorService?: boolean } = {},
): Promise<GrpcGateway> {
  const nginx = findBinary(['nginx'], 'nginx');
  const dir = tempDir('nginx');
  const port = await freePort();
  const check =
    'apiKey' in auth
      ? `if ($http_authorization != "Bearer ${auth.apiKey}") {
          add_header grpc-status 16 always;
          add_header grpc-message "invalid API key" always;
          return 200;
        }`
      : '';
  const mtls = 'mtls' in auth ? `ssl_client_certificate ${certs.caCert};\n      ssl_verify_client on;` : '';
  const conf = `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${path.join(certs.dir, 'server.crt')};
    ssl_certificate_key ${path.join(certs.dir, 'server.key')};
    ${mtls}
    ${
      options.denyOperatorService
        ? `location /temporal.api.operatorservice.v1.OperatorService/ {
      default_type application/grpc;
      add_header grpc-status 7 always;
      add_header grpc-message "this key may not manage the namespace" always;
      return 200;
    }`
        : ''
    }
    location / {
      default_type application/grpc;
      ${check}
      grpc_read_timeout 120s;
      grpc_send_timeout 120s;
      grpc_pass grpc://${upstream};
    }
  }
}`;
  writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const { child, log } = spawnServer(nginx, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], dir);
  await waitForPort(port, child, 'nginx', log);
  return { address: `127.0.0.1:${port}`, stop: () => stopProcess(child) };
}
