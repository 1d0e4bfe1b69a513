import { describe, expect, it } from 'vitest';
import { chunkByteShare } from '../../engine/loadBatch';

describe('chunkByteShare', () => {
  it('one batch builds chunks of 4 MiB; batches at once share that, down to 1 MiB each', () => {
    const MiB = 1024 * 1024;
    expect(chunkByteShare(0)).toBe(4 * MiB);
    expect(chunkByteShare(1)).toBe(4 * MiB);
    expect(chunkByteShare(2)).toBe(2 * MiB);
    // A backfill's four partitions at once hold what one batch held.
    expect(4 * chunkByteShare(4)).toBe(4 * MiB);
    expect(chunkByteShare(8)).toBe(MiB);
  });
});
