import { describe, expect, it } from "vitest";
import { FrameStats } from "../../../src/client/telemetry/frame-stats.ts";
import type { FrameSummary } from "../../../src/client/telemetry/frame-stats.ts";

const summary = (): FrameSummary => ({ fpsP50: 0, fpsP95: 0, fpsP99: 0, fpsLow1: 0, frameMsP50: 0, cpuMsP50: 0, lastFrameMs: 0 });

/** Feeds `count` frames `interval` ms apart starting after `t`; returns the last timestamp. */
function run(stats: FrameStats, t: number, count: number, interval: number, cpu = 4): number {
  for (let i = 0; i < count; i++) {
    t += interval;
    stats.recordFrame(t, cpu);
  }
  return t;
}

describe("FrameStats", () => {
  it("turns frame intervals into fps percentiles and a 1% low", () => {
    const s = new FrameStats();
    let t = run(s, 0, 1, 0); // anchor frame
    t = run(s, t, 980, 10);
    run(s, t, 20, 50);
    const w = s.closeWindow(20_000);
    expect(w.frames).toBe(1000);
    expect(w.fps.p50).toBeCloseTo(100, 6);
    expect(w.fps.p95).toBeCloseTo(100, 6);
    // 2% of frames are slow, so p99 falls among them: 20 fps.
    expect(w.fps.p99).toBeCloseTo(20, 6);
    expect(w.fps.low1).toBeCloseTo(20, 6);
    expect(w.intervals.count).toBe(1000);
    expect(w.cpu.p50).toBe(4);
  });

  it("excludes hidden-tab time and discards the first frame after it", () => {
    const s = new FrameStats();
    let t = run(s, 0, 101, 16); // anchor + 100 intervals of 16 ms
    s.setHidden(true, t + 5);
    // Browsers may still deliver a frame or two around the switch; they are ignored.
    s.recordFrame(t + 10, 4);
    t += 5_000;
    s.setHidden(false, t);
    // First frame after showing: no interval (anchor). Second: carries catch-up work -> discarded.
    s.recordFrame(t + 16, 4);
    s.recordFrame(t + 16 + 200, 150);
    t = run(s, t + 216, 50, 16);
    const w = s.closeWindow(t);
    expect(w.frames).toBe(150);
    expect(w.hiddenMs).toBe(4_995);
    // No interval spans the hidden period, and the 200 ms catch-up frame is not in the figures.
    expect(w.intervals.max).toBe(16);
    expect(w.fps.low1).toBeCloseTo(62.5, 6);
    expect(w.cpu.p99).toBe(4);
  });

  it("counts a hidden period still in progress up to the window end, and continues it", () => {
    const s = new FrameStats();
    run(s, 0, 11, 16);
    s.setHidden(true, 1_000);
    expect(s.isHidden).toBe(true);
    expect(s.closeWindow(3_000).hiddenMs).toBe(2_000);
    s.setHidden(false, 4_000);
    expect(s.closeWindow(5_000).hiddenMs).toBe(1_000);
  });

  it("treats very long gaps (debugger, sleep) as gaps, not frames", () => {
    const s = new FrameStats({ maxIntervalMs: 1_000 });
    let t = run(s, 0, 11, 16);
    t += 10_000;
    s.recordFrame(t, 4);
    run(s, t, 5, 16);
    const w = s.closeWindow(t);
    expect(w.gaps).toBe(1);
    expect(w.frames).toBe(15);
  });

  it("starts a fresh window after closing or resetting", () => {
    const s = new FrameStats();
    const t = run(s, 0, 11, 16);
    expect(s.closeWindow(t).frames).toBe(10);
    expect(s.closeWindow(t).frames).toBe(0);
    run(s, t, 5, 16);
    s.resetWindow();
    const w = s.closeWindow(t + 100);
    expect(w.frames).toBe(0);
    expect(w.fps.p50).toBe(0);
  });

  it("keeps a uniform sample when a window overflows its buffer", () => {
    let seed = 1;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const s = new FrameStats({ windowCapacity: 256, random });
    let t = run(s, 0, 1, 0);
    t = run(s, t, 5000, 10);
    run(s, t, 5000, 20);
    const w = s.closeWindow(0);
    expect(w.frames).toBe(10_000);
    // Half the frames at 100 fps, half at 50 fps: the sampled median sits near the boundary.
    expect(w.fps.p95).toBeCloseTo(50, 6);
    expect(w.fps.p50).toBeGreaterThanOrEqual(50);
    expect(w.fps.p50).toBeLessThanOrEqual(100);
  });

  it("feeds the overlay from the recent ring", () => {
    const s = new FrameStats({ recentCapacity: 60 });
    run(s, 0, 200, 20, 3);
    const out = s.readRecent(summary());
    expect(out.fpsP50).toBeCloseTo(50, 6);
    expect(out.cpuMsP50).toBe(3);
    expect(out.lastFrameMs).toBe(20);
    expect(s.recentIntervals.length).toBe(60);
  });
});
