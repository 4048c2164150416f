// Request rate limits of the client-telemetry routes (breadcrumb ingest, OTLP relay): per TCP
// connection (keyed by the socket object, never by address) and for all clients together,
// checked before the body is read; then per random client session id, once the body names it.

import type { Socket } from "node:net";
import { KeyedTokenBuckets, takeToken } from "../telemetry/rate-limit.ts";
import type { TokenBucketState } from "../telemetry/rate-limit.ts";

/** Bucket sizes and refill intervals (one token per interval). */
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

/** The three limits of one route. */
export class ClientRateLimiter {
  private readonly sessions: KeyedTokenBuckets;
  private readonly connections = new WeakMap<Socket, TokenBucketState>();
  private readonly global: KeyedTokenBuckets;

  constructor(
    private readonly limits: ClientRateLimits,
    private readonly now: () => number,
  ) {
    this.sessions = new KeyedTokenBuckets(limits.sessionBurst, limits.sessionRefillMs, limits.maxSessions, now);
    this.global = new KeyedTokenBuckets(limits.globalPerSecond, 1000 / limits.globalPerSecond, 1, now);
  }

  /** Per connection, then global: 0 when admitted, else the ms to wait. */
  admit(conn: Socket): number {
    const at = this.now();
    let bucket = this.connections.get(conn);
    if (!bucket) {
      bucket = { tokens: this.limits.connectionBurst, last: at };
      this.connections.set(conn, bucket);
    }
    const wait = takeToken(bucket, this.limits.connectionBurst, this.limits.connectionRefillMs, at);
    return wait > 0 ? wait : this.global.take("all");
  }

  /** Per session id: 0 when admitted, else the ms to wait. */
  session(id: string): number {
    return this.sessions.take(id);
  }
}
