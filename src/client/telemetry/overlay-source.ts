// The local figures the dev overlay shows, read from the telemetry recorders and the game's
// sources. The overlay (ui/dev-overlay.ts) only draws what this fills in; the dependency runs
// from the UI to telemetry, never back. Reading allocates nothing.
import { quantileSorted, sortPrefix } from "../../shared/telemetry/percentiles.ts";
import type { TelemetryContext } from "./context.ts";
import type { FrameSummary } from "./frame-stats.ts";
import type { MeshStats } from "./mesh-stats.ts";
import { deliveryState } from "./senders.ts";

/** Numeric figures, each shown in an element with data-stat="<key>". NaN shows as "–". */
export const OVERLAY_NUMBERS = [
  "fps_p50",
  "fps_p95",
  "fps_p99",
  "fps_low1",
  "frame_ms",
  "cpu_ms",
  "upload_ms",
  "upload_bytes",
  "chunks_drawn",
  "chunks_total",
  "quads",
  "gpu_memory",
  "mesh_queue",
  "mesh_ms_p50",
  "mesh_ms_p95",
  "worker_failures",
  "net_in",
  "net_out",
  "rtt_ms",
  "server_tick_ms",
  "gpu_validation",
  "gpu_out_of_memory",
  "gpu_internal",
  "gpu_device_lost",
  "gpu_upload_failures",
] as const;
export type OverlayNumber = (typeof OVERLAY_NUMBERS)[number];

/** Text figures (consent and delivery state). */
export const OVERLAY_TEXTS = ["consent_performance", "consent_crash", "telemetry"] as const;
export type OverlayText = (typeof OVERLAY_TEXTS)[number];

/** The snapshot the source fills in place on every refresh. */
export type OverlaySnapshot = Record<OverlayNumber, number> & Record<OverlayText, string>;

/** Recent frame times in ms, oldest first (SampleRing satisfies this). */
export interface FrameTimeSeries {
  readonly length: number;
  at(i: number): number;
}

/** Where the overlay gets its figures. */
export interface DevOverlaySource {
  read(out: OverlaySnapshot): void;
  frameTimes: FrameTimeSeries;
}

/** The overlay's source over a telemetry context. */
export function overlaySource(ctx: TelemetryContext): DevOverlaySource {
  const { frames, uploads, mesh, gpu } = ctx.recorders;
  const summary: FrameSummary = { fpsP50: 0, fpsP95: 0, fpsP99: 0, fpsLow1: 0, frameMsP50: 0, cpuMsP50: 0, lastFrameMs: 0 };
  const meshSummary = { p50: Number.NaN, p95: Number.NaN };
  const meshScratch = new Float64Array(mesh.recent.capacity);
  const rate = new NetRate();
  return {
    frameTimes: frames.recentIntervals,
    read(out) {
      frames.readRecent(summary);
      out.fps_p50 = summary.fpsP50;
      out.fps_p95 = summary.fpsP95;
      out.fps_p99 = summary.fpsP99;
      out.fps_low1 = summary.fpsLow1;
      out.frame_ms = summary.frameMsP50;
      out.cpu_ms = summary.cpuMsP50;
      out.upload_ms = uploads.lastMs;
      out.upload_bytes = uploads.lastBytes;
      const r = ctx.sources.renderer?.();
      out.chunks_drawn = r ? r.chunksDrawn : Number.NaN;
      out.chunks_total = r ? r.chunksTotal : Number.NaN;
      out.quads = r ? r.quads : Number.NaN;
      out.gpu_memory = r ? r.gpuBufferBytes : Number.NaN;
      out.mesh_queue = ctx.sources.meshPool ? mesh.queueLength : Number.NaN;
      summarizeMesh(mesh, meshScratch, meshSummary);
      out.mesh_ms_p50 = meshSummary.p50;
      out.mesh_ms_p95 = meshSummary.p95;
      const workers = ctx.sources.workers?.();
      out.worker_failures = workers ? workers.failures : Number.NaN;
      const n = ctx.sources.net?.();
      if (n) rate.sample(n.bytesIn, n.bytesOut, ctx.mono());
      out.net_in = rate.inPerS;
      out.net_out = rate.outPerS;
      out.rtt_ms = n ? n.rttMs : Number.NaN;
      out.server_tick_ms = n ? n.serverTickMs : Number.NaN;
      out.gpu_validation = gpu.totals.validation;
      out.gpu_out_of_memory = gpu.totals.out_of_memory;
      out.gpu_internal = gpu.totals.internal;
      out.gpu_device_lost = gpu.totals.device_lost;
      out.gpu_upload_failures = gpu.totals.upload_failure;
      out.consent_performance = ctx.consent.state("performance");
      out.consent_crash = ctx.consent.state("crash");
      out.telemetry = deliveryState(ctx.senders);
    },
  };
}

/** Bytes per second in and out between two readings of cumulative counters (NaN until two). */
class NetRate {
  inPerS = Number.NaN;
  outPerS = Number.NaN;
  private at = Number.NaN;
  private bytesIn = 0;
  private bytesOut = 0;

  sample(bytesIn: number, bytesOut: number, nowMs: number): void {
    if (!Number.isNaN(this.at) && nowMs > this.at) {
      const dt = (nowMs - this.at) / 1000;
      this.inPerS = Math.max(0, (bytesIn - this.bytesIn) / dt);
      this.outPerS = Math.max(0, (bytesOut - this.bytesOut) / dt);
    }
    this.at = nowMs;
    this.bytesIn = bytesIn;
    this.bytesOut = bytesOut;
  }
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
