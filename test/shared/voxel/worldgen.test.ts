import { beforeAll, describe, expect, it } from "vitest";
import { boxOverlapsSolid, PLAYER_BOX } from "../../../src/shared/physics/collide.ts";
import { createPlayerState, stepPlayer } from "../../../src/shared/physics/movement.ts";
import { RayHit, raycastVoxels } from "../../../src/shared/physics/raycast.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import {
  DEFAULT_WORLD_GEN,
  destructibleAt,
  generateWorld,
  SPAWN_TOWER_DID,
  SPAWN_WALL_DID,
  WORLDGEN,
} from "../../../src/shared/voxel/worldgen.ts";
import type { GeneratedWorld } from "../../../src/shared/voxel/worldgen.ts";
import type { World } from "../../../src/shared/voxel/world.ts";

let gen: GeneratedWorld;
let again: GeneratedWorld;

beforeAll(() => {
  gen = generateWorld(DEFAULT_WORLD_GEN);
  again = generateWorld({ ...DEFAULT_WORLD_GEN });
});

function forEachChunk(world: World, fn: (data: Uint8Array, cx: number, cy: number, cz: number) => void): void {
  for (let cy = 0; cy < world.size.chunksY; cy++) {
    for (let cz = 0; cz < world.size.chunksZ; cz++) {
      for (let cx = 0; cx < world.size.chunksX; cx++) fn(world.chunkData(cx, cy, cz), cx, cy, cz);
    }
  }
}

describe("generateWorld determinism", () => {
  it("gives byte-identical worlds, structures and spawn for the same seed", () => {
    forEachChunk(gen.world, (data, cx, cy, cz) => {
      expect(Buffer.compare(data, again.world.chunkData(cx, cy, cz))).toBe(0);
    });
    expect(worldChecksum(again.world)).toBe(worldChecksum(gen.world));
    expect(again.destructibles).toEqual(gen.destructibles);
    expect(again.spawn).toEqual(gen.spawn);
  });

  it("gives a different world for a different seed", () => {
    const other = generateWorld({ ...DEFAULT_WORLD_GEN, seed: 1338 });
    expect(worldChecksum(other.world)).not.toBe(worldChecksum(gen.world));
    let differing = 0;
    for (let i = 0; i < gen.surface.length; i++) if (other.surface[i] !== gen.surface[i]) differing++;
    expect(differing).toBeGreaterThan(gen.surface.length / 2);
  });

  it("has the default size and leaves chunk versions at 0", () => {
    expect([gen.world.maxX, gen.world.maxY, gen.world.maxZ]).toEqual([512, 128, 512]);
    forEachChunk(gen.world, (_d, cx, cy, cz) => expect(gen.world.chunkVersion(cx, cy, cz)).toBe(0));
  });

  it("works for a small world too", () => {
    const small = generateWorld({ seed: 5, chunksX: 4, chunksY: 2, chunksZ: 4 });
    const [x, y, z] = small.spawn;
    expect(boxOverlapsSolid(small.world, x, y, z, PLAYER_BOX)).toBe(false);
    expect(small.world.get(Math.floor(x), y - 1, Math.floor(z))).not.toBe(Material.Air);
    expect(small.destructibles.length).toBeGreaterThanOrEqual(2);
  });
});

describe("terrain", () => {
  it("has rolling hills within the height range", () => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const h of gen.surface) {
      min = Math.min(min, h);
      max = Math.max(max, h);
      sum += h;
    }
    const mean = sum / gen.surface.length;
    let variance = 0;
    for (const h of gen.surface) variance += (h - mean) ** 2;
    variance /= gen.surface.length;
    expect(min).toBeGreaterThanOrEqual(WORLDGEN.minHeight);
    expect(max).toBeLessThanOrEqual(WORLDGEN.maxHeight);
    expect(max - min).toBeGreaterThan(30);
    expect(Math.sqrt(variance)).toBeGreaterThan(5);
  });

  it("layers grass/sand over dirt over stone, bedrock at y = 0, air above the surface", () => {
    const w = gen.world;
    const rng = new Rng(1);
    const counts = new Map<number, number>();
    for (let n = 0; n < 2000; n++) {
      const x = rng.int(w.maxX);
      const z = rng.int(w.maxZ);
      const h = gen.surface[x + z * w.maxX];
      expect(w.get(x, 0, z)).toBe(Material.Bedrock);
      const top = w.get(x, h, z);
      counts.set(top, (counts.get(top) ?? 0) + 1);
      expect(w.get(x, h - 8, z) === Material.Stone || w.get(x, h - 8, z) === Material.Air).toBe(true);
    }
    expect(counts.get(Material.Grass) ?? 0).toBeGreaterThan(1000);
    expect(counts.get(Material.Sand) ?? 0).toBeGreaterThan(0);
    // Columns away from structures are open sky above the surface.
    let open = 0;
    for (let x = 0; x < w.maxX; x += 7) {
      const z = 3;
      if (destructibleAt(gen.index, x, gen.surface[x + z * w.maxX] + 1, z) !== 0) continue;
      let clear = true;
      for (let y = gen.surface[x + z * w.maxX] + 1; y < w.maxY; y++) if (w.get(x, y, z) !== Material.Air) clear = false;
      if (clear) open++;
    }
    expect(open).toBeGreaterThan(50);
  });

  it("has caves underground that never breach the surface", () => {
    const w = gen.world;
    let underground = 0;
    let cave = 0;
    for (let z = 0; z < w.maxZ; z++) {
      for (let x = 0; x < w.maxX; x++) {
        const h = gen.surface[x + z * w.maxX];
        for (let y = h - WORLDGEN.caveRoof + 1; y <= h; y++) {
          if (w.get(x, y, z) === Material.Air) throw new Error(`cave breaches surface at ${x},${y},${z}`);
        }
        for (let y = 1; y < h; y++) {
          underground++;
          if (w.get(x, y, z) === Material.Air) cave++;
        }
      }
    }
    expect(cave / underground).toBeGreaterThan(0.01);
    expect(cave / underground).toBeLessThan(0.2);
  });
});

