/**
 * In-chunk deduplication of events: the first sighting of an event's dedup-memory key in a chunk is
 * staged, the rest are counted as duplicates. The key has the user folded in (dataTypes/activity/eventKey.ts), so the same
 * event for two users is two keys. Across chunks, batches and runs, the store's dedup memory decides
 * (dataTypes/activity/events.ts), so the memory here is emptied for each chunk and stays bounded.
 *
 * The keys (128 bits, as 32 hex digits) are kept as four 32-bit words in an open-addressing table of typed
 * arrays, not as strings in a Set: a chunk's 20,000 key strings would each outlive a scavenge and be
 * promoted, then die at the next chunk, and the worker's collector spent more time on them than the
 * lookups take. Emptying the table is one increment (a slot is in use when it holds the current epoch).
 */
export class BatchDedup {
  private words: Int32Array;
  private epochs: Int32Array;
  private epoch = 1;
  private size = 0;
  duplicates = 0;

  constructor(private slots = 1 << 16) {
    this.words = new Int32Array(slots * 4);
    this.epochs = new Int32Array(slots);
  }

  /** Whether this is the chunk's first sighting of `key` (32 hex digits). */
  firstSighting(key: string): boolean {
    const a = hexWord(key, 0);
    const b = hexWord(key, 8);
    const c = hexWord(key, 16);
    const d = hexWord(key, 24);
    if (this.find(a, b, c, d, true)) {
      this.duplicates++;
      return false;
    }
    return true;
  }

  /** Forget the keys (they are in the store now); the duplicate count is kept. */
  reset(): void {
    this.epoch++;
    this.size = 0;
  }

  /** Finds the key, or (add) adds it; true when it was there. */
  private find(a: number, b: number, c: number, d: number, add: boolean): boolean {
    const mask = this.slots - 1;
    // The first word is the event's day (the same for most of a chunk); the others are MD5, well spread.
    let i = (b ^ d) & mask;
    for (;;) {
      if (this.epochs[i] !== this.epoch) break;
      const w = i * 4;
      if (this.words[w] === a && this.words[w + 1] === b && this.words[w + 2] === c && this.words[w + 3] === d)
        return true;
      i = (i + 1) & mask;
    }
    if (!add) return false;
    const w = i * 4;
    this.words[w] = a;
    this.words[w + 1] = b;
    this.words[w + 2] = c;
    this.words[w + 3] = d;
    this.epochs[i] = this.epoch;
    if (++this.size * 2 > this.slots) this.grow();
    return false;
  }

  /** Twice the slots, the current keys moved over (a dry run's sample can outgrow a chunk). */
  private grow(): void {
    const { words, epochs, epoch } = this;
    const old = this.slots;
    this.slots = old * 2;
    this.words = new Int32Array(this.slots * 4);
    this.epochs = new Int32Array(this.slots);
    this.size = 0;
    for (let i = 0; i < old; i++) {
      if (epochs[i] !== epoch) continue;
      this.find(words[i * 4]!, words[i * 4 + 1]!, words[i * 4 + 2]!, words[i * 4 + 3]!, true);
    }
  }
}

/** Eight hex digits from `at` as a 32-bit integer (no substring, no parseInt). */
function hexWord(s: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const ch = s.charCodeAt(i);
    // 0-9 are 48-57, a-f 97-102 (digests are lower case).
    v = (v << 4) | (ch <= 57 ? ch - 48 : ch - 87);
  }
  return v;
}

/**
 * A copy of `s` that holds none of the text it was cut from. A source's values can be V8 sliced strings
 * (the CSV reader cuts each field from the block of text it decoded): one of them kept in a set keeps its
 * whole block alive, so remembering a user per block would keep the whole file's text read so far.
 * Flattening a concatenation allocates a string of its own; the slice then points into that small one.
 */
export const ownString = (s: string): string => ` ${s}`.slice(1);

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
    // Kept past the row (and then by KnownUsers past the batch): its own copy, see ownString.
    this.seen.add(ownString(user));
    return true;
  }

  /** The users staged since the last start-again (all of the batch's, unless it passed `max`). */
  staged(): Iterable<string> {
    return this.seen;
  }
}
