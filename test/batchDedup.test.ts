/** In-chunk dedup of events (engine/dedup.ts): exact on all 128 bits of a key, emptied per chunk. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BatchDedup } from '../engine/dedup';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('BatchDedup', () => {
  it('tells first sightings from duplicates, on every bit of the key, and forgets on reset', () => {
    const d = new BatchDedup(4); // tiny, so it grows many times
    const keys = Array.from({ length: 5000 }, (_, i) => md5(String(i)));
    for (const k of keys) expect(d.firstSighting(k)).toBe(true);
    for (const k of keys) expect(d.firstSighting(k)).toBe(false);
    expect(d.duplicates).toBe(5000);
    // Keys that differ in one hex digit of any word are different keys.
    const base = 'ffffffff0123456789abcdef00000000';
    expect(d.firstSighting(base)).toBe(true);
    for (const at of [0, 7, 8, 15, 16, 23, 24, 31]) {
      const other = base.slice(0, at) + (base[at] === '0' ? '1' : '0') + base.slice(at + 1);
      expect(d.firstSighting(other)).toBe(true);
    }
    expect(d.firstSighting(base)).toBe(false);
    d.reset();
    expect(d.firstSighting(keys[0]!)).toBe(true);
    expect(d.firstSighting(base)).toBe(true);
    expect(d.duplicates).toBe(5001);
  });
});
