/**
 * Where file bytes come from. Every transport reads a byte range as a stream (so a resumed read seeks
 * instead of re-reading), states a file's size and version (ETag, or modification time where there is
 * none), and lists a folder. Paths are relative to the connection's base (a directory, URL, bucket prefix).
 */
import type { Readable } from 'node:stream';

export interface FileInfo {
  /** Path relative to the connection's base, '/'-separated. */
  path: string;
  size: number;
  /** Changes whenever the content may have: an ETag, or the modification time in ms. */
  version: string;
}

export interface Transport {
  stat(path: string): Promise<FileInfo>;
  /**
   * Bytes from `start` (inclusive) to `end` (exclusive; the end of the file when omitted). With `version`,
   * a transport that can (S3: If-Match) refuses to read a file that is no longer that version.
   */
  read(path: string, start: number, end?: number, version?: string): Promise<Readable>;
  /** The files directly in a folder (not its subfolders). */
  list(folder: string): Promise<FileInfo[]>;
  close(): Promise<void>;
}

/** A file's whole content, for small files (manifests). */
export async function readAll(t: Transport, path: string, maxBytes = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of await t.read(path, 0)) {
    n += (c as Buffer).length;
    if (n > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Join a base and a relative path with exactly one '/'. */
export const joinPath = (base: string, rel: string): string =>
  rel === '' ? base : `${base.replace(/\/+$/, '')}/${rel.replace(/^\/+/, '')}`;
