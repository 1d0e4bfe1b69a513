/**
 * In-batch deduplication of events: the first sighting of (user, dedup key) in a batch is staged, the
 * rest are counted as duplicates. Across batches and runs, the store's dedup memory decides (loaders/events).
 */
export class BatchDedup {
  private readonly seen = new Set<string>();
  duplicates = 0;

  firstSighting(key: string): boolean {
    if (this.seen.has(key)) {
      this.duplicates++;
      return false;
    }
    this.seen.add(key);
    return true;
  }
}
