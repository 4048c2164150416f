// Frame statistics: frame intervals (display cadence) and frame CPU time. Two views:
// - "recent": the last few seconds in rings, for the dev overlay and its graph;
// - "window": everything since the last breadcrumb window closed, for percentiles sent home.
// Hidden-tab time is excluded: browsers stop or throttle requestAnimationFrame in hidden tabs,
// so the gap (and the catch-up frame after it) would otherwise read as a giant hitch.

import { FixedHistogram, FRAME_TIME_BOUNDS_MS } from "../../shared/telemetry/histogram.ts";
import {
  emptySummary,
  meanOfTopFraction,
  quantileSorted,
  SampleRing,
  sortPrefix,
  summarizeRing,
} from "../../shared/telemetry/percentiles.ts";
import type { QuantileSummary } from "../../shared/telemetry/percentiles.ts";
import type { FpsFigures } from "../../shared/telemetry/breadcrumb.ts";

export interface FrameStatsOptions {
  /** Frames kept for the overlay (default 600, ten seconds at 60 Hz). */
  recentCapacity?: number;
  /** Raw intervals kept per window for exact percentiles; beyond it, a uniform reservoir sample. */
  windowCapacity?: number;
  /** Intervals longer than this are gaps (debugger pause, OS sleep), counted but not recorded. */
  maxIntervalMs?: number;
  /** Random source for reservoir sampling (tests pass a seeded one). */
  random?: () => number;
}

/** Figures of one closed window (see BreadcrumbWindow). */
export interface FrameWindow {
  frames: number;
  hiddenMs: number;
  gaps: number;
  fps: FpsFigures;
  intervals: FixedHistogram;
  cpu: { p50: number; p95: number; p99: number };
}

/** Live figures for the overlay. */
export interface FrameSummary {
  fpsP50: number;
  fpsP95: number;
  fpsP99: number;
  fpsLow1: number;
  frameMsP50: number;
  cpuMsP50: number;
  lastFrameMs: number;
}

/** fps figures from frame-time figures: fps pXX is the rate at the pXX frame time (so p99 <= p50). */
function fpsFromFrameTimes(p50: number, p95: number, p99: number, top1: number, out: FpsFigures): FpsFigures {
  out.p50 = toFps(p50);
  out.p95 = toFps(p95);
  out.p99 = toFps(p99);
  out.low1 = toFps(top1);
  return out;
}

/** Per-frame recorder. recordFrame() is allocation-free. */
export class FrameStats {
  /** Recent frame intervals in ms (oldest first): the overlay graph reads this. */
  readonly recentIntervals: SampleRing;
  readonly recentCpu: SampleRing;
  private readonly maxIntervalMs: number;
  private readonly random: () => number;
  private readonly scratch: Float64Array;
  private readonly summary: QuantileSummary = emptySummary();

  // Window accumulators.
  private readonly winIntervals: FixedHistogram = new FixedHistogram(FRAME_TIME_BOUNDS_MS);
  private readonly winSamples: Float64Array;
  private readonly winCpuSamples: Float64Array;
  private winSampleCount = 0;
  private winCpuCount = 0;
  private winSeen = 0;
  private winCpuSeen = 0;
  private winHiddenMs = 0;
  private winGaps = 0;

  // Visibility state.
  private hidden = false;
  private hiddenSince = 0;
  private lastFrameAt = Number.NaN;
  /** Intervals still to discard after the tab became visible again. */
  private discard = 0;
  private lastInterval = Number.NaN;

  constructor(options: FrameStatsOptions = {}) {
    const recent = options.recentCapacity ?? 600;
    const win = options.windowCapacity ?? 16_384;
    this.recentIntervals = new SampleRing(recent);
    this.recentCpu = new SampleRing(recent);
    this.maxIntervalMs = options.maxIntervalMs ?? 5_000;
    this.random = options.random ?? Math.random;
    this.scratch = new Float64Array(Math.max(recent, win));
    this.winSamples = new Float64Array(win);
    this.winCpuSamples = new Float64Array(win);
  }

  /** True while the page is hidden (frames are ignored). */
  get isHidden(): boolean {
    return this.hidden;
  }

  /**
   * Records one frame at time nowMs (a requestAnimationFrame timestamp) that took cpuMs of
   * main-thread work. The interval since the previous frame is the frame time.
   */
  recordFrame(nowMs: number, cpuMs: number): void {
    if (this.hidden) return;
    const prev = this.lastFrameAt;
    this.lastFrameAt = nowMs;
    if (Number.isNaN(prev)) return;
    const interval = nowMs - prev;
    if (!(interval > 0)) return;
    if (this.discard > 0) {
      // The first frame after a hidden period carries catch-up work; it is not representative.
      this.discard--;
      return;
    }
    if (interval > this.maxIntervalMs) {
      this.winGaps++;
      return;
    }
    this.lastInterval = interval;
    this.recentIntervals.push(interval);
    this.winIntervals.observe(interval);
    this.winSampleCount = reservoirPush(this.winSamples, this.winSampleCount, ++this.winSeen, interval, this.random);
    if (Number.isFinite(cpuMs) && cpuMs >= 0) {
      this.recentCpu.push(cpuMs);
      this.winCpuCount = reservoirPush(this.winCpuSamples, this.winCpuCount, ++this.winCpuSeen, cpuMs, this.random);
    }
  }

