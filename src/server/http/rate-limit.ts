// Rate limits, all on one token bucket: a session's commands (net/session.ts), the
// client-telemetry routes (per TCP connection, keyed by the socket object and never by address,
// and for all clients together, before the body is read; then per random client session id
// once the body names it), the ingest's per-session frame budget, the tracer's budget for
// client-sampled traces, and the logger's rate-limited warnings.
import type { Socket } from "node:net";

/**
 * A token bucket holding at most `capacity` tokens, refilled continuously with
 * `perInterval` tokens every `intervalMs`. Time (ms) comes from the caller, so tests drive it.
 * No allocation per take.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly perInterval: number,
    readonly intervalMs: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.last = nowMs;
  }

  /** Takes one token: 0 when taken, else the ms until one is available. */
  take(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * this.intervalMs) / this.perInterval);
  }

  /** Takes up to `n` whole tokens; returns how many it got (0..n). */
  takeUpTo(n: number, nowMs: number): number {
    this.refill(nowMs);
    const got = Math.max(0, Math.min(n, Math.floor(this.tokens)));
    this.tokens -= got;
    return got;
  }

  private refill(nowMs: number): void {
    const refill = ((nowMs - this.last) * this.perInterval) / this.intervalMs;
    if (refill > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + refill);
      this.last = nowMs;
    }
  }
}

/**
 * Token buckets by key (a client's session id), one token per `refillMs`, at most maxKeys: the
 * least recently used key is forgotten, which only gives that key a fresh bucket. For
 * per-client budgets, where keys come and go.
 */
export class KeyedTokenBuckets {
  private readonly map = new Map<string, TokenBucket>();

  constructor(
    private readonly burst: number,
    private readonly refillMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number,
  ) {}

  /** Takes one token for `key`: 0 on success, else the ms until one is available. */
  take(key: string): number {
    const at = this.now();
    return this.bucket(key, at).take(at);
  }

  /** Takes up to `n` whole tokens for `key`; returns how many it got (0..n). */
  takeUpTo(key: string, n: number): number {
    const at = this.now();
    return this.bucket(key, at).takeUpTo(n, at);
  }

  /** The key's bucket, marked most recently used (a new key gets a full one). */
  private bucket(key: string, at: number): TokenBucket {
    let b = this.map.get(key);
    if (b) {
      this.map.delete(key);
    } else {
      b = new TokenBucket(this.burst, 1, this.refillMs, at);
      if (this.map.size >= this.maxKeys) {
        const oldest = this.map.keys().next();
        if (!oldest.done) this.map.delete(oldest.value);
      }
    }
    this.map.set(key, b);
    return b;
  }
}

/** Bucket sizes and refill intervals of a client-telemetry route (one token per interval). */
export interface ClientRateLimits {
  sessionBurst: number;
  sessionRefillMs: number;
  connectionBurst: number;
  connectionRefillMs: number;
  /** All clients together, requests per second (and burst). */
  globalPerSecond: number;
  /** Session buckets kept (least recently used forgotten). */
  maxSessions: number;
}

/** The three limits of one client-telemetry route. */
export class ClientRateLimiter {
  private readonly sessions: KeyedTokenBuckets;
  private readonly connections = new WeakMap<Socket, TokenBucket>();
  private readonly global: TokenBucket;

  constructor(
    private readonly limits: ClientRateLimits,
    private readonly now: () => number,
  ) {
    this.sessions = new KeyedTokenBuckets(limits.sessionBurst, limits.sessionRefillMs, limits.maxSessions, now);
    this.global = new TokenBucket(limits.globalPerSecond, 1, 1000 / limits.globalPerSecond, now());
  }

  /** Per connection, then global: 0 when admitted, else the ms to wait. */
  admit(conn: Socket): number {
    const at = this.now();
    let bucket = this.connections.get(conn);
    if (!bucket) {
      bucket = new TokenBucket(this.limits.connectionBurst, 1, this.limits.connectionRefillMs, at);
      this.connections.set(conn, bucket);
    }
    const wait = bucket.take(at);
    return wait > 0 ? wait : this.global.take(at);
  }

  /** Per session id: 0 when admitted, else the ms to wait. */
  session(id: string): number {
    return this.sessions.take(id);
  }
}
