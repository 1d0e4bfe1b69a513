/**
 * Local files: `file:///absolute/base/dir`, a folder under the operator's file roots. The version is the
 * modification time. Every file is opened by its real path, checked against the roots (fileRoots.ts).
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../../source';
import { fileRoots, type FileRootsPolicy, outsideRoots } from './fileRoots';
import type { FileInfo, Transport } from './transport';

/**
 * Bytes read at a time. Each block becomes one string of as many characters, which the CSV parser joins
 * to the unfinished record before it: under V8's large-object size (128 KiB) those strings are young
 * garbage, collected at once; larger, each is allocated in the old generation and stays resident until a
 * full collection.
 */
const READ_BYTES = 64 * 1024;

export function localTransport(url: string, policy: FileRootsPolicy): Transport {
  const base = path.resolve(fileURLToPath(url));
  if (base === path.parse(base).root) {
    throw new ConfigurationError(
      `file: the connection ${url} is the whole file system; name a folder under the operator's TRIBUTARY_FILE_ROOTS`,
    );
  }
  const roots = fileRoots(policy);
  if (!roots.allows(base)) throw outsideRoots(`file: the connection's folder ${base}`);
  const full = (rel: string) => path.join(base, rel);
  const info = async (rel: string): Promise<FileInfo> => {
    const s = await stat(await roots.resolve(full(rel), `file ${rel}`));
    if (!s.isFile()) throw new ConfigurationError(`file ${rel} is not a regular file`);
    return { path: rel, size: s.size, version: String(Math.trunc(s.mtimeMs)) };
  };
  return {
    stat: info,
    read: async (rel, start, end) =>
      createReadStream(await roots.resolve(full(rel), `file ${rel}`), {
        start,
        ...(end !== undefined ? { end: end - 1 } : {}),
        highWaterMark: READ_BYTES,
      }),
    list: async (folder) => {
      let names: string[];
      const real = await roots.resolve(full(folder), `folder ${folder || '/'}`);
      try {
        names = await readdir(real);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          throw new ConfigurationError(`folder ${folder || '/'} does not exist`);
        throw err;
      }
      const out: FileInfo[] = [];
      for (const name of names) {
        const rel = folder ? `${folder.replace(/\/+$/, '')}/${name}` : name;
        // A link out of the roots is not listed (it could not be read).
        const target = await roots.resolve(path.join(real, name), `file ${rel}`).catch(() => null);
        const s = target ? await stat(target).catch(() => null) : null;
        if (s?.isFile()) out.push({ path: rel, size: s.size, version: String(Math.trunc(s.mtimeMs)) });
      }
      return out;
    },
    close: async () => undefined,
  };
}
