/**
 * Failed authentications per client address. A request that fails authentication has no key to count it
 * against, so the per-key rate limit never sees it; without this, tokens could be guessed as fast as the
 * API answers. An address past its allowance gets 429 for every request that needs a key, before the key
 * it sends is checked: otherwise a right guess would still answer 200 and tell the guesser so.
 */
export interface AuthFailureLimit {
  /** Seconds until `ip` may try again, or 0 when it may try now. */
  blockedFor(ip: string, now?: number): number;
  /** Count one failed authentication from `ip`. */
  fail(ip: string, now?: number): void;
}

/** A fixed window per address: at most `max` failures each `windowMs`. */
export function authFailureLimit(max: number, windowMs: number): AuthFailureLimit {
  const windows = new Map<string, { count: number; resetAt: number }>();
  const current = (ip: string, now: number) => {
    const w = windows.get(ip);
    if (w && w.resetAt > now) return w;
    if (w) windows.delete(ip);
    return undefined;
  };
  return {
    blockedFor(ip, now = Date.now()) {
      const w = current(ip, now);
      return w && w.count >= max ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : 0;
    },
    fail(ip, now = Date.now()) {
      const w = current(ip, now);
      if (w) {
        w.count++;
        return;
      }
      // Bounded memory under many addresses: expired windows go first.
      if (windows.size >= 100_000) for (const [k, v] of windows) if (v.resetAt <= now) windows.delete(k);
      windows.set(ip, { count: 1, resetAt: now + windowMs });
    },
  };
}

const WORDS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  second: 1000,
  m: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

/** A rate limit's window as @fastify/rate-limit takes it (milliseconds, or text such as `1 minute`), in ms. */
export function windowMs(window: string | number): number {
  if (typeof window === 'number') return window;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(window);
  const word = m ? m[2]!.toLowerCase() : '';
  const unit = WORDS[word] ?? WORDS[word.replace(/s$/, '')];
  if (!m || unit === undefined)
    throw new Error(`rate limit window "${window}" is not a duration such as "1 minute" or 60000`);
  return Math.round(Number(m[1]) * unit);
}
