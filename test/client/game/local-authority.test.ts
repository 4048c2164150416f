// Local fire -> impact -> carve: projectiles fly straight, stop at the first solid voxel,
// carve a crater there and report the dirty chunks.
import { describe, expect, it } from "vitest";
import type { CarveEvent } from "../../../src/client/game/authority.ts";
import { LocalAuthority } from "../../../src/client/game/local-authority.ts";
import { PROJECTILE, Projectiles } from "../../../src/client/game/projectiles.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { World } from "../../../src/shared/voxel/world.ts";

/** A 2x1x2-chunk world with a brick wall at z = 40..41, x 20..44, y 0..15, across a chunk border at x = 32. */
function wallWorld(): World {
  const w = new World({ chunksX: 2, chunksY: 1, chunksZ: 2 });
  for (let y = 0; y < 16; y++) for (let z = 40; z < 42; z++) for (let x = 20; x < 45; x++) w.set(x, y, z, Material.Brick);
  return w;
}

function run(a: LocalAuthority, seconds: number): void {
  for (let t = 0; t < seconds; t += 1 / 60) a.update(1 / 60);
}

describe("LocalAuthority", () => {
  it("a shot at the wall carves a crater around the impact and reports dirty chunks", () => {
    const world = wallWorld();
    const a = new LocalAuthority(world);
    const events: { x: number; y: number; z: number; voxels: number; dirty: number[] }[] = [];
    a.onCarve((e: CarveEvent) => events.push({ x: e.x, y: e.y, z: e.z, voxels: e.voxels, dirty: Array.from(e.dirty.ids.subarray(0, e.dirty.count)) }));
    a.fire([32.5, 8.5, 10.5], [0, 0, 1]);
    expect(a.projectiles.count).toBe(1);
    run(a, 1);
    expect(a.projectiles.count).toBe(0);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e.z).toBeCloseTo(40, 6); // the wall's near face
    expect(e.x).toBeCloseTo(32.5, 6);
    expect(world.get(32, 8, 40)).toBe(Material.Air);
    expect(world.get(32, 8, 45)).toBe(Material.Air);
    expect(world.get(20, 8, 40)).toBe(Material.Brick); // far from the crater
    expect(e.voxels).toBeGreaterThan(20);
    // The crater straddles x = 32: both chunk columns at z chunk 1 are dirty.
    expect(e.dirty).toContain(world.chunkId(0, 0, 1));
    expect(e.dirty).toContain(world.chunkId(1, 0, 1));
  });

  it("a shot into the open sky expires without carving", () => {
    const world = wallWorld();
    const a = new LocalAuthority(world);
    let carves = 0;
    a.onCarve(() => carves++);
    a.fire([10, 30, 10], [0, 1, 0]);
    run(a, PROJECTILE.maxAge + 0.5);
    expect(a.projectiles.count).toBe(0);
    expect(carves).toBe(0);
  });

  it("unsubscribed listeners are not called", () => {
    const a = new LocalAuthority(wallWorld());
    let calls = 0;
    const off = a.onCarve(() => calls++);
    off();
    a.fire([32.5, 8.5, 10.5], [0, 0, 1]);
    run(a, 1);
    expect(calls).toBe(0);
  });
});

describe("Projectiles", () => {
  it("cannot tunnel through a one-voxel wall at any frame time", () => {
    const world = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
    world.set(5, 5, 20, Material.Stone);
    for (const dt of [1 / 240, 1 / 30, 0.25]) {
      const p = new Projectiles(4);
      p.spawn(5.5, 5.5, 0.5, 0, 0, 1);
      let hitZ = -1;
      for (let i = 0; i < 100 && p.count > 0; i++) p.step(world, dt, (h) => (hitZ = h.z));
      expect(hitZ).toBe(20);
    }
  });

  it("rejects degenerate directions and respects capacity", () => {
    const p = new Projectiles(2);
    expect(p.spawn(0, 0, 0, 0, 0, 0)).toBe(false);
    expect(p.spawn(0, 0, 0, Number.NaN, 0, 1)).toBe(false);
    expect(p.spawn(0, 0, 0, 1, 0, 0)).toBe(true);
    expect(p.spawn(0, 0, 0, 1, 0, 0)).toBe(true);
    expect(p.spawn(0, 0, 0, 1, 0, 0)).toBe(false);
  });
});
