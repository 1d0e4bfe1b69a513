/** A file connection's transport, by its kind (the URL scheme: file, http(s), sftp, s3). */
import type { KeyFilePolicy } from '../../common/keyFiles';
import type { OperatorPolicy } from '../../common/operatorPolicy';
import { type NetworkReach, networkReach, type Resolver } from '../../common/networkReach';
import { ConfigurationError, type ConnectionConfig } from '../../source';
import type { FileRootsPolicy } from './fileRoots';
import { httpTransport } from './http';
import { localTransport } from './local';
import { loadOptional } from '../../common/optionalPackages';
import type { Transport } from './transport';

export const FILE_KINDS = ['file', 'http', 'sftp', 's3'] as const;

/** What file transports may reach: local folders under the roots, network hosts the policy allows. */
export interface FileReach {
  roots: FileRootsPolicy;
  network: NetworkReach;
  /** Where a connection's key and CA files may be read from. */
  keys: KeyFilePolicy;
}

export const fileReach = (policy: OperatorPolicy, resolve?: Resolver): FileReach => ({
  roots: policy,
  network: networkReach(policy, resolve),
  keys: policy,
});

export async function openTransport(config: ConnectionConfig, reach: FileReach): Promise<Transport> {
  switch (config.kind) {
    case 'file':
      return localTransport(config.url, reach.roots);
    case 'http':
      return httpTransport(config.url, reach.network, undefined, reach.keys);
    // Their SDKs are optional packages, loaded by the first connection of their kind.
    case 'sftp':
      return (await loadOptional('sftp', () => import('./sftp'))).sftpTransport(config.url, reach.network, reach.keys);
    case 's3':
      return (await loadOptional('s3', () => import('./s3'))).s3Transport(config.url, reach.network);
    default:
      throw new ConfigurationError(`connection kind ${config.kind} is not a file transport`);
  }
}
