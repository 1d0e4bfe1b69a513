import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../engine/bufferPool';
import { ChunkBuffer, RowLineBuffer } from '../../engine/chunkBuffers';

describe('BufferPool', () => {
  it('hands a released buffer out again when it is large enough, else a new one', () => {
    const pool = new BufferPool(1024 * 1024);
    const a = pool.acquire(1000);
    expect(a.length).toBeGreaterThanOrEqual(1000);
    pool.release(a);
    expect(pool.acquire(500)).toBe(a);
    pool.release(a);
    const b = pool.acquire(a.length + 1);
    expect(b).not.toBe(a);
    expect(b.length).toBeGreaterThan(a.length);
  });

  it('keeps at most its limit idle, dropping the smallest buffers first', () => {
    const pool = new BufferPool(3000);
    const small = Buffer.alloc(500);
    const mid = Buffer.alloc(1000);
    const big = Buffer.alloc(2000);
    pool.release(small);
    pool.release(mid);
    pool.release(big);
    expect(pool.idleSize).toBe(3000);
    expect(pool.acquire(1)).toBe(big);
    expect(pool.acquire(1)).toBe(mid);
    expect(pool.acquire(1)).not.toBe(small);
  });
});

describe('ChunkBuffer with a pool', () => {
  it('grows from a small buffer, and its grown buffer serves the next batch', () => {
    const pool = new BufferPool(64 * 1024 * 1024);
    const first = new ChunkBuffer(64, pool);
    const text = 'a\tb\tc\n'.repeat(100_000);
    first.append(text);
    expect(first.take().toString('utf8')).toBe(text);
    first.release();
    // The grown buffer (at least the text's 600,000 bytes) is what the next one gets, and no smaller one.
    const next = new ChunkBuffer(64, pool);
    expect(pool.idleSize).toBeLessThan(600_000);
    next.append('x\n');
    expect(next.take().toString('utf8')).toBe('x\n');
    next.release();
    expect(pool.idleSize).toBeGreaterThanOrEqual(600_000);
  });

  it('a RowLineBuffer gives its text buffer back too, and the next one writes its own lines', () => {
    const pool = new BufferPool(64 * 1024 * 1024);
    const lines = new RowLineBuffer(64, 'p\t', pool);
    for (let n = 1; n <= 10_000; n++) lines.append(n, `row ${n} é\n`);
    const out = lines.take();
    expect(out.seqs.length).toBe(10_000);
    expect(out.data.subarray(0, out.ends[0]).toString('utf8')).toBe('p\trow 1 é\n');
    lines.release();
    const again = new RowLineBuffer(64, 'q\t', pool);
    again.append(7, 'seven\n');
    const taken = again.take();
    expect(taken.data.toString('utf8')).toBe('q\tseven\n');
    expect([...taken.ends]).toEqual([8]);
  });
});
