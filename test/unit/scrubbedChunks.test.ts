import { describe, expect, it } from 'vitest';
import { scrubbedSession, scrubberFor } from '../../connectors/common/secretScrub';
import type { SourceSession } from '../../connectors/source';

type Row = (string | null)[];
const URL_WITH_SECRET = 'postgres://reader:s3cret-pass@db.example.com/warehouse';

/** A session whose read offers chunks(), as the Postgres and file sources do; `fail` makes the chunks throw the password. */
function fakeSession(fail: boolean): SourceSession {
  const rows: Row[][] = [
    [
      ['1', 'a'],
      ['2', 'b'],
    ],
    [['3', 'c']],
  ];
  async function* chunks(): AsyncGenerator<Row[]> {
    yield rows[0]!;
    if (fail) throw new Error('connection to postgres://reader:s3cret-pass@db.example.com failed');
    yield rows[1]!;
  }
  const read = () => ({
    chunks,
    async *[Symbol.asyncIterator]() {
      for await (const c of chunks()) yield* c;
    },
  });
  return { read } as unknown as SourceSession;
}

describe('scrubbedSession: reads keep their chunks', () => {
  it('read() through the scrubber still offers chunks(), with the same rows in the same chunks', async () => {
    const session = scrubbedSession(fakeSession(false), scrubberFor({ url: URL_WITH_SECRET }));
    const rows = session.read({ table: 't' }, ['a', 'b'], {
      cursor: 'a',
      key: 'b',
      after: null,
      upperBound: '9',
      limit: 10,
    });
    const chunked = rows as typeof rows & { chunks?: () => AsyncIterable<Row[]> };
    expect(typeof chunked.chunks).toBe('function');
    const seen: Row[][] = [];
    for await (const c of chunked.chunks!()) seen.push(c);
    expect(seen).toEqual([
      [
        ['1', 'a'],
        ['2', 'b'],
      ],
      [['3', 'c']],
    ]);
    const one: Row[] = [];
    for await (const r of rows) one.push(r);
    expect(one).toEqual([
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'c'],
    ]);
  });

  it("an error thrown while reading chunks is scrubbed of the connection's secret", async () => {
    const session = scrubbedSession(fakeSession(true), scrubberFor({ url: URL_WITH_SECRET }));
    const rows = session.read({ table: 't' }, ['a', 'b'], {
      cursor: 'a',
      key: 'b',
      after: null,
      upperBound: '9',
      limit: 10,
    });
    const chunked = rows as typeof rows & { chunks: () => AsyncIterable<Row[]> };
    let message = '';
    try {
      for await (const c of chunked.chunks()) expect(c.length).toBeGreaterThan(0);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('connection to');
    expect(message).not.toContain('s3cret-pass');
  });
});
