import { describe, expect, it } from "vitest";
import { CHUNK_SIZE } from "../../../src/shared/voxel/constants.ts";
import {
  applyEdits,
  CarveResult,
  carveSphere,
  DirtyChunks,
  EditLog,
  packVoxel,
  unpackVoxel,
} from "../../../src/shared/voxel/carve.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { Material, MATERIAL_COUNT, MATERIALS } from "../../../src/shared/voxel/materials.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { World } from "../../../src/shared/voxel/world.ts";
import { generateWorld } from "../../../src/shared/voxel/worldgen.ts";

/** A 3x2x3-chunk world filled with random materials (including bedrock and air). */
function randomWorld(seed: number): World {
  const w = new World({ chunksX: 3, chunksY: 2, chunksZ: 3 });
  const rng = new Rng(seed);
  for (let id = 0; id < w.chunkCount; id++) {
    const [cx, cy, cz] = w.chunkCoordOf(id, [0, 0, 0]);
    const data = w.chunkData(cx, cy, cz);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(MATERIAL_COUNT);
  }
  return w;
}

function snapshot(w: World): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let id = 0; id < w.chunkCount; id++) {
    const [cx, cy, cz] = w.chunkCoordOf(id, [0, 0, 0]);
    out.push(w.chunkData(cx, cy, cz).slice());
  }
  return out;
}

function key(x: number, y: number, z: number): string {
  return `${x},${y},${z}`;
}

/** Chunks whose padded 34^3 block (World.fillPadded) contains voxel (x, y, z). */
function paddedOwners(w: World, x: number, y: number, z: number, into: Set<number>): void {
  for (let cy = 0; cy < w.size.chunksY; cy++) {
    for (let cz = 0; cz < w.size.chunksZ; cz++) {
      for (let cx = 0; cx < w.size.chunksX; cx++) {
        const inside = (v: number, c: number): boolean => v >= c * CHUNK_SIZE - 1 && v <= c * CHUNK_SIZE + CHUNK_SIZE;
        if (inside(x, cx) && inside(y, cy) && inside(z, cz)) into.add(w.chunkId(cx, cy, cz));
      }
    }
  }
}

function dirtySet(d: DirtyChunks): Set<number> {
  return new Set(Array.from(d.ids.subarray(0, d.count)));
}

