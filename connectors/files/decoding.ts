/**
 * Bytes to text for CSV, NDJSON and XML files. Decoding is streamed (a character split across two chunks
 * is carried over), and every encoding we take has a fixed relation between text and bytes that lets a
 * reader count the bytes of each record from its text: UTF-8 by its own rule, UTF-16 two bytes per code
 * unit, the single-byte code pages one per character. That count is what makes a byte offset a position a
 * resumed read can seek to.
 */
import iconv from 'iconv-lite';
import { StringDecoder } from 'node:string_decoder';

export type Encoding = 'utf-8' | 'utf-16' | 'utf-16le' | 'utf-16be' | string;

export interface TextDecoding {
  /** The iconv name the bytes are decoded with, after a BOM has settled UTF-16's byte order. */
  name: string;
  /** Bytes of the byte-order mark at the start of the file (skipped, never part of the first field). */
  bomBytes: number;
  /** How many bytes a piece of decoded text took in the file. */
  bytesOf(text: string): number;
}

/** Settle the encoding from the spec and the file's first bytes (a BOM wins over the spec's byte order). */
export function detectDecoding(encoding: Encoding, head: Buffer): TextDecoding {
  const enc = encoding.toLowerCase();
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf && (enc === 'utf-8' || enc === 'utf8')) {
    return { name: 'utf8', bomBytes: 3, bytesOf: utf8Bytes };
  }
  if (enc.startsWith('utf-16') || enc.startsWith('utf16')) {
    if (head[0] === 0xff && head[1] === 0xfe) return { name: 'utf16le', bomBytes: 2, bytesOf: utf16Bytes };
    if (head[0] === 0xfe && head[1] === 0xff) return { name: 'utf16be', bomBytes: 2, bytesOf: utf16Bytes };
    return { name: enc.endsWith('be') ? 'utf16be' : 'utf16le', bomBytes: 0, bytesOf: utf16Bytes };
  }
  if (enc === 'utf-8' || enc === 'utf8') return { name: 'utf8', bomBytes: 0, bytesOf: utf8Bytes };
  if (!iconv.encodingExists(enc)) throw new Error(`unknown encoding ${encoding}`);
  return { name: enc, bomBytes: 0, bytesOf: singleByte };
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const utf16Bytes = (text: string): number => text.length * 2;
const singleByte = (text: string): number => text.length;

/** Bytes that are not text in the file's encoding. */
export class InvalidTextError extends Error {}

/** A streaming decoder: feed it chunks, get text; a multi-byte character split across chunks is carried over. */
export interface ChunkDecoder {
  write(chunk: Buffer): string;
  end(): string;
}

export function chunkDecoder(decoding: TextDecoding): ChunkDecoder {
  if (decoding.name === 'utf8') {
    // Strict: a byte that is not UTF-8 would decode to U+FFFD, three bytes where the file had one, and
    // every byte offset after it (the positions a resumed read seeks to) would be wrong. So it is an error
    // that asks for the file's real encoding.
    const d = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const fail = (err: unknown): never => {
      throw new InvalidTextError(
        `is not valid UTF-8 (${(err as Error).message}); give its encoding, e.g. "encoding": "windows-1252"`,
      );
    };
    return {
      write: (c) => {
        try {
          return d.decode(c, { stream: true });
        } catch (err) {
          return fail(err);
        }
      },
      end: () => {
        try {
          return d.decode();
        } catch (err) {
          return fail(err);
        }
      },
    };
  }
  if (decoding.name === 'utf16le') {
    const d = new StringDecoder('utf16le');
    return { write: (c) => d.write(c), end: () => d.end() };
  }
  const d = iconv.getDecoder(decoding.name, { stripBOM: false });
  return { write: (c) => d.write(c), end: () => d.end() ?? '' };
}
