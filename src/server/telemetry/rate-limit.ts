/**
 * Per-key token buckets for rate-limited warnings. Keys are call-site names (code constants),
 * but the map is still bounded: past `maxKeys` every new key shares one overflow bucket, so a
 * bug that builds site names from data cannot grow memory.
 */

export interface RateLimitOptions {
  /** Tokens refilled per interval (and the bucket size). */
  readonly burst: number;
  readonly intervalMs: number;
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  last: number;
  dropped: number;
}

/** Result of one take(): undefined when suppressed, else how many calls were suppressed before it. */
export type TakeResult = number | undefined;

const OVERFLOW_KEY = "\u0000overflow";

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(opts: RateLimitOptions) {
    this.burst = Math.max(1, opts.burst);
    this.intervalMs = Math.max(1, opts.intervalMs);
    this.maxKeys = opts.maxKeys ?? 1024;
    this.now = opts.now ?? Date.now;
  }

  /** Takes a token for `key`: returns the suppressed count to report, or undefined if this call is suppressed. */
  take(key: string): TakeResult {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      const k = this.buckets.size >= this.maxKeys ? OVERFLOW_KEY : key;
      b = this.buckets.get(k);
      if (b === undefined) {
        b = { tokens: this.burst, last: now, dropped: 0 };
        this.buckets.set(k, b);
      }
    }
    const refill = ((now - b.last) / this.intervalMs) * this.burst;
    if (refill > 0) {
      b.tokens = Math.min(this.burst, b.tokens + refill);
      b.last = now;
    }
    if (b.tokens < 1) {
      b.dropped++;
      return undefined;
    }
    b.tokens -= 1;
    const dropped = b.dropped;
    b.dropped = 0;
    return dropped;
  }
}