describe("carveSphere", () => {
  it("removes exactly the solid voxels within radius * carveFactor, recording old materials", () => {
    const rng = new Rng(42);
    const out = new CarveResult();
    for (let trial = 0; trial < 25; trial++) {
      const w = randomWorld(trial + 1);
      const before = snapshot(w);
      const beforeWorld = new World(w.size);
      for (let id = 0; id < w.chunkCount; id++) {
        const [cx, cy, cz] = w.chunkCoordOf(id, [0, 0, 0]);
        beforeWorld.chunkData(cx, cy, cz).set(before[id]);
      }
      // Centres near chunk borders and world edges, so clipping and borders are exercised.
      const cx = rng.next() * w.maxX;
      const cy = rng.next() * w.maxY;
      const cz = rng.next() * w.maxZ;
      const r = 0.5 + rng.next() * 6;
      const n = carveSphere(w, cx, cy, cz, r, out);

      // Brute force over the sphere's bounding box grown by 2 (nothing outside can be in it).
      const expected = new Map<string, number>();
      for (let y = Math.floor(cy - r) - 2; y <= cy + r + 2; y++) {
        for (let z = Math.floor(cz - r) - 2; z <= cz + r + 2; z++) {
          for (let x = Math.floor(cx - r) - 2; x <= cx + r + 2; x++) {
            if (x < 0 || y < 0 || z < 0 || x >= w.maxX || y >= w.maxY || z >= w.maxZ) continue;
            const m = beforeWorld.get(x, y, z);
            const f = MATERIALS[m].carveFactor;
            const d2 = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 + (z + 0.5 - cz) ** 2;
            if (m !== Material.Air && d2 <= (r * f) ** 2) expected.set(key(x, y, z), m);
          }
        }
      }
      expect(n).toBe(expected.size);
      expect(out.count).toBe(expected.size);
      const seen = new Set<string>();
      for (let i = 0; i < out.count; i++) {
        const x = out.xyz[i * 3];
        const y = out.xyz[i * 3 + 1];
        const z = out.xyz[i * 3 + 2];
        expect(expected.get(key(x, y, z))).toBe(out.oldMaterial[i]);
        seen.add(key(x, y, z));
        beforeWorld.set(x, y, z, Material.Air);
      }
      expect(seen.size).toBe(expected.size);
      // With the expected voxels cleared, the old copy must now equal the carved world exactly.
      const after = snapshot(w);
      const want = snapshot(beforeWorld);
      for (let id = 0; id < after.length; id++) expect(Buffer.compare(after[id], want[id])).toBe(0);
    }
  });

  it("never removes bedrock, and carves tougher materials less", () => {
    const w = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
    for (let y = 0; y < 32; y++) for (let z = 0; z < 32; z++) for (let x = 0; x < 32; x++) w.set(x, y, z, x < 16 ? Material.Bedrock : Material.Metal);
    const out = new CarveResult();
    carveSphere(w, 16, 16, 16, 10, out);
    let metal = 0;
    for (let i = 0; i < out.count; i++) {
      expect(out.oldMaterial[i]).toBe(Material.Metal);
      const dx = out.xyz[i * 3] + 0.5 - 16;
      const dy = out.xyz[i * 3 + 1] + 0.5 - 16;
      const dz = out.xyz[i * 3 + 2] + 0.5 - 16;
      expect(Math.hypot(dx, dy, dz)).toBeLessThanOrEqual(10 * MATERIALS[Material.Metal].carveFactor);
      metal++;
    }
    expect(metal).toBeGreaterThan(100);
    for (let y = 0; y < 32; y++) for (let z = 0; z < 32; z++) for (let x = 0; x < 16; x++) expect(w.get(x, y, z)).toBe(Material.Bedrock);
  });

  it("dirties exactly the chunks whose padded data contains a changed voxel", () => {
    const rng = new Rng(7);
    const out = new CarveResult();
    for (let trial = 0; trial < 40; trial++) {
      const w = randomWorld(100 + trial);
      const versions = Array.from({ length: w.chunkCount }, (_, id) => {
        const [cx, cy, cz] = w.chunkCoordOf(id, [0, 0, 0]);
        return w.chunkVersion(cx, cy, cz);
      });
      // Small craters land near borders often enough to matter.
      carveSphere(w, rng.next() * w.maxX, rng.next() * w.maxY, rng.next() * w.maxZ, 0.6 + rng.next() * 2, out);
      const want = new Set<number>();
      for (let i = 0; i < out.count; i++) paddedOwners(w, out.xyz[i * 3], out.xyz[i * 3 + 1], out.xyz[i * 3 + 2], want);
      expect(dirtySet(out.dirty)).toEqual(want);
      for (let id = 0; id < w.chunkCount; id++) {
        const [cx, cy, cz] = w.chunkCoordOf(id, [0, 0, 0]);
        expect(w.chunkVersion(cx, cy, cz) > versions[id]).toBe(want.has(id));
      }
    }
  });

  it("dirties a face neighbour for a border voxel, and only the owner for an interior one", () => {
    const w = new World({ chunksX: 3, chunksY: 3, chunksZ: 3 });
    for (let y = 0; y < w.maxY; y++) for (let z = 0; z < w.maxZ; z++) for (let x = 0; x < w.maxX; x++) w.set(x, y, z, Material.Dirt);
    const out = new CarveResult();
    // Voxel (48, 48, 48) is inside chunk (1,1,1); a tiny radius carves only it.
    expect(carveSphere(w, 48.5, 48.5, 48.5, 0.1, out)).toBe(1);
    expect(dirtySet(out.dirty)).toEqual(new Set([w.chunkId(1, 1, 1)]));
    // Voxel (63, 48, 48) is on chunk (1,1,1)'s +X face.
    expect(carveSphere(w, 63.5, 48.5, 48.5, 0.1, out)).toBe(1);
    expect(dirtySet(out.dirty)).toEqual(new Set([w.chunkId(1, 1, 1), w.chunkId(2, 1, 1)]));
    // Voxel (32, 32, 48) is on an edge: -X and -Y faces.
    expect(carveSphere(w, 32.5, 32.5, 48.5, 0.1, out)).toBe(1);
    expect(dirtySet(out.dirty)).toEqual(
      new Set([w.chunkId(1, 1, 1), w.chunkId(0, 1, 1), w.chunkId(1, 0, 1), w.chunkId(0, 0, 1)]),
    );
    // Carving air changes nothing and dirties nothing.
    expect(carveSphere(w, 48.5, 48.5, 48.5, 0.1, out)).toBe(0);
    expect(out.dirty.count).toBe(0);
  });

  it("grows its buffers for a big crater and ignores non-finite input", () => {
    const w = new World({ chunksX: 2, chunksY: 2, chunksZ: 2 });
    for (let y = 0; y < w.maxY; y++) for (let z = 0; z < w.maxZ; z++) for (let x = 0; x < w.maxX; x++) w.set(x, y, z, Material.Dirt);
    const out = new CarveResult();
    const n = carveSphere(w, 32, 32, 32, 12, out);
    expect(n).toBeGreaterThan(7000);
    expect(out.count).toBe(n);
    expect(carveSphere(w, NaN, 1, 1, 3, out)).toBe(0);
    expect(carveSphere(w, 1, 1, 1, Infinity, out)).toBe(0);
  });
});

