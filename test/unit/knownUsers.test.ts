/** The worker's memory of identifiers the store holds: forgotten when the store's identities epoch moves. */
import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { KnownUsers } from '../../engine/knownUsers';

/** A stand-in for the batch's store connection: answers the epoch query with the current epoch. */
const storeAt = (state: { epoch: number }) =>
  ({ query: async () => ({ rows: [{ epoch: String(state.epoch) }] }) }) as unknown as pg.PoolClient;

describe('KnownUsers', () => {
  it("remembers a committed batch's users until the epoch moves", async () => {
    const state = { epoch: 7 };
    const known = new KnownUsers();
    const e = await known.check(storeAt(state));
    known.addAll('email', ['a@x', 'b@x'], e);
    await known.check(storeAt(state));
    expect(known.has('email', 'a@x')).toBe(true);
    expect(known.has('phone', 'a@x')).toBe(false); // another id type is another user
    state.epoch = 8;
    await known.check(storeAt(state));
    expect(known.has('email', 'a@x')).toBe(false);
  });

  it('ignores a batch that read an older epoch than the last batch saw (a removal committed in between)', async () => {
    const state = { epoch: 1 };
    const known = new KnownUsers();
    const slow = await known.check(storeAt(state));
    state.epoch = 2;
    await known.check(storeAt(state)); // another batch, after the removal
    known.addAll('email', ['gone@x'], slow); // the slow batch commits late
    expect(known.has('email', 'gone@x')).toBe(false);
  });

  it('starts again past its bound', async () => {
    const known = new KnownUsers(3);
    const e = await known.check(storeAt({ epoch: 0 }));
    known.addAll('t', ['1', '2', '3'], e);
    expect(known.has('t', '3')).toBe(true);
    known.addAll('t', ['4'], e);
    expect(known.has('t', '1')).toBe(false);
    expect(known.has('t', '4')).toBe(true);
  });
});
