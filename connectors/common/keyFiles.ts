/**
 * Files a connection names for its own use, not as data: an SSH private key, a CA certificate, a
 * service-account or key-pair key. The path comes from an API key holder, and the worker reads it, so it
 * is bounded like a data path: only under the operator's key folders (TRIBUTARY_KEY_FILE_ROOTS), judged by
 * name and then by real path (fileRoots.ts), never the data folder's secrets. Key folders are apart from
 * the data roots so that a key cannot be read back as a data file by a file source.
 * Errors name the connection's field and the path, never the file's content.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../source';
import { fileRoots } from '../files/transports/fileRoots';
import type { OperatorPolicy } from './operatorPolicy';

export type KeyFilePolicy = Pick<OperatorPolicy, 'keyFileRoots' | 'protectedPaths'>;

/** The content of the key file `p` that the connection's `field` (e.g. `sftp: privateKey`) names. */
export function readKeyFile(p: string, field: string, policy: KeyFilePolicy): Buffer {
  const roots = fileRoots({ fileRoots: policy.keyFileRoots, protectedPaths: policy.protectedPaths });
  const outside = () =>
    new ConfigurationError(
      `${field}: ${p} is outside the folders connection key files may be read from (the operator's TRIBUTARY_KEY_FILE_ROOTS)`,
    );
  // By name first, so whether a file outside the folders exists is never told.
  if (!path.isAbsolute(p) || !roots.allows(path.resolve(p))) throw outside();
  try {
    const real = realpathSync(p);
    if (!roots.allows(real)) throw outside();
    return readFileSync(real);
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(
      `${field}: cannot read the file ${p} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
}
