/**
 * Identifiers the store is known to hold, remembered by the worker across batches, so that an events
 * import checks each user against the identities index once per worker rather than once per batch (a
 * user with events in every batch of a long import cost one index probe per batch: in the bench, half a
 * probe per event).
 *
 * An identifier is remembered only once the batch that staged it has committed (it then exists: the
 * batch created it or found it). Identifiers leave the store only by deletion, and every deletion moves
 * the store's identities epoch (migration 052); a batch reads the epoch FOR SHARE in its own transaction,
 * and forgets everything when it has moved. The share lock makes a deletion wait for the batches reading
 * under the old epoch, so what a batch relied on cannot vanish before it commits.
 *
 * Bounded: past `max` identifiers the memory starts again (a user is then checked once more; harmless).
 */
import type pg from 'pg';
import { readIdentitiesEpoch } from '../store/epochs';

export class KnownUsers {
  /** Per scope (userScopeOf): the import's constant id type, or MIXED_ID_TYPES for keys that carry their own type. */
  private scopes = new Map<string, Set<string>>();
  private size = 0;
  private epoch: string | null = null;

  constructor(private readonly max = 200_000) {}

  /**
   * Read the epoch inside the batch's transaction (held FOR SHARE until it ends) and forget everything
   * if it has moved since the last batch. Returns the epoch, for addAll once the batch has committed.
   */
  async check(client: pg.PoolClient): Promise<string | null> {
    const epoch = await readIdentitiesEpoch(client);
    if (epoch !== this.epoch || epoch === null) this.forget();
    this.epoch = epoch;
    return epoch;
  }

  has(scope: string, key: string): boolean {
    return this.scopes.get(scope)?.has(key) ?? false;
  }

  /**
   * Remember a committed batch's identifiers, unless the epoch has moved since the batch read it (a
   * deletion may have committed between the batch's commit and this call: another batch has seen it).
   */
  addAll(scope: string, keys: Iterable<string>, epoch: string | null): void {
    if (epoch === null || epoch !== this.epoch) return;
    let set = this.scopes.get(scope);
    if (!set) this.scopes.set(scope, (set = new Set<string>()));
    for (const key of keys) {
      if (this.size >= this.max) {
        this.forget();
        this.scopes.set(scope, (set = new Set<string>()));
      }
      if (!set.has(key)) {
        set.add(key);
        this.size++;
      }
    }
  }

  forget(): void {
    this.scopes.clear();
    this.size = 0;
  }
}
