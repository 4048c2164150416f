// What every client telemetry feature shares, built once by installClientTelemetry: the page,
// the consent store, the game's figure sources, the local recorders (always on; they feed the
// breadcrumbs and the dev overlay, and nothing leaves the page from them) and the senders'
// state. Each feature (frame-sampler.ts, senders.ts, ...) installs itself on this context.
import type { ExperimentAssignment } from "../../shared/flags/definitions.ts";
import { toToken } from "../../shared/telemetry/breadcrumb.ts";
import { BreadcrumbAggregator } from "./breadcrumbs.ts";
import type { BatchMeta } from "./breadcrumbs.ts";
import type { CommandTracer } from "./commands.ts";
import { ConsentStore } from "./consent.ts";
import type { StorageLike } from "./consent.ts";
import { FrameStats } from "./frame-stats.ts";
import { GpuErrorTracker } from "./gpu-errors.ts";
import type { GpuDeviceLike } from "./gpu-errors.ts";
import { newSessionId } from "./ids.ts";
import { MeshStats } from "./mesh-stats.ts";
import { PendingStore } from "./pending.ts";
import type { PendingStorage } from "./pending.ts";
import type { CrashReporter } from "./sentry.ts";
import type { MeshPoolStatsLike, NetStatsLike, RendererStatsLike, Source, WorkerFailuresLike } from "./sources.ts";
import type { BreadcrumbBatcher } from "./transport.ts";
import { UploadStats } from "./upload-stats.ts";

/** A device plus the adapter info Chrome exposes on it (vendor/architecture tokens go in breadcrumbs). */
export type TelemetryDevice = GpuDeviceLike & { readonly adapterInfo?: { readonly vendor: string; readonly architecture: string } };

/** What the game provides: live figure sources, each optional and free to appear late. */
export interface TelemetrySources {
  renderer?: Source<RendererStatsLike>;
  meshPool?: Source<MeshPoolStatsLike>;
  /** Mesher and worldgen worker failures (available from the start: worldgen runs before the pool). */
  workers?: Source<WorkerFailuresLike>;
  net?: Source<NetStatsLike>;
  /** The current GPUDevice (it may appear late or be replaced after a loss). */
  device?: Source<TelemetryDevice>;
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
  /** The client experiment this page is in (from the flags): its variant rides in the breadcrumbs. */
  experiment?: ExperimentAssignment;
  win?: Window;
}

/** The local recorders. */
interface Recorders {
  readonly frames: FrameStats;
  readonly uploads: UploadStats;
  readonly mesh: MeshStats;
  readonly gpu: GpuErrorTracker;
  readonly aggregator: BreadcrumbAggregator;
}

/** The senders, each null while off; senders.ts starts and stops them, other features read them. */
export interface Senders {
  batcher: BreadcrumbBatcher | null;
  tracer: CommandTracer | null;
  crash: CrashReporter | null;
  /** The server said client telemetry is off: nothing starts again on this page. */
  serverOff: boolean;
}

/** The shared context of the telemetry features. */
export interface TelemetryContext {
  readonly win: Window;
  readonly doc: Document;
  readonly fetch: typeof fetch;
  readonly consent: ConsentStore;
  /** Breadcrumb windows a page hide could not send, kept for the next start (never without consent). */
  readonly pending: PendingStore;
  readonly sessionId: string;
  /** Monotonic clock, ms. */
  readonly mono: () => number;
  /** Wall clock, Unix ms. */
  readonly unix: () => number;
  /** Read at every use: a source may be provided late (ClientTelemetry.provide). */
  readonly sources: TelemetrySources;
  readonly recorders: Recorders;
  /** Batch fields constant for the session (the device watcher fills in the GPU tokens). */
  readonly meta: BatchMeta;
  readonly senders: Senders;
  readonly options: Readonly<Pick<ClientTelemetryOptions, "flushIntervalMs" | "sampleMs">>;
}

/** One telemetry feature: installs itself on the context and returns its dispose. */
export interface TelemetryFeature {
  readonly name: string;
  install(ctx: TelemetryContext): () => void;
}

/** Builds the context: resolves the page defaults, creates the recorders; starts nothing. */
export function createTelemetryContext(initial: TelemetrySources, options: ClientTelemetryOptions = {}): TelemetryContext {
  const sources = { ...initial };
  const win = options.win ?? window;
  const storage = options.storage !== undefined ? options.storage : safeLocalStorage(win);
  const consent = options.consent ?? new ConsentStore(storage);
  const pending = new PendingStore(storage !== null && typeof (storage as Partial<PendingStorage>).removeItem === "function" ? (storage as PendingStorage) : null);
  if (!consent.granted("performance")) pending.clear();
  const mono = (): number => win.performance.now();
  const unix = (): number => win.performance.timeOrigin + win.performance.now();
  const frames = new FrameStats();
  const uploads = new UploadStats();
  const mesh = new MeshStats();
  const gpu = new GpuErrorTracker();
  const aggregator = new BreadcrumbAggregator({ frames, uploads, mesh, gpu, net: () => sources.net?.() }, { monoMs: mono, unixMs: unix });
  const sessionId = newSessionId();
  return {
    win,
    doc: win.document,
    fetch: options.fetch ?? win.fetch.bind(win),
    consent,
    pending,
    sessionId,
    mono,
    unix,
    sources,
    recorders: { frames, uploads, mesh, gpu, aggregator },
    meta: { session: sessionId, build: toToken(options.build ?? envBuild()), gpu: { vendor: "", arch: "" }, experiment: options.experiment },
    senders: { batcher: null, tracer: null, crash: null, serverOff: false },
    options: { flushIntervalMs: options.flushIntervalMs, sampleMs: options.sampleMs },
  };
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
