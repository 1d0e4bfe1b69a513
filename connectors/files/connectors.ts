/** The file connectors by kind (file, http, sftp, s3): one session type over four transports. */
import { type OperatorPolicy, operatorPolicyFromEnv } from '../common/operatorPolicy';
import type { Resolver } from '../common/networkReach';
import type { SourceConnector } from '../source';
import { createFileConnector } from './fileSource';
import { fileReach, FILE_KINDS } from './transports/open';

export interface FileConnectorOptions {
  /** What sources may reach (default: the operator's, from the environment). */
  policy?: OperatorPolicy;
  /** How host names are resolved (default: the system's; tests hand in a table). */
  resolve?: Resolver;
}

export function createFileConnectors(options: FileConnectorOptions = {}): Record<string, SourceConnector> {
  const reach = fileReach(options.policy ?? operatorPolicyFromEnv(), options.resolve);
  return Object.fromEntries(FILE_KINDS.map((kind) => [kind, createFileConnector(kind, reach)]));
}
