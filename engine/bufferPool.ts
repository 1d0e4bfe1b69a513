/**
 * The worker's COPY buffers, kept between batches instead of allocated for each: a batch borrows its chunk
 * buffers here and gives them back when its store work is done. Buffers of a few megabytes allocated and
 * dropped batch after batch (four at a time when partitions run side by side) leave the allocator's heap
 * fragmented and the resident set higher than what is live; reused, they stay as many as the batches that
 * run at once, each as large as its chunks needed.
 */
export class BufferPool {
  /** Idle buffers, largest first. */
  private idle: Buffer[] = [];
  private idleBytes = 0;

  /** `maxIdleBytes`: what the pool keeps between batches; buffers past it are left to the collector. */
  constructor(private readonly maxIdleBytes: number) {}

  /** A buffer of at least `bytes`: the largest idle one when it is large enough, else a new one. */
  acquire(bytes: number): Buffer {
    const largest = this.idle[0];
    if (largest && largest.length >= bytes) {
      this.idle.shift();
      this.idleBytes -= largest.length;
      return largest;
    }
    return Buffer.allocUnsafeSlow(bytes);
  }

  /** Give a buffer back (no view of it may be in use any more); the smallest go first past the limit. */
  release(buffer: Buffer): void {
    this.idle.push(buffer);
    this.idle.sort((a, b) => b.length - a.length);
    this.idleBytes += buffer.length;
    while (this.idleBytes > this.maxIdleBytes) this.idleBytes -= this.idle.pop()!.length;
  }

  /** Bytes kept idle (for tests). */
  get idleSize(): number {
    return this.idleBytes;
  }
}
