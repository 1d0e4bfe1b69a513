/** The file connectors by kind (file, http, sftp, s3): one session type over four transports. */
import type { SourceConnector } from '../source';
import { createFileConnector } from './fileSource';
import { FILE_KINDS } from './transports/open';

export function createFileConnectors(): Record<string, SourceConnector> {
  return Object.fromEntries(FILE_KINDS.map((kind) => [kind, createFileConnector(kind)]));
}
