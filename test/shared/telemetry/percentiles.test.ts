import { describe, expect, it } from "vitest";
import {
  emptySummary,
  meanOfTopFraction,
  nearestRank,
  quantileSorted,
  SampleRing,
  sortPrefix,
  summarizeRing,
} from "../../../src/shared/telemetry/percentiles.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";

describe("nearestRank", () => {
  it("is the smallest sample with at least p% of the samples at or below it", () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(a, 50)).toBe(5);
    expect(nearestRank(a, 51)).toBe(6);
    expect(nearestRank(a, 99)).toBe(10);
    expect(nearestRank(a, 100)).toBe(10);
    expect(nearestRank(a, 0)).toBe(1);
    expect(nearestRank([4, 8, 15], 34)).toBe(8);
  });

  it("is NaN for no samples", () => {
    expect(nearestRank([], 50)).toBeNaN();
  });
});

describe("quantileSorted", () => {
  it("interpolates between closest ranks (type 7)", () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantileSorted(a, a.length, 0)).toBe(1);
    expect(quantileSorted(a, a.length, 1)).toBe(10);
    expect(quantileSorted(a, a.length, 0.5)).toBeCloseTo(5.5, 12);
    // pos = 0.95 * 9 = 8.55 -> 9 + 0.55 * (10 - 9)
    expect(quantileSorted(a, a.length, 0.95)).toBeCloseTo(9.55, 12);
    expect(quantileSorted(a, a.length, 0.99)).toBeCloseTo(9.91, 12);
  });

  it("handles tiny inputs and clamps q", () => {
    expect(quantileSorted([], 0, 0.5)).toBeNaN();
    expect(quantileSorted([7], 1, 0.99)).toBe(7);
    expect(quantileSorted([1, 3], 2, 2)).toBe(3);
    expect(quantileSorted([1, 3], 2, -1)).toBe(1);
  });

  it("uses only the first n entries", () => {
    expect(quantileSorted([1, 2, 100, 200], 2, 1)).toBe(2);
  });
});

describe("meanOfTopFraction (1% low)", () => {
  it("averages the slowest 1% of frame times, at least one value", () => {
    const frames = Array.from({ length: 1000 }, (_, i) => (i < 990 ? 16 : 50 + i - 990));
    frames.sort((x, y) => x - y);
    // The slowest 10 frames are 50..59 ms.
    expect(meanOfTopFraction(frames, frames.length, 0.01)).toBeCloseTo(54.5, 12);
    expect(meanOfTopFraction([10, 20, 30], 3, 0.01)).toBe(30);
    expect(meanOfTopFraction([], 0, 0.01)).toBeNaN();
  });
});

describe("SampleRing", () => {
  it("keeps the most recent values in order after wrapping", () => {
    const r = new SampleRing(4);
    for (let i = 1; i <= 6; i++) r.push(i);
    expect(r.length).toBe(4);
    expect([r.at(0), r.at(1), r.at(2), r.at(3)]).toEqual([3, 4, 5, 6]);
    const out = new Float64Array(4);
    expect(r.copyTo(out)).toBe(4);
    expect(Array.from(out)).toEqual([3, 4, 5, 6]);
    r.clear();
    expect(r.length).toBe(0);
  });

  it("copyTo with a smaller target keeps the newest samples", () => {
    const r = new SampleRing(8);
    for (let i = 1; i <= 5; i++) r.push(i);
    const out = new Float64Array(3);
    expect(r.copyTo(out)).toBe(3);
    expect(Array.from(out)).toEqual([3, 4, 5]);
  });

  it("rejects a non-positive capacity", () => {
    expect(() => new SampleRing(0)).toThrow(RangeError);
  });
});

describe("sortPrefix", () => {
  it("matches Array.prototype.sort for small and large inputs", () => {
    const rng = new Rng(42);
    for (const n of [0, 1, 2, 5, 31, 32, 33, 100, 1000]) {
      const a = new Float64Array(n + 5);
      for (let i = 0; i < a.length; i++) a[i] = rng.next() * 100 - 50;
      const tail = Array.from(a.subarray(n));
      const expected = Array.from(a.subarray(0, n)).sort((x, y) => x - y);
      sortPrefix(a, n);
      expect(Array.from(a.subarray(0, n))).toEqual(expected);
      // Entries past n are untouched.
      expect(Array.from(a.subarray(n))).toEqual(tail);
    }
  });
});

describe("summarizeRing", () => {
  it("summarises without disturbing the ring", () => {
    const r = new SampleRing(100);
    for (let i = 100; i >= 1; i--) r.push(i);
    const s = summarizeRing(r, new Float64Array(100), emptySummary());
    expect(s.count).toBe(100);
    expect(s.p50).toBeCloseTo(50.5, 12);
    expect(s.p99).toBeCloseTo(99.01, 12);
    expect(s.top1).toBe(100);
    expect(s.mean).toBeCloseTo(50.5, 12);
    expect(s.max).toBe(100);
    expect(r.at(0)).toBe(100);
  });

  it("reports NaN for an empty ring", () => {
    const s = summarizeRing(new SampleRing(4), new Float64Array(4), emptySummary());
    expect(s.count).toBe(0);
    expect(s.p50).toBeNaN();
  });
});
