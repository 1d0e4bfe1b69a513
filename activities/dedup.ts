/**
 * In-chunk deduplication of events: the first sighting of (user, dedup key) in a chunk is staged, the
 * rest are counted as duplicates. Across chunks, batches and runs, the store's dedup memory decides
 * (loaders/events), so the memory here is emptied for each chunk and stays bounded.
 *
 * Keyed by the dedup key (an MD5 of the event), remembering its user: the same event for another user
 * (rare) is tracked by the pair.
 */
export class BatchDedup {
  private byKey = new Map<string, string>();
  private pairs: Set<string> | null = null;
  duplicates = 0;

  firstSighting(user: string, key: string): boolean {
    const first = this.byKey.get(key);
    if (first === undefined) {
      this.byKey.set(key, user);
      return true;
    }
    if (first === user) {
      this.duplicates++;
      return false;
    }
    const pair = `${user}\t${key}`;
    this.pairs ??= new Set<string>();
    if (this.pairs.has(pair)) {
      this.duplicates++;
      return false;
    }
    this.pairs.add(pair);
    return true;
  }

  /** Forget the keys (they are in the store now); the duplicate count is kept. */
  reset(): void {
    if (this.byKey.size > 0) this.byKey = new Map<string, string>();
    this.pairs = null;
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
