// Client telemetry, installed as one feature: local recorders (always on, they feed the dev
// overlay), the settings panel and overlay UI, and the three senders, each started only while
// its consent is granted and the server accepts client telemetry:
//   performance consent -> breadcrumb batches + OpenTelemetry command traces,
//   crash consent       -> Sentry through the server's tunnel.
// Before any consent nothing is requested from a telemetry endpoint, not even the config.

import type { ExperimentAssignment } from "../../shared/flags/definitions.ts";
import { toToken } from "../../shared/telemetry/breadcrumb.ts";
import { quantileSorted, sortPrefix } from "../../shared/telemetry/percentiles.ts";
import type { ClientTelemetryConfig } from "../../shared/telemetry/client-config.ts";
import {
  BREADCRUMBS_PATH,
  CLIENT_CONFIG_PATH,
  OTLP_TRACES_PATH,
  SENTRY_TUNNEL_PATH,
} from "../../shared/telemetry/client-config.ts";
import { installDevOverlay } from "../ui/dev-overlay.ts";
import type { DevOverlay, OverlaySnapshot } from "../ui/dev-overlay.ts";
import { installSettingsPanel } from "../ui/settings-panel.ts";
import type { SettingsPanelOptions } from "../ui/settings-panel.ts";
import { BreadcrumbAggregator } from "./breadcrumbs.ts";
import type { BatchMeta } from "./breadcrumbs.ts";
import type { CommandTracer } from "./commands.ts";
import { ClientConfigLoader } from "./config.ts";
import type { ConfigFetch } from "./config.ts";
import { ConsentStore, CONSENT_STORAGE_KEY } from "./consent.ts";
import type { ConsentChannel, StorageLike } from "./consent.ts";
import { installClientBackend } from "./facade.ts";
import { attachVisibility, FrameStats } from "./frame-stats.ts";
import type { FrameSummary } from "./frame-stats.ts";
import { GpuErrorTracker, withGpuErrorScopes } from "./gpu-errors.ts";
import type { GpuDeviceLike } from "./gpu-errors.ts";
import { newSessionId } from "./ids.ts";
import { MeshStats } from "./mesh-stats.ts";
import { PendingStore } from "./pending.ts";
import type { PendingStorage } from "./pending.ts";
import type { CrashReporter } from "./sentry.ts";
import type { MeshPoolStatsLike, NetStatsLike, RendererStatsLike, Source, WorkerFailuresLike } from "./sources.ts";
import { BreadcrumbBatcher } from "./transport.ts";
import type { FetchLike } from "./transport.ts";
import { UploadStats } from "./upload-stats.ts";

export type { RendererStatsLike, MeshPoolStatsLike, NetStatsLike, Source, WorkerFailuresLike } from "./sources.ts";
export { ConsentStore } from "./consent.ts";
export { commandTraceparent, commandDone, reportError, gpuScope } from "./facade.ts";

/** A device plus the adapter info Chrome exposes on it (vendor/architecture tokens go in breadcrumbs). */
export type TelemetryDevice = GpuDeviceLike & { readonly adapterInfo?: { readonly vendor: string; readonly architecture: string } };

/** What the game provides: live figure sources and where to mount the UI. */
export interface ClientTelemetryContext {
  renderer?: Source<RendererStatsLike>;
  meshPool?: Source<MeshPoolStatsLike>;
  /** Mesher and worldgen worker failures (available from the start: worldgen runs before the pool). */
  workers?: Source<WorkerFailuresLike>;
  net?: Source<NetStatsLike>;
  /** The current GPUDevice (it may appear late or be replaced after a loss). */
  device?: Source<TelemetryDevice>;
  /** Element the settings panel and the dev overlay are appended to (usually document.body). */
  uiRoot?: HTMLElement;
  /** The game's own parts of the settings panel (its "Game" section, the pause state it follows). */
  settings?: Pick<SettingsPanelOptions, "game" | "pause">;
}

/** Knobs, all optional. */
export interface ClientTelemetryOptions {
  /** Client build version (a [a-z0-9.-] token); defaults to VITE_BUILD_VERSION or the server's. */
  build?: string;
  /** Breadcrumb window and flush period (default 30 s). */
  flushIntervalMs?: number;
  /** Local figure sampling period for mesh/net/device (default 250 ms). */
  sampleMs?: number;
  storage?: StorageLike | null;
  /** A consent store to use (e.g. one the game also reads); by default one over `storage`. */
  consent?: ConsentStore;
  fetch?: typeof fetch;
  /** Show the overlay at start. */
  overlayVisible?: boolean;
  /** The client experiment this page is in (from the flags): its variant rides in the breadcrumbs. */
  experiment?: ExperimentAssignment;
  win?: Window;
}