  /** Tells the recorder the page became hidden or visible (from visibilitychange/pagehide/pageshow). */
  setHidden(hidden: boolean, nowMs: number): void {
    if (hidden === this.hidden) return;
    this.hidden = hidden;
    if (hidden) {
      this.hiddenSince = nowMs;
    } else {
      this.winHiddenMs += Math.max(0, nowMs - this.hiddenSince);
      this.discard = 1;
    }
    // No interval may span the hidden period.
    this.lastFrameAt = Number.NaN;
  }

  /** Live overlay figures from the recent rings (allocation-free). */
  readRecent(out: FrameSummary): FrameSummary {
    const s = summarizeRing(this.recentIntervals, this.scratch, this.summary);
    out.fpsP50 = toFps(s.p50);
    out.fpsP95 = toFps(s.p95);
    out.fpsP99 = toFps(s.p99);
    out.fpsLow1 = toFps(s.top1);
    out.frameMsP50 = s.p50;
    out.cpuMsP50 = summarizeRing(this.recentCpu, this.scratch, this.summary).p50;
    out.lastFrameMs = this.lastInterval;
    return out;
  }

  /**
   * Closes the current window at nowMs: returns its figures and starts a new one. A hidden
   * period still in progress is counted up to nowMs and continues into the next window.
   */
  closeWindow(nowMs: number): FrameWindow {
    let hiddenMs = this.winHiddenMs;
    if (this.hidden) {
      hiddenMs += Math.max(0, nowMs - this.hiddenSince);
      this.hiddenSince = nowMs;
    }
    const intervals = new FixedHistogram(FRAME_TIME_BOUNDS_MS);
    intervals.merge(this.winIntervals);
    const n = this.winSampleCount;
    sortPrefix(this.winSamples, n);
    const fps = fpsFromFrameTimes(
      quantileSorted(this.winSamples, n, 0.5),
      quantileSorted(this.winSamples, n, 0.95),
      quantileSorted(this.winSamples, n, 0.99),
      meanOfTopFraction(this.winSamples, n, 0.01),
      { p50: 0, p95: 0, p99: 0, low1: 0 },
    );
    const c = this.winCpuCount;
    sortPrefix(this.winCpuSamples, c);
    const cpu = {
      p50: orZero(quantileSorted(this.winCpuSamples, c, 0.5)),
      p95: orZero(quantileSorted(this.winCpuSamples, c, 0.95)),
      p99: orZero(quantileSorted(this.winCpuSamples, c, 0.99)),
    };
    const out: FrameWindow = { frames: intervals.count, hiddenMs, gaps: this.winGaps, fps, intervals, cpu };
    this.resetWindow();
    return out;
  }

  /** Drops the window accumulated so far (e.g. when consent is granted: only data from then on). */
  resetWindow(): void {
    this.winIntervals.reset();
    this.winSampleCount = this.winCpuCount = this.winSeen = this.winCpuSeen = 0;
    this.winHiddenMs = 0;
    this.winGaps = 0;
  }
}

/** Wires document visibility (and bfcache pagehide/pageshow) into a FrameStats; returns detach. */
export function attachVisibility(doc: Document, win: Window, stats: FrameStats, now: () => number): () => void {
  const onVisibility = (): void => stats.setHidden(doc.visibilityState === "hidden", now());
  const onHide = (): void => stats.setHidden(true, now());
  const onShow = (): void => stats.setHidden(doc.visibilityState === "hidden", now());
  doc.addEventListener("visibilitychange", onVisibility);
  win.addEventListener("pagehide", onHide);
  win.addEventListener("pageshow", onShow);
  onVisibility();
  return () => {
    doc.removeEventListener("visibilitychange", onVisibility);
    win.removeEventListener("pagehide", onHide);
    win.removeEventListener("pageshow", onShow);
  };
}

function toFps(frameMs: number): number {
  return frameMs > 0 && Number.isFinite(frameMs) ? Math.min(1000, 1000 / frameMs) : 0;
}

function orZero(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

/**
 * Algorithm R: keeps a uniform sample of every value seen in a fixed buffer. Returns the new
 * number of stored samples. `seen` counts values including this one.
 */
function reservoirPush(buf: Float64Array, stored: number, seen: number, v: number, random: () => number): number {
  if (stored < buf.length) {
    buf[stored] = v;
    return stored + 1;
  }
  const j = Math.floor(random() * seen);
  if (j < buf.length) buf[j] = v;
  return stored;
}
