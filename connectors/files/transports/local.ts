/** Local files: `file:///absolute/base/dir`. The version is the modification time. */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../../source';
import type { FileInfo, Transport } from './transport';

export function localTransport(url: string): Transport {
  const base = fileURLToPath(url);
  const full = (rel: string) => path.join(base, rel);
  const info = async (rel: string): Promise<FileInfo> => {
    try {
      const s = await stat(full(rel));
      if (!s.isFile()) throw new ConfigurationError(`file ${rel} is not a regular file`);
      return { path: rel, size: s.size, version: String(Math.trunc(s.mtimeMs)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigurationError(`file ${rel} does not exist`);
      throw err;
    }
  };
  return {
    stat: info,
    read: async (rel, start, end) =>
      createReadStream(full(rel), { start, ...(end !== undefined ? { end: end - 1 } : {}), highWaterMark: 256 * 1024 }),
    list: async (folder) => {
      let names: string[];
      try {
        names = await readdir(full(folder));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigurationError(`folder ${folder || '/'} does not exist`);
        throw err;
      }
      const out: FileInfo[] = [];
      for (const name of names) {
        const rel = folder ? `${folder.replace(/\/+$/, '')}/${name}` : name;
        const s = await stat(full(rel)).catch(() => null);
        if (s?.isFile()) out.push({ path: rel, size: s.size, version: String(Math.trunc(s.mtimeMs)) });
      }
      return out;
    },
    close: async () => undefined,
  };
}
