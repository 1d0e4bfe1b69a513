/**
 * SFTP: `sftp://user:password@host:22/base/dir`, or `?privateKey=/path/on/the/worker` for key login (the
 * key file stays on the worker). The version is the modification time (SFTP has no ETag; a drop
 * folder adds a checksum to a file's identity). One SSH connection per session; reads are ranged streams.
 * The TCP connection is opened here, through the operator's policy on addresses (networkReach.ts), and
 * handed to the SSH client.
 */
import type { Socket } from 'node:net';
import SftpClient from 'ssh2-sftp-client';
import { ConfigurationError } from '../../source';
import { SourceUnavailableError } from '../../common/errors';
import { type KeyFilePolicy, readKeyFile } from '../../common/keyFiles';
import type { NetworkReach } from '../../common/networkReach';
import { joinPath, type FileInfo, type Transport } from './transport';

const CONNECT_TIMEOUT_MS = 30_000;

export async function sftpTransport(url: string, reach: NetworkReach, keys: KeyFilePolicy): Promise<Transport> {
  const u = new URL(url);
  const base = decodeURIComponent(u.pathname) || '/';
  const keyPath = u.searchParams.get('privateKey');
  // Errors reach us through the calls' promises; the library's default listeners would only print.
  const client = new SftpClient('tributary', { error: () => undefined, end: () => undefined, close: () => undefined });
  const port = Number(u.port || 22);
  // A key file that is not there is the connection's setting to fix, not a host to wait for.
  const privateKey = keyPath ? readKeyFile(keyPath, 'sftp: privateKey', keys) : undefined;
  let sock: Socket | undefined;
  try {
    sock = await reach.connect(u.hostname, port, CONNECT_TIMEOUT_MS);
    await client.connect({
      sock,
      host: u.hostname,
      port,
      username: decodeURIComponent(u.username),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(privateKey ? { privateKey } : {}),
      readyTimeout: CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    sock?.destroy();
    if (err instanceof ConfigurationError) throw new ConfigurationError(`sftp: ${err.message}`);
    const message = (err as Error).message;
    if (/authentication|auth/i.test(message))
      throw new ConfigurationError(`sftp: login to ${u.host} as ${decodeURIComponent(u.username)} failed: ${message}`);
    throw new SourceUnavailableError(`sftp: cannot reach ${u.host} (${message}); will retry`);
  }
  const full = (rel: string) => joinPath(base, rel);
  const explain = (err: unknown, what: string): Error => {
    const e = err as { code?: number | string; message: string };
    if (e.code === 2 || e.code === 'ENOENT' || /No such file/i.test(e.message))
      return new ConfigurationError(`sftp: ${what} does not exist`);
    if (e.code === 3 || /Permission denied/i.test(e.message))
      return new ConfigurationError(`sftp: permission denied on ${what}`);
    return new SourceUnavailableError(`sftp: ${what}: ${e.message}`);
  };
  return {
    stat: async (path): Promise<FileInfo> => {
      try {
        const s = await client.stat(full(path));
        if (!s.isFile) throw new ConfigurationError(`sftp: ${path} is not a regular file`);
        return { path, size: s.size, version: String(s.modifyTime) };
      } catch (err) {
        if (err instanceof ConfigurationError) throw err;
        throw explain(err, path);
      }
    },
    read: async (path, start, end) => {
      try {
        return client.createReadStream(full(path), { start, ...(end !== undefined ? { end: end - 1 } : {}) });
      } catch (err) {
        throw explain(err, path);
      }
    },
    list: async (folder) => {
      try {
        const entries = await client.list(full(folder));
        return entries
          .filter((e) => e.type === '-')
          .map((e) => ({
            path: folder ? `${folder.replace(/\/+$/, '')}/${e.name}` : e.name,
            size: e.size,
            version: String(e.modifyTime),
          }));
      } catch (err) {
        throw explain(err, folder || '/');
      }
    },
    close: async () => {
      await client.end().catch(() => undefined);
    },
  };
}