describe("destructible structures", () => {
  it("has towers, walls and crates with unique sequential dids and non-overlapping boxes", () => {
    const kinds = new Set(gen.destructibles.map((d) => d.kind));
    expect(kinds).toEqual(new Set(["tower", "wall", "crate"]));
    gen.destructibles.forEach((d, i) => expect(d.did).toBe(i + 1));
    const list = gen.destructibles;
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i];
        const b = list[j];
        const overlap = [0, 1, 2].every((k) => a.min[k] <= b.max[k] && b.min[k] <= a.max[k]);
        expect(overlap, `${a.did} overlaps ${b.did}`).toBe(false);
      }
    }
  });

  it("spreads structures over the whole world", () => {
    const quadrants = new Set(gen.destructibles.map((d) => (d.min[0] < 256 ? 0 : 1) + (d.min[2] < 256 ? 0 : 2)));
    expect(quadrants.size).toBe(4);
    expect(gen.destructibles.length).toBeGreaterThan(40);
  });

  it("builds each structure from its material inside its box, with glass windows in towers", () => {
    const w = gen.world;
    for (const d of gen.destructibles) {
      let own = 0;
      let glass = 0;
      for (let y = d.min[1]; y <= d.max[1]; y++) {
        for (let z = d.min[2]; z <= d.max[2]; z++) {
          for (let x = d.min[0]; x <= d.max[0]; x++) {
            const m = w.get(x, y, z);
            if (m === d.material) own++;
            if (m === Material.Glass) glass++;
          }
        }
      }
      expect(own, `did ${d.did}`).toBeGreaterThan(0);
      if (d.kind === "tower") expect(glass, `did ${d.did}`).toBeGreaterThan(0);
    }
  });

  it("destructibleAt agrees with a linear scan of the boxes", () => {
    const rng = new Rng(9);
    const scan = (x: number, y: number, z: number): number =>
      gen.destructibles.find((d) => x >= d.min[0] && x <= d.max[0] && y >= d.min[1] && y <= d.max[1] && z >= d.min[2] && z <= d.max[2])?.did ?? 0;
    let hits = 0;
    for (const d of gen.destructibles) {
      expect(destructibleAt(gen.index, d.min[0], d.min[1], d.min[2])).toBe(d.did);
      expect(destructibleAt(gen.index, d.max[0], d.max[1], d.max[2])).toBe(d.did);
      for (let n = 0; n < 20; n++) {
        // Points in and around the box, including just outside each face.
        const x = d.min[0] - 1 + rng.int(d.max[0] - d.min[0] + 3);
        const y = d.min[1] - 1 + rng.int(d.max[1] - d.min[1] + 3);
        const z = d.min[2] - 1 + rng.int(d.max[2] - d.min[2] + 3);
        const got = destructibleAt(gen.index, x, y, z);
        expect(got).toBe(scan(x, y, z));
        if (got) hits++;
      }
    }
    expect(hits).toBeGreaterThan(gen.destructibles.length);
    expect(destructibleAt(gen.index, -1, 50, 10)).toBe(0);
    expect(destructibleAt(gen.index, 10, 500, 10)).toBe(0);
  });
});

describe("spawn", () => {
  it("is free space with solid ground below, near the world centre", () => {
    const w = gen.world;
    const [x, y, z] = gen.spawn;
    expect(Math.abs(x - w.maxX / 2)).toBeLessThan(32);
    expect(Math.abs(z - w.maxZ / 2)).toBeLessThan(32);
    expect(boxOverlapsSolid(w, x, y, z, PLAYER_BOX)).toBe(false);
    expect(w.get(Math.floor(x), y - 1, Math.floor(z))).not.toBe(Material.Air);
    expect(destructibleAt(gen.index, Math.floor(x), y, Math.floor(z))).toBe(0);
    // A player placed there stays put.
    const s = createPlayerState(x, y, z);
    for (let i = 0; i < 30; i++) stepPlayer(w, s, { forward: 0, right: 0, jump: false, yaw: 0 }, 1 / 30);
    expect(s.onGround).toBe(true);
    expect(s.y).toBe(y);
  });

  it("faces the spawn wall 12-20 voxels along -Z: a shot from the eye hits it", () => {
    const [x, y, z] = gen.spawn;
    const wall = gen.destructibles[SPAWN_WALL_DID - 1];
    expect(wall.kind).toBe("wall");
    expect(wall.material).toBe(Material.Brick);
    const hit = new RayHit();
    expect(raycastVoxels(gen.world, x, y + 1.6, z, 0, 0, -1, 64, hit)).toBe(true);
    expect(destructibleAt(gen.index, hit.x, hit.y, hit.z)).toBe(SPAWN_WALL_DID);
    expect(hit.distance).toBeGreaterThanOrEqual(12);
    expect(hit.distance).toBeLessThanOrEqual(20);
    expect(hit.nz).toBe(1);
  });

  it("has a tower within 40 voxels of spawn", () => {
    const [x, , z] = gen.spawn;
    const tower = gen.destructibles[SPAWN_TOWER_DID - 1];
    expect(tower.kind).toBe("tower");
    const cx = (tower.min[0] + tower.max[0] + 1) / 2;
    const cz = (tower.min[2] + tower.max[2] + 1) / 2;
    expect(Math.hypot(cx - x, cz - z)).toBeLessThan(45);
    expect(tower.max[1] - gen.spawn[1]).toBeGreaterThan(15);
  });
});