/** Installs client telemetry; returns dispose (stops senders at once, removes UI and listeners). */
export function installClientTelemetry(ctx: ClientTelemetryContext, options: ClientTelemetryOptions = {}): () => void {
  const win = options.win ?? window;
  const doc = win.document;
  const fetchFn = options.fetch ?? win.fetch.bind(win);
  const storage = options.storage !== undefined ? options.storage : safeLocalStorage(win);
  const consent = options.consent ?? new ConsentStore(storage);
  // Breadcrumb windows a page hide could not send wait here for the next start, never without consent.
  const pendingStore = new PendingStore(storage !== null && typeof (storage as Partial<PendingStorage>).removeItem === "function" ? (storage as PendingStorage) : null);
  if (!consent.granted("performance")) pendingStore.clear();
  const sessionId = newSessionId();
  const mono = (): number => win.performance.now();
  const unix = (): number => win.performance.timeOrigin + win.performance.now();

  // Local recorders: always on, nothing leaves the page from these.
  const frames = new FrameStats();
  const uploads = new UploadStats();
  const mesh = new MeshStats();
  const gpu = new GpuErrorTracker();
  const aggregator = new BreadcrumbAggregator({ frames, uploads, mesh, gpu, net: ctx.net ?? (() => null) }, { monoMs: mono, unixMs: unix });
  const meta: BatchMeta = {
    session: sessionId, build: toToken(options.build ?? envBuild()), gpu: { vendor: "", arch: "" }, experiment: options.experiment,
  };
  const disposers: (() => void)[] = [];

  // Frame sampler: its own requestAnimationFrame loop, so frame intervals are the display's
  // cadence whatever the game loop does. Allocation-free per frame.
  let lastRendererFrame = -1;
  let raf = 0;
  const onFrame = (now: number): void => {
    raf = win.requestAnimationFrame(onFrame);
    const r = ctx.renderer?.();
    frames.recordFrame(now, r ? r.frameCpuMs : Number.NaN);
    if (r && (r.frame === undefined || r.frame !== lastRendererFrame)) {
      lastRendererFrame = r.frame ?? -1;
      const index = r.uploadIndexBytes ?? 0;
      uploads.record(Math.max(0, r.uploadBytes - index), index, r.uploadMs);
    }
  };
  raf = win.requestAnimationFrame(onFrame);
  disposers.push(() => win.cancelAnimationFrame(raf));
  disposers.push(attachVisibility(doc, win, frames, mono));

  // Slower sampling: mesh pool ring, network counters, device (re)attachment.
  let attachedDevice: TelemetryDevice | null = null;
  let detachDevice: (() => void) | null = null;
  const sample = (): void => {
    const pool = ctx.meshPool?.();
    if (pool) mesh.poll(pool);
    const workers = ctx.workers?.();
    if (workers) mesh.pollWorkers(workers);
    aggregator.sampleNet();
    const device = ctx.device?.() ?? null;
    if (device !== attachedDevice) {
      detachDevice?.();
      attachedDevice = device;
      detachDevice = device ? gpu.attach(device) : null;
      if (device?.adapterInfo) {
        meta.gpu.vendor = toToken(device.adapterInfo.vendor);
        meta.gpu.arch = toToken(device.adapterInfo.architecture);
      }
    }
  };
  const sampler = setInterval(sample, options.sampleMs ?? 250);
  disposers.push(() => {
    clearInterval(sampler);
    detachDevice?.();
  });

  // Senders.
  const configLoader = new ClientConfigLoader(CLIENT_CONFIG_PATH, fetchFn as ConfigFetch);
  let serverOff = false;
  let batcher: BreadcrumbBatcher | null = null;
  let tracer: CommandTracer | null = null;
  let crash: CrashReporter | null = null;
  let starting = false;
  let disposed = false;

  const stopPerformance = (): void => {
    batcher?.stop();
    batcher = null;
    void tracer?.shutdown();
    tracer = null;
  };
  const stopCrash = (): void => {
    gpu.setReporter(null);
    void crash?.close();
    crash = null;
  };

  const startPerformance = async (cfg: ClientTelemetryConfig): Promise<void> => {
    if (!batcher) {
      aggregator.reset();
      if (!meta.build) meta.build = cfg.build;
      batcher = new BreadcrumbBatcher({
        url: BREADCRUMBS_PATH,
        meta,
        collect: () => aggregator.closeWindow(),
        fetch: fetchFn as FetchLike,
        sendBeacon: win.navigator.sendBeacon ? win.navigator.sendBeacon.bind(win.navigator) : undefined,
        pending: pendingStore,
        intervalMs: options.flushIntervalMs,
        onIngestOff: () => {
          serverOff = true;
          stopPerformance();
          stopCrash();
        },
      });
      batcher.start();
    }
    if (!tracer && cfg.trace_sample_ratio > 0) {
      const { startTracing } = await import("./otel.ts");
      // Consent may have been withdrawn while the module loaded.
      if (disposed || !consent.granted("performance") || tracer) return;
      tracer = startTracing({
        url: new URL(OTLP_TRACES_PATH, win.location.href).href,
        sampleRatio: cfg.trace_sample_ratio,
        serviceVersion: meta.build || "unknown",
        environment: cfg.sentry?.environment ?? envMode(),
        sessionId,
      });
    }
  };

  const startCrash = async (cfg: ClientTelemetryConfig): Promise<void> => {
    if (crash || !cfg.sentry) return;
    const { startCrashReporting } = await import("./sentry.ts");
    if (disposed || !consent.granted("crash") || crash) return;
    const reporter = startCrashReporting({
      dsn: cfg.sentry.dsn,
      sampleRate: cfg.sentry.sample_rate,
      tunnel: SENTRY_TUNNEL_PATH,
      release: `voxel-shooter@${meta.build || cfg.build || "unknown"}`,
      environment: cfg.sentry.environment,
      gpu: meta.gpu,
    });
    crash = reporter;
    gpu.setReporter((report) => reporter.captureGpu(report));
  };

  /** Brings the senders in line with consent and the server config. */
  let again = false;
  const reconcile = async (): Promise<void> => {
    if (!consent.granted("performance")) stopPerformance();
    if (!consent.granted("crash")) stopCrash();
    if (disposed || serverOff) return;
    if (!consent.granted("performance") && !consent.granted("crash")) return;
    if (starting) {
      // Re-run once the start in progress has finished, with the consent as it is then.
      again = true;
      return;
    }
    starting = true;
    try {
      const cfg = await configLoader.load();
      if (disposed) return;
      if (!cfg.ingest) {
        serverOff = true;
        return;
      }
      if (consent.granted("performance")) await startPerformance(cfg);
      if (consent.granted("crash")) await startCrash(cfg);
    } catch {
      // A failed dynamic import (offline, new deploy) leaves that sender off; the next consent change retries.
    } finally {
      starting = false;
    }
    if (again && !disposed) {
      again = false;
      void reconcile();
    }
  };

  disposers.push(consent.subscribe((channel: ConsentChannel, _prev, next) => {
    // Withdrawal is handled synchronously, before set() returns to the UI.
    if (next !== "granted") {
      if (channel === "performance") {
        stopPerformance();
        pendingStore.clear();
      } else stopCrash();
    }
    void reconcile();
  }));
  void reconcile();

  // Another tab changed consent.
  const onStorage = (e: StorageEvent): void => {
    if (e.key === CONSENT_STORAGE_KEY) consent.syncFrom(e.newValue);
  };
  win.addEventListener("storage", onStorage);
  disposers.push(() => win.removeEventListener("storage", onStorage));

  // Page hide: last window out via sendBeacon.
  const onHide = (): void => {
    if (doc.visibilityState === "hidden") batcher?.flushOnHide();
  };
  const onPageHide = (): void => batcher?.flushOnHide();
  doc.addEventListener("visibilitychange", onHide);
  win.addEventListener("pagehide", onPageHide);
  disposers.push(() => {
    doc.removeEventListener("visibilitychange", onHide);
    win.removeEventListener("pagehide", onPageHide);
  });

  // Facade backend for game code.
  disposers.push(
    installClientBackend({
      beginCommand: (id, kind) => tracer?.begin(id, kind),
      endCommand: (id, outcome) => tracer?.end(id, outcome),
      captureError: (err) => crash?.captureError(err),
      gpuScope: async (device, site, fn) => (await withGpuErrorScopes(device, gpu, site, fn)).value,
    }),
  );

  // UI.
  let overlay: DevOverlay | null = null;
  if (ctx.uiRoot) {
    const summary: FrameSummary = { fpsP50: 0, fpsP95: 0, fpsP99: 0, fpsLow1: 0, frameMsP50: 0, cpuMsP50: 0, lastFrameMs: 0 };
    const meshSummary = { p50: Number.NaN, p95: Number.NaN };
    const meshScratch = new Float64Array(mesh.recent.capacity);
    const rate = { at: Number.NaN, bytesIn: 0, bytesOut: 0, inPerS: Number.NaN, outPerS: Number.NaN };
    const ov = installDevOverlay(
      { mount: ctx.uiRoot },
      {
        visible: options.overlayVisible,
        source: {
          frameTimes: frames.recentIntervals,
          read: (out: OverlaySnapshot) => {
            frames.readRecent(summary);
            out.fps_p50 = summary.fpsP50;
            out.fps_p95 = summary.fpsP95;
            out.fps_p99 = summary.fpsP99;
            out.fps_low1 = summary.fpsLow1;
            out.frame_ms = summary.frameMsP50;
            out.cpu_ms = summary.cpuMsP50;
            out.upload_ms = uploads.lastMs;
            out.upload_bytes = uploads.lastBytes;
            const r = ctx.renderer?.();
            out.chunks_drawn = r ? r.chunksDrawn : Number.NaN;
            out.chunks_total = r ? r.chunksTotal : Number.NaN;
            out.quads = r ? r.quads : Number.NaN;
            out.gpu_memory = r ? r.gpuBufferBytes : Number.NaN;
            out.mesh_queue = ctx.meshPool ? mesh.queueLength : Number.NaN;
            summarizeMesh(mesh, meshScratch, meshSummary);
            out.mesh_ms_p50 = meshSummary.p50;
            out.mesh_ms_p95 = meshSummary.p95;
            const workers = ctx.workers?.();
            out.worker_failures = workers ? workers.failures : Number.NaN;
            const n = ctx.net?.();
            if (n) {
              const now = mono();
              if (!Number.isNaN(rate.at) && now > rate.at) {
                const dt = (now - rate.at) / 1000;
                rate.inPerS = Math.max(0, (n.bytesIn - rate.bytesIn) / dt);
                rate.outPerS = Math.max(0, (n.bytesOut - rate.bytesOut) / dt);
              }
              rate.at = now;
              rate.bytesIn = n.bytesIn;
              rate.bytesOut = n.bytesOut;
            }
            out.net_in = rate.inPerS;
            out.net_out = rate.outPerS;
            out.rtt_ms = n ? n.rttMs : Number.NaN;
            out.server_tick_ms = n ? n.serverTickMs : Number.NaN;
            out.gpu_validation = gpu.totals.validation;
            out.gpu_out_of_memory = gpu.totals.out_of_memory;
            out.gpu_internal = gpu.totals.internal;
            out.gpu_device_lost = gpu.totals.device_lost;
            out.gpu_upload_failures = gpu.totals.upload_failure;
            out.consent_performance = consent.state("performance");
            out.consent_crash = consent.state("crash");
            out.telemetry = deliveryState();
          },
        },
      },
    );
    overlay = ov;
    const panel = installSettingsPanel({ mount: ctx.uiRoot }, { ...ctx.settings, consent, onToggleOverlay: () => ov.toggle() });
    disposers.push(() => panel.dispose(), () => ov.dispose());
  }

  const deliveryState = (): string => {
    if (serverOff) return "server off";
    const parts: string[] = [];
    if (batcher) {
      const b = batcher.stats;
      parts.push(`crumbs ${b.sentBatches} sent/${b.queued} queued/${b.stored} stored/${b.dropped} dropped`);
    }
    if (tracer) parts.push("traces");
    if (crash) parts.push("crashes");
    return parts.length ? parts.join(", ") : "off";
  };

  if (import.meta.env.DEV) {
    // Development hooks for manual checks and end-to-end tests; dropped from production builds.
    const hooks = {
      flush: async () => {
        await Promise.all([batcher?.tick(), tracer?.flush()]);
      },
      testCrash: () => {
        setTimeout(() => {
          throw new Error("voxel-shooter test crash");
        }, 0);
      },
      state: () => ({ consent: { performance: consent.state("performance"), crash: consent.state("crash") }, delivery: deliveryState() }),
      overlay: () => overlay,
    };
    (win as unknown as Record<string, unknown>).__voxelTelemetry = hooks;
    disposers.push(() => {
      delete (win as unknown as Record<string, unknown>).__voxelTelemetry;
    });
  }

  return () => {
    if (disposed) return;
    disposed = true;
    stopPerformance();
    stopCrash();
    for (let i = disposers.length - 1; i >= 0; i--) disposers[i]();
  };
}

function summarizeMesh(mesh: MeshStats, scratch: Float64Array, out: { p50: number; p95: number }): void {
  const n = mesh.recent.copyTo(scratch);
  if (n === 0) {
    out.p50 = out.p95 = Number.NaN;
    return;
  }
  sortPrefix(scratch, n);
  out.p50 = quantileSorted(scratch, n, 0.5);
  out.p95 = quantileSorted(scratch, n, 0.95);
}

/** The page's localStorage, or null where using it throws (disabled storage, sandboxed frames). */
export function safeLocalStorage(win: Window): StorageLike | null {
  try {
    return win.localStorage;
  } catch {
    return null;
  }
}

function envBuild(): string {
  const v = import.meta.env.VITE_BUILD_VERSION as unknown;
  return typeof v === "string" ? v : "";
}

function envMode(): string {
  const m = import.meta.env.MODE as unknown;
  return typeof m === "string" && /^[a-z0-9._-]{1,32}$/.test(m) ? m : "production";
}
