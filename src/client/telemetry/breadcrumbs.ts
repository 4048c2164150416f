// Breadcrumb aggregation: turns the live recorders into one whitelisted BreadcrumbWindow per
// period, and windows into batches. Only aggregates leave this file: percentiles, counts,
// byte totals, build version and GPU vendor/architecture tokens.

import type { ExperimentAssignment } from "../../shared/flags/definitions.ts";
import { clamp } from "../../shared/math.ts";
import type { BreadcrumbBatch, BreadcrumbWindow } from "../../shared/telemetry/breadcrumb.ts";
import { BREADCRUMB_LIMITS, BREADCRUMB_SCHEMA_VERSION } from "../../shared/telemetry/breadcrumb.ts";
import { SampleRing, quantileSorted, sortPrefix } from "../../shared/telemetry/percentiles.ts";
import type { FrameStats } from "./frame-stats.ts";
import type { GpuErrorTracker } from "./gpu-errors.ts";
import type { MeshStats } from "./mesh-stats.ts";
import type { NetStatsLike, Source } from "./sources.ts";
import type { UploadStats } from "./upload-stats.ts";

/** The recorders a window is built from. */
export interface AggregatorInputs {
  frames: FrameStats;
  uploads: UploadStats;
  mesh: MeshStats;
  gpu: GpuErrorTracker;
  net: Source<NetStatsLike>;
}

/** Batch fields that stay constant for the session. */
export interface BatchMeta {
  session: string;
  build: string;
  gpu: { vendor: string; arch: string };
  /** The client experiment this page is in (variant "none" or absent: none, and nothing is sent). */
  experiment?: ExperimentAssignment;
}

/** Builds BreadcrumbWindows from the recorders. */
export class BreadcrumbAggregator {
  private startUnixMs: number;
  private startMono: number;
  private netBaseIn = Number.NaN;
  private netBaseOut = Number.NaN;
  private readonly rtt = new SampleRing(512);
  private readonly rttScratch = new Float64Array(512);
  private serverTickMs = 0;

  constructor(
    private readonly inputs: AggregatorInputs,
    private readonly clock: { monoMs: () => number; unixMs: () => number },
  ) {
    this.startUnixMs = clock.unixMs();
    this.startMono = clock.monoMs();
  }

  /** Samples the network figures (call a few times a second; cheap, allocation-free). */
  sampleNet(): void {
    const net = this.inputs.net();
    if (!net) return;
    if (Number.isNaN(this.netBaseIn)) {
      this.netBaseIn = net.bytesIn;
      this.netBaseOut = net.bytesOut;
    }
    if (Number.isFinite(net.rttMs) && net.rttMs >= 0) this.rtt.push(net.rttMs);
    if (Number.isFinite(net.serverTickMs) && net.serverTickMs >= 0) this.serverTickMs = net.serverTickMs;
  }

