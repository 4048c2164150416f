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

/** One token bucket: fractional tokens and the time they were last refilled. */
export interface TokenBucketState {
  tokens: number;
  last: number;
}

/** Takes one token (refilling one per refillMs up to burst); returns 0 on success, else the ms until one is available. */
export function takeToken(b: TokenBucketState, burst: number, refillMs: number, at: number): number {
  const refill = (at - b.last) / refillMs;
  if (refill > 0) {
    b.tokens = Math.min(burst, b.tokens + refill);
    b.last = at;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return Math.ceil((1 - b.tokens) * refillMs);
}

/**
 * Token buckets by key (a client's session id), at most maxKeys: the least recently used key
 * is forgotten, which only gives that key a fresh bucket. For per-client budgets, where keys
 * come and go; RateLimiter above is for a fixed set of call sites.
 */
export class KeyedTokenBuckets {
  private readonly map = new Map<string, TokenBucketState>();

  constructor(
    private readonly burst: number,
    private readonly refillMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number,
  ) {}

  /** Takes one token for `key`: 0 on success, else the ms until one is available. */
  take(key: string): number {
    const at = this.now();
    return takeToken(this.bucket(key, at), this.burst, this.refillMs, at);
  }

  /** Takes up to `n` whole tokens for `key`; returns how many it got (0..n). */
  takeUpTo(key: string, n: number): number {
    const at = this.now();
    const b = this.bucket(key, at);
    const refill = (at - b.last) / this.refillMs;
    if (refill > 0) {
      b.tokens = Math.min(this.burst, b.tokens + refill);
      b.last = at;
    }
    const got = Math.max(0, Math.min(n, Math.floor(b.tokens)));
    b.tokens -= got;
    return got;
  }

  /** The key's bucket, marked most recently used (a new key gets a full one). */
  private bucket(key: string, at: number): TokenBucketState {
    let b = this.map.get(key);
    if (b) {
      this.map.delete(key);
    } else {
      b = { tokens: this.burst, last: at };
      if (this.map.size >= this.maxKeys) {
        const oldest = this.map.keys().next();
        if (!oldest.done) this.map.delete(oldest.value);
      }
    }
    this.map.set(key, b);
    return b;
  }
}
