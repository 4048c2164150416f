// Breadcrumb delivery. Windows queue up (bounded: the oldest are dropped and counted), a timer
// closes a window and flushes every 30 s, and page hide flushes with sendBeacon (or a keepalive
// fetch where there is none). Each request is at most 60 KB and carries an idempotency key,
// reused across retries, so the server can drop duplicates. On page hide the requests together
// stay within the browsers' keepalive budget, 64 KiB in flight in total for sendBeacon and
// keepalive fetch together (not per request); what does not fit, or what the browser refuses,
// is kept in storage and sent at the next start (or, without storage, counted as dropped):
// nothing is lost silently. Retries back off exponentially with jitter and honour 429/503
// Retry-After. stop() discards everything at once, stored windows included: it is what
// withdrawing consent calls.

import { backoffDelay } from "../../shared/backoff.ts";
import type { BackoffPolicy } from "../../shared/backoff.ts";
import type { BreadcrumbWindow } from "../../shared/telemetry/breadcrumb.ts";
import { BREADCRUMB_LIMITS } from "../../shared/telemetry/breadcrumb.ts";
import type { BatchMeta } from "./breadcrumbs.ts";
import { buildBatch } from "./breadcrumbs.ts";
import { newIdempotencyKey } from "./ids.ts";
import type { PendingStore } from "./pending.ts";

/** Header carrying the idempotency key (the body's `key` field carries it too, for beacons). */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";

/** Bytes of request bodies a page may have in flight with keepalive (sendBeacon and fetch together). */
export const KEEPALIVE_BUDGET_BYTES = 64 * 1024;

export type FetchLike = (url: string, init: RequestInit) => Promise<Pick<Response, "status" | "headers">>;

export interface BatcherOptions {
  url: string;
  meta: BatchMeta;
  /** Closes the current window (null when empty). Called on every timer tick and on page hide. */
  collect: () => BreadcrumbWindow | null;
  fetch: FetchLike;
  /** navigator.sendBeacon, bound; absent in tests or old browsers (then keepalive fetch is used). */
  sendBeacon?: (url: string, data: Blob) => boolean;
  /** Where windows that do not fit the keepalive budget on page hide wait for the next start. */
  pending?: PendingStore;
  /** The page's keepalive budget (default KEEPALIVE_BUDGET_BYTES). */
  keepaliveBudgetBytes?: number;
  intervalMs?: number;
  maxRequestBytes?: number;
  /** Queue bound, in windows. */
  maxQueue?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Attempts per batch before it is given up (and counted as failed). */
  maxAttempts?: number;
  random?: () => number;
  now?: () => number;
  /** The server answered that client telemetry is off: the batcher has stopped itself. */
  onIngestOff?: () => void;
}

/** Counters for the overlay and tests. */
export interface BatcherStats {
  queued: number;
  /** Windows dropped: the queue was full, or on page hide they fitted neither the keepalive budget nor storage. */
  dropped: number;
  /** Windows kept in storage on page hide for the next start. */
  stored: number;
  /** Windows taken back from storage. */
  restored: number;
  sentBatches: number;
  sentWindows: number;
  /** Batches the server refused outright (4xx other than 429) or that ran out of attempts. */
  rejectedBatches: number;
  retries: number;
  lastStatus: number;
}

interface Pending {
  key: string;
  seq: number;
  windows: BreadcrumbWindow[];
  body: string;
  /** The `dropped` figure the body reports (owed again if the batch never leaves). */
  dropped: number;
  attempts: number;
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Queues, batches and delivers breadcrumb windows. */
export class BreadcrumbBatcher {
  readonly stats: BatcherStats = {
    queued: 0, dropped: 0, stored: 0, restored: 0, sentBatches: 0, sentWindows: 0, rejectedBatches: 0, retries: 0, lastStatus: 0,
  };
  private readonly o: Required<Omit<BatcherOptions, "sendBeacon" | "onIngestOff" | "pending">> & Pick<BatcherOptions, "sendBeacon" | "onIngestOff" | "pending">;
  private queue: BreadcrumbWindow[] = [];
  private pending: Pending | null = null;
  private seq = 0;
  private droppedUnreported = 0;
  private inFlight: AbortController | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private started = false;
  /** Retry schedule: baseBackoffMs doubling to maxBackoffMs, each delay jittered down by up to half. */
  private readonly backoff: BackoffPolicy;

