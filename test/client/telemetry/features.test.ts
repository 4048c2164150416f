// Each client telemetry feature installed alone on a context over a fake window: what it does
// while installed, and that its dispose undoes it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConsentStore, CONSENT_STORAGE_KEY } from "../../../src/client/telemetry/consent.ts";
import { createTelemetryContext } from "../../../src/client/telemetry/context.ts";
import type { TelemetryContext, TelemetryDevice, TelemetrySources } from "../../../src/client/telemetry/context.ts";
import { crossTabConsent } from "../../../src/client/telemetry/cross-tab-consent.ts";
import { devHooks } from "../../../src/client/telemetry/dev-hooks.ts";
import { deviceWatcher } from "../../../src/client/telemetry/device-watcher.ts";
import { commandTraceparent, reportError } from "../../../src/client/telemetry/facade.ts";
import { facadeBackend } from "../../../src/client/telemetry/facade-backend.ts";
import { figurePoller } from "../../../src/client/telemetry/figure-poller.ts";
import { frameSampler } from "../../../src/client/telemetry/frame-sampler.ts";
import { overlaySource } from "../../../src/client/telemetry/overlay-source.ts";
import type { OverlaySnapshot } from "../../../src/client/telemetry/overlay-source.ts";
import { pageHideFlush } from "../../../src/client/telemetry/page-hide-flush.ts";
import { senders } from "../../../src/client/telemetry/senders.ts";
import type { BreadcrumbBatcher } from "../../../src/client/telemetry/transport.ts";
import { fakeWindow } from "./fake-window.ts";

const ON = { v: 1, ingest: true, trace_sample_ratio: 0, sentry: null, build: "0.1.0" };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function context(sources: TelemetrySources = {}) {
  const w = fakeWindow(ON);
  const consent = new ConsentStore(w.storage);
  const ctx = createTelemetryContext(sources, { win: w.win, consent, sampleMs: 100 });
  return { w, consent, ctx };
}

/** A batcher stand-in that counts page-hide flushes (what page-hide-flush calls). */
function countingBatcher(ctx: TelemetryContext): { flushes: number } {
  const counter = { flushes: 0 };
  ctx.senders.batcher = { flushOnHide: () => void counter.flushes++ } as unknown as BreadcrumbBatcher;
  return counter;
}

describe("frame sampler", () => {
  it("records every display frame and each renderer frame's uploads once, until disposed", async () => {
    const renderer = { frame: 1, frameCpuMs: 3, uploadBytes: 1000, uploadIndexBytes: 200, uploadMs: 0.5, chunksDrawn: 0, chunksTotal: 0, quads: 0, gpuBufferBytes: 0 };
    const { ctx } = context({ renderer: () => renderer });
    const dispose = frameSampler.install(ctx);
    await vi.advanceTimersByTimeAsync(16 * 10);
    const frames = ctx.recorders.frames.recentIntervals.length;
    expect(frames).toBeGreaterThanOrEqual(8);
    // The renderer drew one frame: its uploads count once, however many display frames passed.
    expect(ctx.recorders.uploads.takeWindow()).toMatchObject({ count: 1, vertexBytes: 800, indexBytes: 200 });
    dispose();
    await vi.advanceTimersByTimeAsync(16 * 10);
    expect(ctx.recorders.frames.recentIntervals.length).toBe(frames);
  });
});

describe("figure poller", () => {
  it("copies the mesh pool, worker and network figures into the recorders, until disposed", async () => {
    const pool = { queueLength: 7, recentMeshMs: new Float64Array(8), recentMeshMsCount: 0 };
    const workers = { failures: 2 };
    const { ctx } = context({ meshPool: () => pool, workers: () => workers });
    const dispose = figurePoller.install(ctx);
    await vi.advanceTimersByTimeAsync(100);
    expect(ctx.recorders.mesh.queueLength).toBe(7);
    expect(ctx.recorders.mesh.workerFailures).toBe(2);
    dispose();
    pool.queueLength = 9;
    await vi.advanceTimersByTimeAsync(500);
    expect(ctx.recorders.mesh.queueLength).toBe(7);
  });
});

describe("device watcher", () => {
  it("follows the current device: errors counted, adapter tokens taken, the old one let go", async () => {
    const device = (vendor: string) => {
      const t = new EventTarget();
      return Object.assign(t, {
        lost: new Promise<never>(() => {}), pushErrorScope: () => {}, popErrorScope: async () => null,
        adapterInfo: { vendor, architecture: "swiftshader" },
      }) as unknown as TelemetryDevice & EventTarget;
    };
    const uncaptured = (d: EventTarget) => d.dispatchEvent(Object.assign(new Event("uncapturederror"), { error: { message: "bad", constructor: { name: "GPUValidationError" } } }));
    let current: (TelemetryDevice & EventTarget) | null = null;
    const { ctx } = context({ device: () => current });
    const dispose = deviceWatcher.install(ctx);
    const first = device("Google");
    current = first;
    await vi.advanceTimersByTimeAsync(100);
    expect(ctx.meta.gpu).toEqual({ vendor: "google", arch: "swiftshader" });
    uncaptured(first);
    const after = ctx.recorders.gpu.totals.validation + ctx.recorders.gpu.totals.internal;
    expect(after).toBe(1);
    current = device("other");
    await vi.advanceTimersByTimeAsync(100);
    uncaptured(first);
    expect(ctx.recorders.gpu.totals.validation + ctx.recorders.gpu.totals.internal).toBe(1);
    dispose();
    uncaptured(current);
    expect(ctx.recorders.gpu.totals.validation + ctx.recorders.gpu.totals.internal).toBe(1);
  });
});

