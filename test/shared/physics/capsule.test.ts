import { describe, expect, it } from "vitest";
import { rayCapsule } from "../../../src/shared/physics/capsule.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";

const R = 0.4;
const H = 1.8;

/** Reference point-in-capsule test for a capsule with feet at the origin. */
function inside(x: number, y: number, z: number): boolean {
  const ay = Math.min(Math.max(y, R), H - R);
  return x * x + (y - ay) ** 2 + z * z <= R * R;
}

describe("rayCapsule", () => {
  it("hits the side, the top and the bottom at the exact distance", () => {
    expect(rayCapsule(-5, 1, 0, 1, 0, 0, 100, 0, 0, 0, R, H)).toBeCloseTo(4.6, 12);
    expect(rayCapsule(0, 10, 0, 0, -1, 0, 100, 0, 0, 0, R, H)).toBeCloseTo(8.2, 12);
    expect(rayCapsule(0, -3, 0, 0, 1, 0, 100, 0, 0, 0, R, H)).toBeCloseTo(3, 12);
    // Offset capsule, ray along -Z.
    expect(rayCapsule(10, 21, 30, 0, 0, -1, 100, 10, 20, 20, R, H)).toBeCloseTo(9.6, 12);
  });

  it("misses beside, above, behind and beyond maxT", () => {
    expect(rayCapsule(-5, 1, 0.41, 1, 0, 0, 100, 0, 0, 0, R, H)).toBe(-1);
    expect(rayCapsule(-5, 1.81, 0, 1, 0, 0, 100, 0, 0, 0, R, H)).toBe(-1);
    expect(rayCapsule(-5, 1, 0, -1, 0, 0, 100, 0, 0, 0, R, H)).toBe(-1);
    expect(rayCapsule(-5, 1, 0, 1, 0, 0, 4.5, 0, 0, 0, R, H)).toBe(-1);
  });

  it("returns 0 from inside, and a segment fraction for an unnormalised direction", () => {
    expect(rayCapsule(0.1, 1.5, 0, 1, 0, 0, 10, 0, 0, 0, R, H)).toBe(0);
    // Segment from (-2, 1, 0) to (2, 1, 0): enters at x = -0.4, i.e. 40% of the way.
    expect(rayCapsule(-2, 1, 0, 4, 0, 0, 1, 0, 0, 0, R, H)).toBeCloseTo(0.4, 12);
    expect(rayCapsule(-2, 1, 0, 1, 0, 0, 1, 0, 0, 0, R, H)).toBe(-1);
  });

  it("agrees with a brute-force march on random rays, including the rounded caps", () => {
    const rng = new Rng(4);
    const step = 0.0005;
    let hits = 0;
    let misses = 0;
    for (let n = 0; n < 400; n++) {
      const o = [rng.next() * 4 - 2, rng.next() * 5 - 1.5, rng.next() * 4 - 2];
      if (inside(o[0], o[1], o[2])) continue;
      // Aim near the capsule so both outcomes are common.
      const target = [rng.next() * 1.2 - 0.6, rng.next() * 2.4 - 0.3, rng.next() * 1.2 - 0.6];
      const d = target.map((v, k) => v - o[k]);
      const len = Math.hypot(d[0], d[1], d[2]);
      const u = d.map((v) => v / len);
      let ref = -1;
      for (let t = 0; t <= 6; t += step) {
        if (inside(o[0] + u[0] * t, o[1] + u[1] * t, o[2] + u[2] * t)) {
          ref = t;
          break;
        }
      }
      const got = rayCapsule(o[0], o[1], o[2], u[0], u[1], u[2], 6, 0, 0, 0, R, H);
      if (ref < 0) {
        // Only a graze thinner than the step can be missed by the march.
        if (got >= 0) {
          const p = [0, 1, 2].map((k) => o[k] + u[k] * (got + step / 2));
          expect(inside(p[0], p[1], p[2])).toBe(false);
        } else misses++;
        continue;
      }
      expect(got).toBeGreaterThanOrEqual(0);
      expect(got).toBeLessThanOrEqual(ref + 1e-9);
      expect(ref - got).toBeLessThan(step * 2);
      hits++;
    }
    expect(hits).toBeGreaterThan(80);
    expect(misses).toBeGreaterThan(20);
  });
});
