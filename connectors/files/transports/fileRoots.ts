/**
 * The local folders file sources may read: the operator's roots (TRIBUTARY_FILE_ROOTS), minus the data
 * folder's secrets. A path is judged by its real path (symlinks and `..` resolved), so a link inside a
 * root that points out of it, or a connection naming a folder outside every root, is refused.
 */
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../../source';
import type { OperatorPolicy } from '../../common/operatorPolicy';

export type FileRootsPolicy = Pick<OperatorPolicy, 'fileRoots' | 'protectedPaths'>;

/** A real path, or the resolved one where it does not exist (yet): a root may be created later. */
function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

const within = (p: string, folder: string): boolean =>
  p === folder || p.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);

export interface FileRoots {
  /** Whether an absolute path (resolved, or real) is under a root and not protected. */
  allows(real: string): boolean;
  /**
   * The real path of `p`, if it may be read; `shown` names it in errors ("file a/b.csv": the path as the
   * spec gave it, never the real path it leads to).
   */
  resolve(p: string, shown: string): Promise<string>;
}

export function fileRoots(policy: FileRootsPolicy): FileRoots {
  // Resolved at each check: a root folder created after the worker started counts.
  // A folder as named and as its real path: a path judged by name matches the first, a real path the second.
  const forms = (folders: string[]) => folders.flatMap((f) => [path.resolve(f), realOrResolved(f)]);
  const allows = (p: string): boolean => {
    const protectedPaths = forms(policy.protectedPaths ?? []);
    return forms(policy.fileRoots).some((r) => within(p, r)) && !protectedPaths.some((x) => within(p, x));
  };
  return {
    allows,
    async resolve(p, shown) {
      // Judged by name first, so whether a path outside the roots exists is never told.
      if (!allows(path.resolve(p))) throw outsideRoots(shown);
      let real: string;
      try {
        real = await realpath(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigurationError(`${shown} does not exist`);
        throw err;
      }
      if (!allows(real)) throw outsideRoots(shown);
      return real;
    },
  };
}

export const outsideRoots = (shown: string): ConfigurationError =>
  new ConfigurationError(`${shown} is outside the folders file sources may read (the operator's TRIBUTARY_FILE_ROOTS)`);
