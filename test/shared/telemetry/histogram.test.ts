import { describe, expect, it } from "vitest";
import {
  boundsToSeconds,
  FixedHistogram,
  FRAME_TIME_BOUNDS_MS,
  MESH_MS_BOUNDS,
  sameBounds,
  UPLOAD_MS_BOUNDS,
} from "../../../src/shared/telemetry/histogram.ts";
import { BUCKETS } from "../../../src/shared/telemetry/names.ts";

describe("FixedHistogram", () => {
  it("puts a value equal to a bound into that bound's bucket (le semantics)", () => {
    const h = new FixedHistogram([1, 2, 4]);
    h.observe(1);
    h.observe(1.5);
    h.observe(4);
    h.observe(100);
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 1]);
    expect(h.count).toBe(4);
    expect(h.sum).toBe(106.5);
    expect(h.min).toBe(1);
    expect(h.max).toBe(100);
  });

  it("ignores non-finite values", () => {
    const h = new FixedHistogram([1]);
    h.observe(Number.NaN);
    h.observe(Number.POSITIVE_INFINITY);
    expect(h.count).toBe(0);
    expect(h.sum).toBe(0);
  });

  it("merges histograms with equal bounds by summing", () => {
    const a = new FixedHistogram([1, 2]);
    const b = new FixedHistogram([1, 2]);
    a.observe(0.5);
    b.observe(1.5, 3);
    b.observe(9);
    a.merge(b);
    expect(Array.from(a.counts)).toEqual([1, 3, 1]);
    expect(a.count).toBe(5);
    expect(a.sum).toBeCloseTo(0.5 + 4.5 + 9, 12);
    expect(a.max).toBe(9);
    expect(a.min).toBe(0.5);
  });

  it("refuses to merge different bounds", () => {
    expect(() => new FixedHistogram([1, 2]).merge(new FixedHistogram([1, 3]))).toThrow(RangeError);
    expect(() => new FixedHistogram([1, 2]).mergeData({ counts: [1, 2], sum: 0 })).toThrow(RangeError);
  });

  it("merges serialised data", () => {
    const a = new FixedHistogram([1, 2]);
    a.mergeData({ counts: [2, 0, 1], sum: 7 });
    a.mergeData(a.toData());
    expect(Array.from(a.counts)).toEqual([4, 0, 2]);
    expect(a.count).toBe(6);
    expect(a.sum).toBe(14);
  });

  it("estimates quantiles by interpolating inside the bucket", () => {
    const h = new FixedHistogram([10, 20, 30]);
    for (let i = 0; i < 100; i++) h.observe(15);
    // All mass in (10, 20]; clamped to the observed min/max.
    expect(h.quantile(0.5)).toBe(15);
    const g = new FixedHistogram([10, 20, 30]);
    for (let i = 0; i < 50; i++) g.observe(5);
    for (let i = 0; i < 50; i++) g.observe(25);
    expect(g.quantile(0.25)).toBeCloseTo(5, 12);
    expect(g.quantile(0.75)).toBeGreaterThan(20);
    expect(g.quantile(0.75)).toBeLessThanOrEqual(25);
    expect(new FixedHistogram([1]).quantile(0.5)).toBeNaN();
  });

  it("validates bounds and resets", () => {
    expect(() => new FixedHistogram([2, 1])).toThrow(RangeError);
    const h = new FixedHistogram([1]);
    h.observe(3);
    h.reset();
    expect(h.count).toBe(0);
    expect(Array.from(h.counts)).toEqual([0, 0]);
  });
});

describe("bound tables", () => {
  it("client frame and upload buckets are the server's Prometheus buckets in ms", () => {
    expect(sameBounds(boundsToSeconds(FRAME_TIME_BOUNDS_MS), BUCKETS.frame)).toBe(true);
    expect(sameBounds(boundsToSeconds(UPLOAD_MS_BOUNDS), BUCKETS.upload)).toBe(true);
    expect(FRAME_TIME_BOUNDS_MS).toContain(16.7);
  });

  it("every table is strictly ascending", () => {
    for (const b of [FRAME_TIME_BOUNDS_MS, UPLOAD_MS_BOUNDS, MESH_MS_BOUNDS]) expect(() => new FixedHistogram(b)).not.toThrow();
  });
});
