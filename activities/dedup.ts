/**
 * In-chunk deduplication of events: the first sighting of an event's dedup-memory key in a chunk is
 * staged, the rest are counted as duplicates. The key has the user folded in (userEventKey), so the same
 * event for two users is two keys. Across chunks, batches and runs, the store's dedup memory decides
 * (loaders/events), so the memory here is emptied for each chunk and stays bounded.
 */
export class BatchDedup {
  private keys = new Set<string>();
  duplicates = 0;

  firstSighting(key: string): boolean {
    if (this.keys.has(key)) {
      this.duplicates++;
      return false;
    }
    this.keys.add(key);
    return true;
  }

  /** Forget the keys (they are in the store now); the duplicate count is kept. */
  reset(): void {
    if (this.keys.size > 0) this.keys = new Set<string>();
  }
}

/**
 * The users a batch has staged so far, so only a user's first row is checked against the identities
 * index. Bounded: past `max` users it starts again (a user then gets checked twice, which is harmless).
 */
export class BatchUsers {
  private seen = new Set<string>();

  constructor(private readonly max = 100_000) {}

  firstUse(user: string): boolean {
    if (this.seen.has(user)) return false;
    if (this.seen.size >= this.max) this.seen = new Set<string>();
    this.seen.add(user);
    return true;
  }
}
