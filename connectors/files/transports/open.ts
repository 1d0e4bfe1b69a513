/** A file connection's transport, by its kind (the URL scheme: file, http(s), sftp, s3). */
import { ConfigurationError, type ConnectionConfig } from '../../source';
import { httpTransport } from './http';
import { localTransport } from './local';
import { s3Transport } from './s3';
import { sftpTransport } from './sftp';
import type { Transport } from './transport';

export const FILE_KINDS = ['file', 'http', 'sftp', 's3'] as const;

export async function openTransport(config: ConnectionConfig): Promise<Transport> {
  switch (config.kind) {
    case 'file':
      return localTransport(config.url);
    case 'http':
      return httpTransport(config.url);
    case 'sftp':
      return sftpTransport(config.url);
    case 's3':
      return s3Transport(config.url);
    default:
      throw new ConfigurationError(`connection kind ${config.kind} is not a file transport`);
  }
}