  constructor(options: BatcherOptions) {
    // Explicit `??` per field: a spread would let an `undefined` option override a default.
    this.o = {
      ...options,
      intervalMs: options.intervalMs ?? 30_000,
      maxRequestBytes: options.maxRequestBytes ?? 60_000,
      maxQueue: options.maxQueue ?? 120,
      baseBackoffMs: options.baseBackoffMs ?? 2_000,
      maxBackoffMs: options.maxBackoffMs ?? 5 * 60_000,
      maxAttempts: options.maxAttempts ?? 8,
      keepaliveBudgetBytes: options.keepaliveBudgetBytes ?? KEEPALIVE_BUDGET_BYTES,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    };
    this.backoff = { baseMs: this.o.baseBackoffMs, factor: 2, maxMs: this.o.maxBackoffMs, jitter: 0.5 };
  }

  /** True after stop() (or an "ingest off" answer). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Starts the periodic flush timer, after taking back windows stored at an earlier page hide. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.restore();
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
  }

  /** Closes the current window, queues it (after any stored backlog, e.g. from a hide and return) and flushes (what the timer does). */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.restore();
    this.collectOne();
    return this.flush();
  }

  /** Moves windows kept in storage into the queue (oldest first); their dropped count is reported with the next batch. */
  restore(): void {
    if (this.stopped || !this.o.pending) return;
    const got = this.o.pending.take();
    if (got.windows.length === 0 && got.dropped === 0) return;
    this.stats.restored += got.windows.length;
    this.droppedUnreported += got.dropped;
    this.stats.dropped += got.dropped;
    for (const w of got.windows) this.enqueue(w);
  }

  /** Adds a window, dropping the oldest queued one when full. */
  enqueue(window: BreadcrumbWindow): void {
    if (this.stopped) return;
    this.queue.push(window);
    while (this.queue.length > this.o.maxQueue) {
      this.queue.shift();
      this.stats.dropped++;
      this.droppedUnreported++;
    }
    this.stats.queued = this.queue.length;
  }

  /** Sends queued windows in batches until the queue is empty, a retry is scheduled, or stop(). */
  async flush(): Promise<void> {
    if (this.stopped || this.inFlight || this.retryTimer) return;
    while (!this.stopped) {
      if (!this.pending) this.pending = this.nextBatch();
      if (!this.pending) return;
      const outcome = await this.send(this.pending);
      if (outcome !== "next") return;
    }
  }

  /**
   * Page is being hidden or unloaded: close the window and hand everything to sendBeacon (or
   * keepalive fetch), synchronously, since the page may be gone before any promise settles.
   * The requests together stay within the keepalive budget; what does not fit, or what the
   * browser refuses (the budget is shared with other code on the page), is stored for the
   * next start, or counted as dropped when it cannot be stored.
   */
  flushOnHide(): void {
    if (this.stopped) return;
    this.collectOne();
    let budget = this.o.keepaliveBudgetBytes;
    const left: BreadcrumbWindow[] = [];
    let refused = false;
    if (this.pending) {
      // Same key as the fetch that was in flight (aborted now, which frees its share of the
      // budget): the server keeps whichever lands first.
      const p = this.pending;
      this.abortInFlight();
      this.pending = null;
      this.clearRetry();
      const bytes = byteLength(p.body);
      if (bytes <= budget && this.beacon(p)) budget -= bytes;
      else refused = this.keepBack(p, left);
    }
    while (!refused && this.queue.length > 0) {
      const p = this.nextBatch(Math.min(this.o.maxRequestBytes, budget));
      if (!p) break;
      if (this.beacon(p)) budget -= byteLength(p.body);
      else refused = this.keepBack(p, left);
    }
    left.push(...this.queue);
    this.queue = [];
    this.stats.queued = 0;
    this.store(left);
  }

  /** Stops at once: timers cleared, in-flight request aborted, queue, pending batch and stored windows discarded. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clearRetry();
    this.abortInFlight();
    this.queue = [];
    this.pending = null;
    this.stats.queued = 0;
    this.o.pending?.clear();
  }

  /** A batch that did not leave on hide: its windows go back to `left` and its dropped figure is owed again. */
  private keepBack(p: Pending, left: BreadcrumbWindow[]): true {
    left.push(...p.windows);
    this.droppedUnreported += p.dropped;
    return true;
  }

  /** Keeps windows for the next start; without storage they are counted as dropped (and reported when possible). */
  private store(windows: BreadcrumbWindow[]): void {
    if (windows.length === 0) return;
    if (this.o.pending?.save(windows, this.droppedUnreported)) {
      this.stats.stored += windows.length;
      this.droppedUnreported = 0;
      return;
    }
    this.stats.dropped += windows.length;
    this.droppedUnreported += windows.length;
  }

  private collectOne(): void {
    const w = this.o.collect();
    if (w) this.enqueue(w);
  }

