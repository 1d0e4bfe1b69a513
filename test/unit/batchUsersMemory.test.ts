import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { BatchUsers } from '../../engine/dedup';
import { CsvParser, type CsvRecord } from '../../connectors/files/formats/csv';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const BLOCKS = 40;

/** A block of CSV text of about a megabyte: a few long records, each with a user id of 15 characters. */
function block(n: number): string {
  let text = '';
  for (let r = 0; r < 16; r++) text += `user_${String(n * 100 + r).padStart(10, '0')},${'x'.repeat(64 * 1024)}\n`;
  return text;
}

describe('BatchUsers', () => {
  it('remembers the users of CSV records without keeping the blocks of text they were read from', () => {
    const users = new BatchUsers();
    const parser = new CsvParser({ delimiter: ',', quote: '"', bytesOf: (t) => t.length }, { line: 1, offset: 0 });
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < BLOCKS; n++) {
      const out: CsvRecord[] = [];
      parser.push(block(n), out);
      // The first field as the CSV reader hands it over: cut from the decoded block.
      for (const rec of out) users.firstUse(rec.fields[0]!);
    }
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    expect([...users.staged()].length).toBe(BLOCKS * 16);
    expect([...users.staged()][17]).toBe('user_0000000101');
    // The blocks were 40 MB of text; the users are a few kilobytes.
    expect(kept).toBeLessThan(8 * MB);
  });
});
