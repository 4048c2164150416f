import { describe, expect, it } from "vitest";
import { RayHit, raycastVoxels } from "../../../src/shared/physics/raycast.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { World } from "../../../src/shared/voxel/world.ts";

/** A 2x2x2-chunk world with ~4% random solid voxels. */
function sparseWorld(seed: number): World {
  const w = new World({ chunksX: 2, chunksY: 2, chunksZ: 2 });
  const rng = new Rng(seed);
  for (let y = 0; y < w.maxY; y++) {
    for (let z = 0; z < w.maxZ; z++) {
      for (let x = 0; x < w.maxX; x++) if (rng.next() < 0.04) w.set(x, y, z, 1 + rng.int(8));
    }
  }
  return w;
}

/** Reference: march in tiny steps and return the distance of the first solid sample, or -1. */
function march(w: World, o: number[], d: number[], maxDist: number, step: number): number {
  for (let t = 0; t <= maxDist; t += step) {
    if (w.get(Math.floor(o[0] + d[0] * t), Math.floor(o[1] + d[1] * t), Math.floor(o[2] + d[2] * t)) !== Material.Air) return t;
  }
  return -1;
}

/** Distance at which the ray leaves the hit voxel (slab method). */
function exitDistance(hit: RayHit, o: number[], d: number[]): number {
  const v = [hit.x, hit.y, hit.z];
  let exit = Infinity;
  for (let k = 0; k < 3; k++) {
    if (d[k] !== 0) exit = Math.min(exit, (v[k] + (d[k] > 0 ? 1 : 0) - o[k]) / d[k]);
  }
  return exit;
}

describe("raycastVoxels", () => {
  it("agrees with a brute-force fine-step march on random rays", () => {
    const w = sparseWorld(1);
    const rng = new Rng(2);
    const hit = new RayHit();
    const step = 0.002;
    let hits = 0;
    let misses = 0;
    let clips = 0;
    for (let n = 0; n < 300; n++) {
      const o = [rng.next() * w.maxX, rng.next() * w.maxY, rng.next() * w.maxZ];
      // Rejection-sample a direction in the unit ball for an unbiased spread.
      let d: number[];
      do d = [rng.next() * 2 - 1, rng.next() * 2 - 1, rng.next() * 2 - 1];
      while (Math.hypot(d[0], d[1], d[2]) > 1 || Math.hypot(d[0], d[1], d[2]) < 0.1);
      const len = Math.hypot(d[0], d[1], d[2]);
      const unit = d.map((v) => v / len);
      if (w.get(Math.floor(o[0]), Math.floor(o[1]), Math.floor(o[2])) !== Material.Air) continue;
      const maxDist = 30;
      // Pass the unnormalised direction: the cast must normalise it.
      const got = raycastVoxels(w, o[0], o[1], o[2], d[0], d[1], d[2], maxDist, hit);
      const ref = march(w, o, unit, maxDist, step);
      if (ref < 0) {
        // The march can only miss a hit that clips a voxel corner thinner than a step.
        if (got) expect(exitDistance(hit, o, unit) - hit.distance).toBeLessThan(step);
        else misses++;
        continue;
      }
      expect(got).toBe(true);
      expect(hit.distance).toBeLessThanOrEqual(ref + 1e-9);
      expect(ref - hit.distance).toBeLessThan(step * 2);
      const sample = [0, 1, 2].map((k) => Math.floor(o[k] + unit[k] * ref));
      if (hit.x !== sample[0] || hit.y !== sample[1] || hit.z !== sample[2]) {
        // DDA found an earlier voxel the march stepped over: only a clip thinner than a step.
        expect(exitDistance(hit, o, unit) - hit.distance).toBeLessThan(step);
        clips++;
      }
      hits++;
      expect(hit.material).toBe(w.get(hit.x, hit.y, hit.z));
      // The normal points out of the entered face: the neighbour across it is air, and the hit
      // point lies on that face.
      expect(Math.abs(hit.nx) + Math.abs(hit.ny) + Math.abs(hit.nz)).toBe(1);
      expect(w.get(hit.x + hit.nx, hit.y + hit.ny, hit.z + hit.nz)).toBe(Material.Air);
      const face = hit.nx !== 0 ? [hit.px, hit.x + (hit.nx > 0 ? 1 : 0)] : hit.ny !== 0 ? [hit.py, hit.y + (hit.ny > 0 ? 1 : 0)] : [hit.pz, hit.z + (hit.nz > 0 ? 1 : 0)];
      expect(face[0]).toBeCloseTo(face[1], 9);
      expect(Math.hypot(hit.px - o[0], hit.py - o[1], hit.pz - o[2])).toBeCloseTo(hit.distance, 9);
    }
    expect(hits).toBeGreaterThan(100);
    expect(misses).toBeGreaterThan(0);
    expect(clips).toBeLessThan(hits / 20);
  });

  it("gives exact distance and normal on axis-aligned rays", () => {
    const w = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
    w.set(10, 5, 5, Material.Brick);
    const hit = new RayHit();
    expect(raycastVoxels(w, 2.5, 5.5, 5.5, 1, 0, 0, 100, hit)).toBe(true);
    expect([hit.x, hit.y, hit.z, hit.nx, hit.ny, hit.nz]).toEqual([10, 5, 5, -1, 0, 0]);
    expect(hit.distance).toBe(7.5);
    expect(hit.material).toBe(Material.Brick);
    expect(raycastVoxels(w, 20.5, 5.5, 5.5, -1, 0, 0, 100, hit)).toBe(true);
    expect([hit.nx, hit.distance]).toEqual([1, 9.5]);
    // Too short.
    expect(raycastVoxels(w, 2.5, 5.5, 5.5, 1, 0, 0, 7, hit)).toBe(false);
  });

  it("reports distance 0 when starting inside a solid voxel", () => {
    const w = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
    w.set(3, 3, 3, Material.Stone);
    const hit = new RayHit();
    expect(raycastVoxels(w, 3.2, 3.7, 3.1, 0, 1, 0, 10, hit)).toBe(true);
    expect([hit.x, hit.y, hit.z, hit.distance, hit.nx, hit.ny, hit.nz]).toEqual([3, 3, 3, 0, 0, 0, 0]);
  });

  it("hits the bedrock below the world and terminates for rays leaving it", () => {
    const w = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
    const hit = new RayHit();
    expect(raycastVoxels(w, 4.5, 10.5, 4.5, 0, -1, 0, 100, hit)).toBe(true);
    expect([hit.y, hit.ny, hit.distance, hit.material]).toEqual([-1, 1, 10.5, Material.Bedrock]);
    expect(raycastVoxels(w, 4.5, 10.5, 4.5, 0.3, 1, 0.2, Infinity, hit)).toBe(false);
    expect(raycastVoxels(w, 4.5, 10.5, 4.5, -1, 0, 0, Infinity, hit)).toBe(false);
    expect(raycastVoxels(w, 4.5, 10.5, 4.5, 0, 0, 0, 10, hit)).toBe(false);
    expect(raycastVoxels(w, NaN, 10.5, 4.5, 1, 0, 0, 10, hit)).toBe(false);
  });
});
