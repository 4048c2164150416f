// Per-face-direction culling: which face groups of a chunk can face the camera, and how the
// visible groups merge into draw runs.
import { describe, expect, it } from "vitest";
import { visibleFaceMask, visibleRuns } from "../../../src/client/render/terrain-draws.ts";
import { Face } from "../../../src/shared/mesh/quad.ts";

const bit = (f: number) => 1 << f;

describe("visibleFaceMask", () => {
  it("a camera inside the chunk may see every direction", () => {
    expect(visibleFaceMask(16, 16, 16, 0, 0, 0)).toBe(0b111111);
  });

  it("a camera east of the chunk (+X) sees +X faces and no -X faces", () => {
    const m = visibleFaceMask(100, 16, 16, 0, 0, 0);
    expect(m & bit(Face.PosX)).not.toBe(0);
    expect(m & bit(Face.NegX)).toBe(0);
    expect(m & bit(Face.PosY)).not.toBe(0); // inside the chunk's y range: both y sides possible
    expect(m & bit(Face.NegY)).not.toBe(0);
  });

  it("a camera above and to the -Z side sees +Y and -Z faces only along those axes", () => {
    const m = visibleFaceMask(16, 70, -5, 0, 32, 0);
    expect(m & bit(Face.PosY)).not.toBe(0);
    expect(m & bit(Face.NegY)).toBe(0);
    expect(m & bit(Face.NegZ)).not.toBe(0);
    expect(m & bit(Face.PosZ)).toBe(0);
  });

  it("keeps faces on planes the camera is exactly level with out, and just past them in", () => {
    // +X faces lie on x' in [1, 32] for a chunk at x 0: at x = 1 none is seen from the front.
    expect(visibleFaceMask(1, 16, 16, 0, 0, 0) & bit(Face.PosX)).toBe(0);
    expect(visibleFaceMask(1.01, 16, 16, 0, 0, 0) & bit(Face.PosX)).not.toBe(0);
    // -X faces lie on x' in [0, 31].
    expect(visibleFaceMask(31, 16, 16, 0, 0, 0) & bit(Face.NegX)).toBe(0);
    expect(visibleFaceMask(30.99, 16, 16, 0, 0, 0) & bit(Face.NegX)).not.toBe(0);
  });
});

describe("visibleRuns", () => {
  const counts = new Uint32Array([10, 20, 30, 40, 50, 60]); // +X -X +Y -Y +Z -Z
  const out = new Uint32Array(6);
  const runs = (mask: number, first = 1000) => {
    const n = visibleRuns(counts, 0, first, mask, out);
    return Array.from({ length: n }, (_, i) => [out[i * 2], out[i * 2 + 1]]);
  };

  it("everything visible is one run over all quads", () => {
    expect(runs(0b111111)).toEqual([[1000, 210]]);
  });

  it("alternating groups give three runs at the right offsets", () => {
    expect(runs(bit(Face.PosX) | bit(Face.PosY) | bit(Face.PosZ))).toEqual([[1000, 10], [1030, 30], [1100, 50]]);
    expect(runs(bit(Face.NegX) | bit(Face.NegY) | bit(Face.NegZ))).toEqual([[1010, 20], [1060, 40], [1150, 60]]);
  });

  it("adjacent visible groups merge, and nothing visible means no runs", () => {
    expect(runs(bit(Face.NegX) | bit(Face.PosY) | bit(Face.NegZ))).toEqual([[1010, 50], [1150, 60]]);
    expect(runs(0)).toEqual([]);
  });

  it("empty groups do not split or create runs", () => {
    const sparse = new Uint32Array([0, 5, 0, 0, 7, 0]);
    // +Y is hidden but empty: -X and +Z stay one draw.
    let n = visibleRuns(sparse, 0, 0, 0b111111 & ~bit(Face.PosY), out);
    expect(Array.from(out.subarray(0, n * 2))).toEqual([0, 12]);
    // -Y hidden and empty, -X hidden and non-empty: only +Z.
    n = visibleRuns(sparse, 0, 0, bit(Face.PosZ), out);
    expect(Array.from(out.subarray(0, n * 2))).toEqual([5, 7]);
  });

  it("reads the chunk's counts at its base offset", () => {
    const two = new Uint32Array([1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 4]);
    expect(visibleRuns(two, 6, 0, 0b111111, out)).toBe(1);
    expect(out[1]).toBe(24);
  });
});