  /**
   * Closes the window now. Returns null when it holds nothing worth sending (no frames, no
   * uploads, no GPU errors), e.g. the tab was hidden throughout.
   */
  closeWindow(): BreadcrumbWindow | null {
    const mono = this.clock.monoMs();
    const durMs = clampInt(mono - this.startMono, 1, BREADCRUMB_LIMITS.maxWindowMs);
    const frames = this.inputs.frames.closeWindow(mono);
    const uploads = this.inputs.uploads.takeWindow();
    const mesh = this.inputs.mesh.takeWindow();
    const gpu = this.inputs.gpu.takeWindow();
    this.sampleNet();
    const net = this.inputs.net();
    let bytesIn = 0;
    let bytesOut = 0;
    if (net && !Number.isNaN(this.netBaseIn)) {
      bytesIn = Math.max(0, net.bytesIn - this.netBaseIn);
      bytesOut = Math.max(0, net.bytesOut - this.netBaseOut);
      this.netBaseIn = net.bytesIn;
      this.netBaseOut = net.bytesOut;
    }
    const rttN = this.rtt.copyTo(this.rttScratch);
    sortPrefix(this.rttScratch, rttN);
    const rttP50 = rttN ? quantileSorted(this.rttScratch, rttN, 0.5) : 0;
    this.rtt.clear();

    const start = this.startUnixMs;
    this.startUnixMs = this.clock.unixMs();
    this.startMono = mono;

    let errors = 0;
    for (const k in gpu.counts) errors += gpu.counts[k as keyof typeof gpu.counts];
    if (frames.frames === 0 && uploads.count === 0 && errors === 0 && mesh.jobs === 0 && mesh.worker_failures === 0) return null;

    const ms = BREADCRUMB_LIMITS.maxMs;
    return {
      start_ms: Math.max(0, Math.round(start)),
      dur_ms: durMs,
      frames: frames.frames,
      hidden_ms: clampInt(frames.hiddenMs, 0, durMs),
      fps: {
        p50: round2(frames.fps.p50),
        p95: round2(frames.fps.p95),
        p99: round2(frames.fps.p99),
        low1: round2(frames.fps.low1),
      },
      frame_ms: Array.from(frames.intervals.counts),
      frame_ms_sum: round2(frames.intervals.sum),
      cpu_ms: { p50: clampNum(frames.cpu.p50, ms), p95: clampNum(frames.cpu.p95, ms), p99: clampNum(frames.cpu.p99, ms) },
      upload: {
        count: uploads.count,
        vertex_bytes: Math.round(uploads.vertexBytes),
        index_bytes: Math.round(uploads.indexBytes),
        ms: Array.from(uploads.ms.counts),
        ms_sum: round2(uploads.ms.sum),
      },
      mesh: {
        jobs: mesh.jobs, p50: clampNum(mesh.p50, ms), p95: clampNum(mesh.p95, ms), queue_max: mesh.queue_max,
        worker_failures: Math.min(mesh.worker_failures, BREADCRUMB_LIMITS.maxCount),
      },
      gpu_errors: { ...gpu.counts },
      device_lost_reason: gpu.lostReason,
      net: { bytes_in: Math.round(bytesIn), bytes_out: Math.round(bytesOut), rtt_ms_p50: clampNum(rttP50, ms) },
      server_tick_ms: clampNum(this.serverTickMs, ms),
    };
  }

  /** Starts a fresh window now, dropping anything accumulated (used when consent is granted). */
  reset(): void {
    this.inputs.frames.resetWindow();
    this.inputs.uploads.resetWindow();
    this.inputs.mesh.resetWindow();
    this.inputs.gpu.resetWindow();
    this.rtt.clear();
    this.netBaseIn = this.netBaseOut = Number.NaN;
    this.startUnixMs = this.clock.unixMs();
    this.startMono = this.clock.monoMs();
  }
}

/** Assembles a batch. */
export function buildBatch(meta: BatchMeta, windows: BreadcrumbWindow[], seq: number, dropped: number, key: string): BreadcrumbBatch {
  return {
    v: BREADCRUMB_SCHEMA_VERSION,
    session: meta.session,
    key,
    seq,
    build: meta.build,
    gpu: { vendor: meta.gpu.vendor, arch: meta.gpu.arch },
    dropped: Math.min(dropped, BREADCRUMB_LIMITS.maxCount),
    windows,
    ...(meta.experiment !== undefined && meta.experiment.variant !== "none"
      ? { experiment: { flag: meta.experiment.flag, variant: meta.experiment.variant } }
      : {}),
  };
}

/** `v` rounded into [lo, hi]; not finite counts as `lo`. */
function clampInt(v: number, lo: number, hi: number): number {
  return clamp(Math.round(Number.isFinite(v) ? v : lo), lo, hi);
}

/** `v` in [0, hi] to two decimals; not finite counts as 0. */
function clampNum(v: number, hi: number): number {
  return Number.isFinite(v) ? round2(clamp(v, 0, hi)) : 0;
}

function round2(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 100) / 100 : 0;
}
