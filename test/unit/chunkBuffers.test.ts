import { describe, expect, it } from 'vitest';
import { ChunkBuffer, RowLineBuffer } from '../../engine/chunkBuffers';

/** A small deterministic generator, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = ['a', 'user_0001', '\\t', '{"k":"v"}', 'é', '€', '😀', '\uFFFD', 'ü', 'x'.repeat(300)];

function randomLine(r: () => number, ascii: boolean): string {
  let s = '';
  const n = 1 + Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    const p = PIECES[Math.floor(r() * PIECES.length)]!;
    s += ascii && /[^\x00-\x7f]/.test(p) ? 'q' : p;
    s += '\t';
  }
  return `${s}end\n`;
}

describe('RowLineBuffer', () => {
  for (const [name, ascii] of [
    ['ASCII lines', true],
    ['lines with multi-byte characters', false],
  ] as const) {
    it(`${name}: the bytes are the lines' UTF-8 with the prefix, and each line's end is its byte offset, over several chunks`, () => {
      const r = rng(ascii ? 7 : 11);
      const buffer = new RowLineBuffer(1024, 'imp\t7\t');
      for (let chunk = 0; chunk < 3; chunk++) {
        const lines: string[] = [];
        const seqs: number[] = [];
        const count = 200 + Math.floor(r() * 3000);
        let seq = chunk * 10_000;
        for (let n = 0; n < count; n++) {
          seq += 1 + Math.floor(r() * 3);
          const line = randomLine(r, ascii);
          lines.push(line);
          seqs.push(seq);
          buffer.append(seq, line);
        }
        const out = buffer.take();
        expect(out.data.equals(Buffer.from(lines.map((l) => `imp\t7\t${l}`).join(''), 'utf8'))).toBe(true);
        expect([...out.seqs]).toEqual(seqs);
        let end = 0;
        const ends = lines.map((l) => (end += Buffer.byteLength(`imp\t7\t${l}`)));
        expect([...out.ends]).toEqual(ends);
      }
    });
  }
});

describe('ChunkBuffer', () => {
  it('takes what was appended, as UTF-8, chunk after chunk, growing past its capacity', () => {
    const r = rng(3);
    const buffer = new ChunkBuffer(64);
    for (let chunk = 0; chunk < 3; chunk++) {
      let all = '';
      const count = Math.floor(r() * 5000);
      for (let n = 0; n < count; n++) {
        const line = randomLine(r, r() < 0.5);
        all += line;
        buffer.append(line);
      }
      expect(buffer.length).toBeGreaterThanOrEqual(all.length);
      expect(buffer.take().equals(Buffer.from(all, 'utf8'))).toBe(true);
    }
  });
});