describe("senders", () => {
  it("starts the breadcrumb sender on consent and stops it the moment consent is withdrawn", async () => {
    const { ctx, consent, w } = context();
    const dispose = senders.install(ctx);
    await vi.advanceTimersByTimeAsync(1000);
    expect(w.requests).toEqual([]);
    consent.set("performance", true);
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.senders.batcher).not.toBeNull();
    consent.set("performance", false);
    expect(ctx.senders.batcher).toBeNull();
    consent.set("performance", true);
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.senders.batcher).not.toBeNull();
    dispose();
    expect(ctx.senders.batcher).toBeNull();
    consent.set("performance", false);
    consent.set("performance", true);
    await vi.advanceTimersByTimeAsync(0);
    expect(ctx.senders.batcher).toBeNull();
  });
});

describe("cross-tab consent", () => {
  it("takes a change made in another tab, until disposed", () => {
    const { ctx, consent, w } = context();
    consent.set("performance", true);
    const dispose = crossTabConsent.install(ctx);
    const withdrawn = JSON.stringify({ v: 1, performance: "withdrawn", crash: "unset" });
    w.win.dispatchEvent(Object.assign(new Event("storage"), { key: CONSENT_STORAGE_KEY, newValue: withdrawn }));
    expect(consent.granted("performance")).toBe(false);
    dispose();
    const granted = JSON.stringify({ v: 1, performance: "granted", crash: "unset" });
    w.win.dispatchEvent(Object.assign(new Event("storage"), { key: CONSENT_STORAGE_KEY, newValue: granted }));
    expect(consent.granted("performance")).toBe(false);
  });
});

describe("page-hide flush", () => {
  it("flushes the breadcrumb sender when the tab is hidden or the page goes, until disposed", () => {
    const { ctx, w } = context();
    const batcher = countingBatcher(ctx);
    const dispose = pageHideFlush.install(ctx);
    w.setHidden(true);
    w.win.dispatchEvent(new Event("pagehide"));
    w.setHidden(false);
    expect(batcher.flushes).toBe(2);
    dispose();
    w.setHidden(true);
    w.win.dispatchEvent(new Event("pagehide"));
    expect(batcher.flushes).toBe(2);
  });
});

describe("facade backend", () => {
  it("routes game code's calls to the running senders while installed", () => {
    const { ctx } = context();
    const dispose = facadeBackend.install(ctx);
    expect(commandTraceparent(1, "fire")).toBeUndefined();
    const errors: unknown[] = [];
    ctx.senders.tracer = { begin: (id) => `tp-${id}`, end: () => {}, flush: async () => {}, shutdown: async () => {} };
    ctx.senders.crash = { captureError: (e: unknown) => void errors.push(e) } as unknown as NonNullable<TelemetryContext["senders"]["crash"]>;
    expect(commandTraceparent(2, "fire")).toBe("tp-2");
    reportError("boom");
    expect(errors).toEqual(["boom"]);
    dispose();
    expect(commandTraceparent(3, "fire")).toBeUndefined();
  });
});

describe("dev hooks", () => {
  it("puts flush, testCrash and state on the window, and takes them off again", () => {
    const { ctx, w } = context();
    const dispose = devHooks.install(ctx);
    const hooks = (w.win as unknown as { __voxelTelemetry?: { state(): unknown } }).__voxelTelemetry;
    expect(hooks?.state()).toEqual({ consent: { performance: "unset", crash: "unset" }, delivery: "off" });
    dispose();
    expect((w.win as unknown as Record<string, unknown>).__voxelTelemetry).toBeUndefined();
  });
});

describe("overlay source", () => {
  it("fills the overlay's figures from the recorders and sources, with network rates from two readings", async () => {
    const net = { bytesIn: 0, bytesOut: 0, rttMs: 42, serverTickMs: 3 };
    const { ctx, consent } = context({ net: () => net });
    consent.set("crash", true);
    const source = overlaySource(ctx);
    const out = {} as OverlaySnapshot;
    source.read(out);
    expect(out.net_in).toBeNaN();
    expect(out.rtt_ms).toBe(42);
    expect(out.chunks_drawn).toBeNaN();
    expect(out.consent_crash).toBe("granted");
    expect(out.telemetry).toBe("off");
    net.bytesIn = 2000;
    net.bytesOut = 500;
    await vi.advanceTimersByTimeAsync(0);
    (ctx.win.performance as { now: () => number }).now = () => 1000;
    source.read(out);
    expect(out.net_in).toBe(2000);
    expect(out.net_out).toBe(500);
  });
});