  /**
   * Takes windows off the queue head until the request would exceed maxBytes (default
   * maxRequestBytes). Null when the queue is empty, or when not even one window fits a
   * smaller maxBytes (a page hide's remaining keepalive budget).
   */
  private nextBatch(maxBytes = this.o.maxRequestBytes): Pending | null {
    if (this.queue.length === 0) return null;
    const key = newIdempotencyKey();
    const seq = this.seq;
    let n = Math.min(this.queue.length, BREADCRUMB_LIMITS.maxWindows);
    let body = this.encode(n, seq, key);
    while (n > 1 && byteLength(body) > maxBytes) {
      n = Math.max(1, Math.floor(n / 2));
      body = this.encode(n, seq, key);
    }
    if (byteLength(body) > maxBytes) {
      if (maxBytes < this.o.maxRequestBytes) return null;
      // A single window never gets near 60 KB; if one does, it is malformed: drop it.
      this.queue.shift();
      this.stats.queued = this.queue.length;
      this.stats.rejectedBatches++;
      return this.nextBatch();
    }
    const windows = this.queue.splice(0, n);
    this.stats.queued = this.queue.length;
    this.seq++;
    const dropped = this.droppedUnreported;
    this.droppedUnreported = 0;
    return { key, seq, windows, body, dropped, attempts: 0 };
  }

  private encode(n: number, seq: number, key: string): string {
    return JSON.stringify(buildBatch(this.o.meta, this.queue.slice(0, n), seq, this.droppedUnreported, key));
  }

  private async send(p: Pending): Promise<"next" | "wait" | "stop"> {
    p.attempts++;
    const ctrl = new AbortController();
    this.inFlight = ctrl;
    let status = 0;
    let retryAfter: number | undefined;
    try {
      const res = await this.o.fetch(this.o.url, {
        method: "POST",
        headers: { "content-type": "application/json", [IDEMPOTENCY_HEADER]: p.key },
        body: p.body,
        keepalive: true,
        credentials: "omit",
        signal: ctrl.signal,
      });
      status = res.status;
      retryAfter = parseRetryAfter(res.headers.get("retry-after"), this.o.now());
    } catch {
      // Network error or abort: status stays 0 (retryable).
    } finally {
      if (this.inFlight === ctrl) this.inFlight = null;
    }
    if (this.stopped || this.pending !== p) return "stop";
    this.stats.lastStatus = status;
    if (status >= 200 && status < 300) {
      this.stats.sentBatches++;
      this.stats.sentWindows += p.windows.length;
      this.pending = null;
      return "next";
    }
    if (status === 404 || status === 403 || status === 410) {
      // Client telemetry is off on the server: send nothing more this session.
      this.stop();
      this.o.onIngestOff?.();
      return "stop";
    }
    const retryable = status === 0 || status === 408 || status === 429 || status >= 500;
    if (!retryable || p.attempts >= this.o.maxAttempts) {
      this.stats.rejectedBatches++;
      this.pending = null;
      return "next";
    }
    this.stats.retries++;
    // After attempt 1 fails comes the schedule's first retry.
    const backoff = backoffDelay(p.attempts - 1, this.backoff, this.o.random);
    const delay = Math.max(backoff, retryAfter ?? 0);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, delay);
    return "wait";
  }

  /**
   * Hands a batch to the browser on page hide; false when sendBeacon refuses it. A refusal
   * means the shared keepalive budget is spent (a keepalive fetch would be refused too), so
   * the caller stores the batch instead. Without sendBeacon a keepalive fetch goes out, and a
   * failure, if the page is still there to see it, stores the windows.
   */
  private beacon(p: Pending): boolean {
    if (this.o.sendBeacon) {
      if (!this.o.sendBeacon(this.o.url, new Blob([p.body], { type: "application/json" }))) return false;
      this.stats.sentBatches++;
      this.stats.sentWindows += p.windows.length;
      return true;
    }
    void this.o
      .fetch(this.o.url, {
        method: "POST",
        headers: { "content-type": "application/json", [IDEMPOTENCY_HEADER]: p.key },
        body: p.body,
        keepalive: true,
        credentials: "omit",
      })
      .then(
        (res) => {
          if (res.status >= 200 && res.status < 300) {
            this.stats.sentBatches++;
            this.stats.sentWindows += p.windows.length;
          }
        },
        () => {
          if (this.stopped) return;
          this.droppedUnreported += p.dropped;
          this.store([...p.windows]);
        },
      );
    return true;
  }

  private abortInFlight(): void {
    const c = this.inFlight;
    this.inFlight = null;
    c?.abort();
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

const encoder = new TextEncoder();

function byteLength(s: string): number {
  return encoder.encode(s).byteLength;
}
