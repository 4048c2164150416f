import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PENDING_STORAGE_KEY, PendingStore } from "../../../src/client/telemetry/pending.ts";
import { BreadcrumbBatcher, IDEMPOTENCY_HEADER, KEEPALIVE_BUDGET_BYTES, parseRetryAfter } from "../../../src/client/telemetry/transport.ts";
import type { BatcherOptions, FetchLike } from "../../../src/client/telemetry/transport.ts";
import type { BreadcrumbBatch, BreadcrumbWindow } from "../../../src/shared/telemetry/breadcrumb.ts";
import { validateBreadcrumbBatch } from "../../../src/shared/telemetry/breadcrumb.ts";
import { validWindow } from "../../shared/telemetry/fixtures.ts";

interface Call {
  url: string;
  init: RequestInit;
  batch: BreadcrumbBatch;
  bytes: number;
}

/** A scripted fetch: answers from `script` in order (the last entry repeats). */
function fakeFetch(script: (number | { status: number; retryAfter?: string } | "hang" | "network")[]) {
  const calls: Call[] = [];
  const fn: FetchLike = (url, init) => {
    const body = String(init.body);
    calls.push({ url, init, batch: JSON.parse(body) as BreadcrumbBatch, bytes: new TextEncoder().encode(body).byteLength });
    const step = script[Math.min(calls.length - 1, script.length - 1)];
    if (step === "hang") {
      return new Promise((_resolve, reject) => {
        init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    }
    if (step === "network") return Promise.reject(new TypeError("Failed to fetch"));
    const s = typeof step === "number" ? { status: step } : step;
    const headers = new Headers(s.retryAfter ? { "retry-after": s.retryAfter } : {});
    return Promise.resolve({ status: s.status, headers });
  };
  return { fn, calls };
}

let windowSeq = 0;
function win(): BreadcrumbWindow {
  windowSeq++;
  return validWindow({ start_ms: 1_700_000_000_000 + windowSeq });
}

function batcher(fetchFn: FetchLike, extra: Partial<BatcherOptions> = {}): BreadcrumbBatcher {
  return new BreadcrumbBatcher({
    url: "/telemetry/v1/breadcrumbs",
    meta: { session: "s".repeat(24), build: "0.1.0", gpu: { vendor: "google", arch: "swiftshader" } },
    collect: () => win(),
    fetch: fetchFn,
    random: () => 0.5,
    baseBackoffMs: 1_000,
    ...extra,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-01-01T00:00:00Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("BreadcrumbBatcher", () => {
  it("closes a window and flushes every 30 s, with an idempotency key in header and body", async () => {
    const f = fakeFetch([202]);
    const b = batcher(f.fn);
    b.start();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(f.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.calls).toHaveLength(1);
    const c = f.calls[0];
    expect(c.url).toBe("/telemetry/v1/breadcrumbs");
    expect(c.init.method).toBe("POST");
    expect(c.init.keepalive).toBe(true);
    expect(c.init.credentials).toBe("omit");
    const headers = c.init.headers as Record<string, string>;
    expect(headers[IDEMPOTENCY_HEADER]).toBe(c.batch.key);
    expect(validateBreadcrumbBatch(c.batch).ok).toBe(true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(f.calls).toHaveLength(2);
    expect(f.calls[1].batch.key).not.toBe(c.batch.key);
    expect(f.calls[1].batch.seq).toBe(1);
    expect(b.stats.sentWindows).toBe(2);
    b.stop();
  });

  it("keeps every request at or under the byte limit and sends each window once", async () => {
    const f = fakeFetch([202]);
    const b = batcher(f.fn, { maxRequestBytes: 5_000 });
    for (let i = 0; i < 30; i++) b.enqueue(win());
    await b.flush();
    expect(f.calls.length).toBeGreaterThan(1);
    for (const c of f.calls) {
      expect(c.bytes).toBeLessThanOrEqual(5_000);
      expect(validateBreadcrumbBatch(c.batch).ok).toBe(true);
    }
    const starts = f.calls.flatMap((c) => c.batch.windows.map((w) => w.start_ms));
    expect(starts).toHaveLength(30);
    expect(new Set(starts).size).toBe(30);
  });

  it("splits a large backlog at the default 60 KB and 40 windows per request", async () => {
    const f = fakeFetch([202]);
    const b = batcher(f.fn);
    for (let i = 0; i < 100; i++) b.enqueue(win());
    await b.flush();
    expect(f.calls.map((c) => c.batch.windows.length)).toEqual([40, 40, 20]);
    for (const c of f.calls) expect(c.bytes).toBeLessThanOrEqual(60_000);
  });

  it("retries with exponential backoff and jitter, reusing the idempotency key", async () => {
    const f = fakeFetch([503, "network", 500, 202]);
    const b = batcher(f.fn);
    b.enqueue(win());
    await b.flush();
    expect(f.calls).toHaveLength(1);
    // With random() = 0.5: delays of 750, 1500 and 3000 ms (half fixed, half jitter, doubling).
    for (const delay of [750, 1_500, 3_000]) {
      const before = f.calls.length;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(f.calls).toHaveLength(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(f.calls).toHaveLength(before + 1);
    }
    expect(new Set(f.calls.map((c) => c.batch.key)).size).toBe(1);
    expect(b.stats.retries).toBe(3);
    expect(b.stats.sentBatches).toBe(1);
  });

  it("honours 429 with Retry-After", async () => {
    const f = fakeFetch([{ status: 429, retryAfter: "20" }, 202]);
    const b = batcher(f.fn);
    b.enqueue(win());
    await b.flush();
    await vi.advanceTimersByTimeAsync(19_999);
    expect(f.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.calls).toHaveLength(2);
    expect(f.calls[1].batch.key).toBe(f.calls[0].batch.key);
  });

  it("gives up after maxAttempts and drops batches the server refuses outright", async () => {
    const f = fakeFetch([503]);
    const b = batcher(f.fn, { maxAttempts: 3 });
    b.enqueue(win());
    await b.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.calls).toHaveLength(3);
    expect(b.stats.rejectedBatches).toBe(1);

    const g = fakeFetch([400, 202]);
    const c = batcher(g.fn);
    c.enqueue(win());
    await c.flush();
    // 400 is not retried: the batch is dropped at once, and later batches still go out.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(g.calls).toHaveLength(1);
    expect(c.stats.rejectedBatches).toBe(1);
    c.enqueue(win());
    await c.flush();
    expect(g.calls).toHaveLength(2);
    expect(c.stats.sentBatches).toBe(1);
  });

  it("bounds the queue, dropping the oldest windows and reporting how many", async () => {
    const f = fakeFetch([202]);
    const b = batcher(f.fn, { maxQueue: 3 });
    const windows = [win(), win(), win(), win(), win()];
    for (const w of windows) b.enqueue(w);
    expect(b.stats.dropped).toBe(2);
    expect(b.stats.queued).toBe(3);
    await b.flush();
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0].batch.windows.map((w) => w.start_ms)).toEqual(windows.slice(2).map((w) => w.start_ms));
    expect(f.calls[0].batch.dropped).toBe(2);
  });

  it("stop() aborts the request in flight, discards the queue and sends nothing more", async () => {
    const f = fakeFetch(["hang"]);
    const b = batcher(f.fn);
    b.start();
    b.enqueue(win());
    await vi.advanceTimersByTimeAsync(30_000);
    expect(f.calls).toHaveLength(1);
    const signal = f.calls[0].init.signal!;
    expect(signal.aborted).toBe(false);
    b.stop();
    expect(signal.aborted).toBe(true);
    expect(b.stats.queued).toBe(0);
    b.enqueue(win());
    b.flushOnHide();
    await b.tick();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(f.calls).toHaveLength(1);
    expect(b.isStopped).toBe(true);
  });

  it("stops for good when the server says client ingest is off", async () => {
    const f = fakeFetch([404]);
    const off = vi.fn();
    const b = batcher(f.fn, { onIngestOff: off });
    b.start();
    b.enqueue(win());
    await b.flush();
    expect(off).toHaveBeenCalledOnce();
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(f.calls).toHaveLength(1);
  });

  it("on page hide hands the pending batch (same key) and the rest to sendBeacon", async () => {
    const f = fakeFetch([503]);
    const beacons: { url: string; body: BreadcrumbBatch; type: string }[] = [];
    const blobs: Promise<void>[] = [];
    const sendBeacon = (url: string, data: Blob): boolean => {
      blobs.push(data.text().then((t) => void beacons.push({ url, body: JSON.parse(t) as BreadcrumbBatch, type: data.type })));
      return true;
    };
    const b = batcher(f.fn, { sendBeacon });
    b.enqueue(win());
    await b.flush();
    expect(f.calls).toHaveLength(1);
    b.flushOnHide();
    await Promise.all(blobs);
    expect(beacons).toHaveLength(2);
    expect(beacons[0].body.key).toBe(f.calls[0].batch.key);
    expect(beacons[0].type).toBe("application/json");
    expect(validateBreadcrumbBatch(beacons[1].body).ok).toBe(true);
    // The scheduled retry was cancelled: the beacon carried it.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.calls).toHaveLength(1);
  });

  it("uses a keepalive fetch where there is no sendBeacon", async () => {
    const f = fakeFetch([202]);
    const b = batcher(f.fn);
    b.flushOnHide();
    await vi.advanceTimersByTimeAsync(0);
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0].init.keepalive).toBe(true);
    expect((f.calls[0].init.headers as Record<string, string>)[IDEMPOTENCY_HEADER]).toBe(f.calls[0].batch.key);
    expect(b.stats.sentWindows).toBe(1);
  });
});

/** localStorage stand-in. */
function memoryStorage() {
  const m = new Map<string, string>();
  return {
    map: m,
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

/**
 * A browser's sendBeacon with the shared keepalive quota: bodies stay "in flight" (the page
 * is going away, nothing completes) and a beacon that would take the total past `quota` is
 * refused, as Chromium does. `used` is what other code on the page already has in flight.
 */
function quotaBeacon(quota = KEEPALIVE_BUDGET_BYTES, used = 0) {
  const sent: { bytes: number; body: Promise<BreadcrumbBatch> }[] = [];
  let inFlight = used;
  const sendBeacon = (_url: string, data: Blob): boolean => {
    if (inFlight + data.size > quota) return false;
    inFlight += data.size;
    sent.push({ bytes: data.size, body: data.text().then((t) => JSON.parse(t) as BreadcrumbBatch) });
    return true;
  };
  return { sendBeacon, sent, inFlight: () => inFlight };
}

describe("page hide within the keepalive budget", () => {
  it("with 120 windows (~70 KB) queued, beacons at most 64 KiB in total and keeps the rest for the next start", async () => {
    const storage = memoryStorage();
    const beacon = quotaBeacon();
    const b = batcher(fakeFetch([202]).fn, { sendBeacon: beacon.sendBeacon, pending: new PendingStore(storage), collect: () => null });
    for (let i = 0; i < 120; i++) b.enqueue(win());
    b.flushOnHide();
    const bodies = await Promise.all(beacon.sent.map((x) => x.body));
    const beaconed = bodies.reduce((n, x) => n + x.windows.length, 0);
    // Every request fitted the shared budget, so the browser refused none.
    expect(beacon.inFlight()).toBeLessThanOrEqual(KEEPALIVE_BUDGET_BYTES);
    expect(beaconed).toBeGreaterThanOrEqual(80);
    expect(beaconed).toBeLessThan(120);
    expect(b.stats).toMatchObject({ sentWindows: beaconed, stored: 120 - beaconed, dropped: 0, queued: 0 });
    const stored = JSON.parse(storage.map.get(PENDING_STORAGE_KEY)!) as { windows: BreadcrumbWindow[]; dropped: number };
    expect(stored.windows).toHaveLength(120 - beaconed);

    // Next page load (consent still granted: the batcher only exists with it): the backlog goes out first.
    const f = fakeFetch([202]);
    const next = batcher(f.fn, { pending: new PendingStore(storage), collect: () => null });
    next.start();
    await next.flush();
    expect(f.calls.reduce((n, c) => n + c.batch.windows.length, 0)).toBe(120 - beaconed);
    const all = [...bodies.flatMap((x) => x.windows), ...f.calls.flatMap((c) => c.batch.windows)].map((w) => w.start_ms);
    expect(new Set(all).size).toBe(120);
    expect(storage.map.has(PENDING_STORAGE_KEY)).toBe(false);
    next.stop();
  });

  it("stores what sendBeacon refuses when other code holds part of the budget", async () => {
    const storage = memoryStorage();
    const beacon = quotaBeacon(KEEPALIVE_BUDGET_BYTES, 60_000);
    const b = batcher(fakeFetch([202]).fn, { sendBeacon: beacon.sendBeacon, pending: new PendingStore(storage), collect: () => null });
    for (let i = 0; i < 40; i++) b.enqueue(win());
    b.flushOnHide();
    expect(beacon.sent).toHaveLength(0);
    expect(b.stats).toMatchObject({ stored: 40, dropped: 0, sentWindows: 0 });
  });

  it("counts windows as dropped when there is no storage, and reports them with the next batch", async () => {
    const f = fakeFetch([202]);
    const b = batcher(f.fn, { sendBeacon: () => false, collect: () => null });
    for (let i = 0; i < 5; i++) b.enqueue(win());
    b.flushOnHide();
    expect(b.stats).toMatchObject({ dropped: 5, stored: 0 });
    // The tab was only hidden: it comes back, and the next batch says how many were lost.
    b.enqueue(win());
    await b.flush();
    expect(f.calls[0].batch.dropped).toBe(5);
  });

  it("withdrawing consent (stop) discards the stored windows too", () => {
    const storage = memoryStorage();
    const b = batcher(fakeFetch([202]).fn, { sendBeacon: () => false, pending: new PendingStore(storage), collect: () => null });
    b.enqueue(win());
    b.flushOnHide();
    expect(storage.map.has(PENDING_STORAGE_KEY)).toBe(true);
    b.stop();
    expect(storage.map.has(PENDING_STORAGE_KEY)).toBe(false);
  });
});

describe("retry helpers", () => {
  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:30 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