describe("edits and checksum", () => {
  it("packs and unpacks voxel positions", () => {
    const w = new World({ chunksX: 16, chunksY: 4, chunksZ: 16 });
    const rng = new Rng(3);
    const c: [number, number, number] = [0, 0, 0];
    for (let i = 0; i < 1000; i++) {
      const x = rng.int(w.maxX);
      const y = rng.int(w.maxY);
      const z = rng.int(w.maxZ);
      expect(unpackVoxel(w, packVoxel(w, x, y, z), c)).toEqual([x, y, z]);
    }
  });

  it("replaying a carve log on a fresh world reaches the same checksum and dirty chunks", () => {
    const config = { seed: 99, chunksX: 4, chunksY: 2, chunksZ: 4 };
    const server = generateWorld(config).world;
    const joiner = generateWorld(config).world;
    const fresh = worldChecksum(server);
    expect(worldChecksum(joiner)).toBe(fresh);
    const log = new EditLog();
    const out = new CarveResult();
    const allDirty = new Set<number>();
    const rng = new Rng(11);
    for (let i = 0; i < 60; i++) {
      carveSphere(server, rng.next() * server.maxX, 10 + rng.next() * 40, rng.next() * server.maxZ, 1 + rng.next() * 4, out);
      log.pushCarve(server, out);
      for (const id of dirtySet(out.dirty)) allDirty.add(id);
    }
    expect(log.count).toBeGreaterThan(1024); // the log grew past its first buffer
    expect(worldChecksum(server)).not.toBe(fresh);
    const dirty = new DirtyChunks();
    const changed = applyEdits(joiner, log, dirty);
    expect(changed).toBe(log.count);
    expect(worldChecksum(joiner)).toBe(worldChecksum(server));
    expect(dirtySet(dirty)).toEqual(allDirty);
    // Replaying again is a no-op.
    expect(applyEdits(joiner, log, dirty)).toBe(0);
    expect(dirty.count).toBe(0);
  });

  it("applies later edits over earlier ones and skips positions outside the world", () => {
    const w = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
    const log = new EditLog();
    log.push(packVoxel(w, 1, 2, 3), Material.Brick);
    log.push(packVoxel(w, 1, 2, 3), Material.Glass);
    log.push(32 * 32 * 32 + 5, Material.Brick);
    expect(applyEdits(w, log)).toBe(2);
    expect(w.get(1, 2, 3)).toBe(Material.Glass);
  });

  it("checksum changes with any single voxel and with voxel order", () => {
    const w = randomWorld(5);
    const base = worldChecksum(w);
    expect(worldChecksum(w)).toBe(base);
    const old = w.get(40, 33, 70);
    w.set(40, 33, 70, (old + 1) % MATERIAL_COUNT);
    expect(worldChecksum(w)).not.toBe(base);
    w.set(40, 33, 70, old);
    expect(worldChecksum(w)).toBe(base);
    // Swap two different voxels in different chunks: same multiset, different world.
    const a = w.get(1, 1, 1);
    let bx = 70;
    while (w.get(bx, 40, 90) === a) bx++;
    const b = w.get(bx, 40, 90);
    w.set(1, 1, 1, b);
    w.set(bx, 40, 90, a);
    expect(worldChecksum(w)).not.toBe(base);
    // Swapping two whole chunks keeps every sum-like statistic but must change the hash.
    const restored = randomWorld(5);
    const c0 = restored.chunkData(0, 0, 0);
    const c1 = restored.chunkData(1, 0, 0);
    const tmp = c0.slice();
    c0.set(c1);
    c1.set(tmp);
    expect(worldChecksum(restored)).not.toBe(base);
  });
});
