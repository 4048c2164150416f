// The greedy mesher against a brute-force reference: every exposed voxel face covered exactly
// once, with the right material and AO, and nothing else; chunk borders through World; carving.
import { describe, expect, it } from "vitest";
import { PADDED_VOLUME, paddedIndex } from "../../../src/shared/voxel/constants.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { World } from "../../../src/shared/voxel/world.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { Face, packQuad, unpackQuad } from "../../../src/shared/mesh/quad.ts";
import type { Quad } from "../../../src/shared/mesh/quad.ts";
import { copyQuads, createMeshOutput, meshChunk } from "../../../src/shared/mesh/greedy.ts";
import type { MeshResult } from "../../../src/shared/mesh/greedy.ts";
import { culledQuadCount, naiveQuadCount } from "../../../src/shared/mesh/culled.ts";
import { Coverage, N, firstDifference, getter, padded, quadsOf, randomChunk, reference, totalArea } from "./reference.ts";
import type { Reference, VoxelFn } from "./reference.ts";

/** Meshes a padded chunk and checks it against the reference; returns the result for more checks. */
function meshAndCheck(p: Uint8Array): { result: MeshResult; ref: Reference } {
  const result = meshChunk(p, createMeshOutput());
  const ref = reference(getter(p), N, N, N);
  const cov = new Coverage(getter(p), ref, N, N, N);
  cov.add(result);
  expect(cov.finish()).toEqual([]);
  // (a) area per material and direction equals the exposed-face count.
  expect(Object.fromEntries(cov.counts)).toEqual(Object.fromEntries(ref.counts));
  expect(totalArea(result)).toBe(ref.total);
  expect(culledQuadCount(p)).toBe(ref.total);
  expect(result.quadCount).toBeLessThanOrEqual(ref.total);
  return { result, ref };
}

describe("packed quad format", () => {
  it("round-trips every field at its extremes and at random", () => {
    const rng = new Rng(7);
    const cases: Quad[] = [
      { x: 0, y: 0, z: 0, w: 1, h: 1, face: 0, material: 0, ao: 0 },
      { x: 31, y: 31, z: 31, w: 32, h: 32, face: 5, material: 255, ao: 255 },
    ];
    for (let i = 0; i < 500; i++) {
      cases.push({
        x: rng.int(32), y: rng.int(32), z: rng.int(32), w: 1 + rng.int(32), h: 1 + rng.int(32),
        face: rng.int(6), material: rng.int(256), ao: rng.int(256),
      });
    }
    const words = new Uint32Array(cases.length * 2);
    cases.forEach((q, i) => packQuad(words, i * 2, q.x, q.y, q.z, q.w, q.h, q.face, q.material, q.ao));
    cases.forEach((q, i) => expect(unpackQuad(words, i)).toEqual(q));
  });
});

describe("greedy mesher: random chunks", () => {
  for (const density of [0.05, 0.3, 0.5, 0.7, 0.95]) {
    for (const materials of [1, 3]) {
      it(`density ${density}, ${materials} material(s)`, () => {
        meshAndCheck(randomChunk(1000 + density * 100 + materials, density, materials));
      });
    }
  }

  it("overlapping spheres (curved surfaces, varied AO) still merge", () => {
    const rng = new Rng(42);
    const blobs = Array.from({ length: 12 }, () => [rng.range(-4, 36), rng.range(-4, 36), rng.range(-4, 36), rng.range(3, 10), 1 + rng.int(3)]);
    const p = padded((x, y, z) => {
      for (const [bx, by, bz, r, m] of blobs) if ((x - bx) ** 2 + (y - by) ** 2 + (z - bz) ** 2 <= r * r) return m;
      return y < 6 ? Material.Stone : Material.Air;
    });
    const { result, ref } = meshAndCheck(p);
    // Curved surfaces merge poorly (AO changes along every rim); measured about 1.5x.
    expect(result.quadCount * 1.25).toBeLessThan(ref.total);
  });
});

describe("greedy mesher: structured chunks", () => {
  it("empty chunk has no quads", () => {
    expect(meshChunk(padded(() => Material.Air)).quadCount).toBe(0);
  });

  it("full solid chunk in air is six 32x32 open quads", () => {
    const p = padded((x, y, z) => (Math.min(x, y, z) >= 0 && Math.max(x, y, z) < N ? Material.Stone : Material.Air));
    const { result } = meshAndCheck(p);
    const quads = quadsOf(result);
    expect(quads.map((q) => q.face)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const q of quads) expect([q.w, q.h, q.material, q.ao]).toEqual([32, 32, Material.Stone, 0xff]);
  });

  it("full solid chunk among solid neighbours has no quads", () => {
    expect(meshChunk(padded(() => Material.Stone)).quadCount).toBe(0);
  });

  it("single voxel is six open 1x1 quads at its position", () => {
    const p = padded((x, y, z) => (x === 5 && y === 30 && z === 0 ? Material.Metal : Material.Air));
    const { result } = meshAndCheck(p);
    expect(quadsOf(result)).toEqual(
      [0, 1, 2, 3, 4, 5].map((face) => ({ x: 5, y: 30, z: 0, w: 1, h: 1, face, material: Material.Metal, ao: 0xff })),
    );
  });

  it("3D checkerboard cannot merge and fully occludes every corner (and grows the output)", () => {
    const p = padded((x, y, z) => ((x + y + z) & 1 ? Material.Brick : Material.Air));
    const out = createMeshOutput(16);
    const result = meshChunk(p, out);
    expect(result.quadCount).toBe(6 * (N * N * N) / 2);
    meshAndCheck(p);
    expect(quadsOf(result).filter((q) => q.w !== 1 || q.h !== 1 || q.ao !== 0)).toEqual([]);
  });

  it("staircase: one strip quad per step top and per step riser", () => {
    const p = padded((x, y) => (y <= x ? Material.Stone : Material.Air));
    const { result } = meshAndCheck(p);
    const quads = quadsOf(result);
    expect(result.quadCount).toBe(64);
    expect(result.faceCounts[Face.PosY]).toBe(32);
    expect(result.faceCounts[Face.NegX]).toBe(32);
    for (const q of quads) expect(q.w * q.h).toBe(32);
  });

  it("hollow box: six whole outer faces, occluded inner edges", () => {
    const inBox = (c: number, lo: number, hi: number): boolean => c >= lo && c <= hi;
    const p = padded((x, y, z) => {
      const outer = inBox(x, 4, 27) && inBox(y, 4, 27) && inBox(z, 4, 27);
      const inner = inBox(x, 5, 26) && inBox(y, 5, 26) && inBox(z, 5, 26);
      return outer && !inner ? Material.Wood : Material.Air;
    });
    const { result } = meshAndCheck(p);
    const big = quadsOf(result).filter((q) => q.w === 24 && q.h === 24);
    expect(big.map((q) => q.face)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const q of big) expect(q.ao).toBe(0xff);
    // Inside, faces along the cavity's edges see the perpendicular wall: some corners occluded.
    expect(quadsOf(result).some((q) => q.ao !== 0xff)).toBe(true);
  });

  it("multiple materials merge only within a material", () => {
    const p = padded((x, y, z) => (y < 16 ? 1 + (((x >> 2) + (z >> 3) + 10) % 5) : Material.Air));
    const { result } = meshAndCheck(p);
    expect(result.quadCount).toBe(32);
    for (const q of quadsOf(result)) expect([q.face, q.w, q.h, q.ao]).toEqual([Face.PosY, 4, 8, 0xff]);
  });

  it("AO splits a floor next to a wall into an occluded strip and an open rest", () => {
    // Floor y = 0..3 everywhere, a wall x >= 20 up to y = 10: the floor row x = 19 is darkened.
    const p = padded((x, y) => (y < 4 || (x >= 20 && y < 11) ? Material.Dirt : Material.Air));
    const { result } = meshAndCheck(p);
    const tops = quadsOf(result).filter((q) => q.face === Face.PosY && q.y === 3);
    expect(tops.map((q) => [q.x, q.w, q.h, q.ao])).toEqual([
      [0, 19, 32, 0xff],
      [19, 1, 32, (3 << 0) | (1 << 2) | (1 << 4) | (3 << 6)], // u1 corners: wall side + wall corner
    ]);
  });
});

describe("greedy mesher: output buffer", () => {
  it("reuses its output, survives a transferred buffer, and copies exact-size", () => {
    const p = randomChunk(5, 0.4, 2);
    const out = createMeshOutput(8);
    const first = copyQuads(meshChunk(p, out));
    expect(first.length).toBe(out.quadCount * 2);
    const grown = out.quads;
    meshChunk(p, out);
    expect(out.quads).toBe(grown); // no growth on the second call: the buffer is reused
    expect(firstDifference(copyQuads(out), first)).toBe(-1);
    structuredClone(out.quads.buffer, { transfer: [out.quads.buffer] }); // detach, as Comlink.transfer does
    expect(out.quads.length).toBe(0);
    expect(firstDifference(copyQuads(meshChunk(p, out)), first)).toBe(-1);
  });

  it("reads inputs at any byte offset and after the previous input was transferred", () => {
    const p = randomChunk(6, 0.5, 3);
    const expected = copyQuads(meshChunk(p, createMeshOutput()));
    const big = new Uint8Array(PADDED_VOLUME + 3);
    big.set(p, 3); // unaligned view, as a slice of a larger pool buffer could be
    expect(firstDifference(copyQuads(meshChunk(big.subarray(3), createMeshOutput())), expected)).toBe(-1);
    structuredClone(big.buffer, { transfer: [big.buffer] });
    expect(firstDifference(copyQuads(meshChunk(p.slice(), createMeshOutput())), expected)).toBe(-1);
  });

  it("rejects an undersized input", () => {
    expect(() => meshChunk(new Uint8Array(32 * 32 * 32))).toThrow(RangeError);
  });
});

describe("greedy mesher: chunk borders through World", () => {
  function meshWorld(world: World): Coverage {
    const get: VoxelFn = (x, y, z) => world.get(x, y, z);
    const ref = reference(get, world.maxX, world.maxY, world.maxZ);
    const cov = new Coverage(get, ref, world.maxX, world.maxY, world.maxZ);
    const pad = new Uint8Array(PADDED_VOLUME);
    const out = createMeshOutput();
    const { chunksX, chunksY, chunksZ } = world.size;
    for (let cy = 0; cy < chunksY; cy++) {
      for (let cz = 0; cz < chunksZ; cz++) {
        for (let cx = 0; cx < chunksX; cx++) {
          cov.add(meshChunk(world.fillPadded(cx, cy, cz, pad), out), cx * N, cy * N, cz * N);
        }
      }
    }
    expect(cov.finish()).toEqual([]);
    expect(Object.fromEntries(cov.counts)).toEqual(Object.fromEntries(ref.counts));
    return cov;
  }

  it("a 2x2x2 world meshes to exactly its exposed faces, across every border", () => {
    const world = new World({ chunksX: 2, chunksY: 2, chunksZ: 2 });
    const rng = new Rng(99);
    for (let y = 0; y < world.maxY; y++) {
      for (let z = 0; z < world.maxZ; z++) {
        for (let x = 0; x < world.maxX; x++) {
          // Terrain around the chunk border y = 32, with random holes and pillars crossing x/z borders.
          const h = 28 + ((x * 3 + z * 5) % 9);
          const solid = y < h ? rng.next() > 0.08 : rng.next() < 0.04;
          if (solid) world.set(x, y, z, 1 + rng.int(3));
        }
      }
    }
    meshWorld(world);
  });

  it("faces between solid neighbours are hidden; carving the neighbour exposes them", () => {
    const world = new World({ chunksX: 2, chunksY: 1, chunksZ: 1 });
    for (let y = 0; y < 8; y++) for (let z = 0; z < N; z++) for (let x = 0; x < 2 * N; x++) world.set(x, y, z, Material.Stone);
    const pad = new Uint8Array(PADDED_VOLUME);
    const left = meshChunk(world.fillPadded(0, 0, 0, pad), createMeshOutput());
    const right = meshChunk(world.fillPadded(1, 0, 0, pad), createMeshOutput());
    expect(left.faceCounts[Face.PosX]).toBe(0); // solid neighbour chunk
    expect(left.faceCounts[Face.NegX]).toBeGreaterThan(0); // world edge: air
    expect(right.faceCounts[Face.NegX]).toBe(0);
    expect(right.faceCounts[Face.NegY] + left.faceCounts[Face.NegY]).toBe(0); // bedrock below the world

    world.set(N, 3, 5, Material.Air); // right chunk's local x = 0
    const after = quadsOf(meshChunk(world.fillPadded(0, 0, 0, pad), createMeshOutput()));
    expect(after.filter((q) => q.face === Face.PosX)).toEqual([
      { x: 31, y: 3, z: 5, w: 1, h: 1, face: Face.PosX, material: Material.Stone, ao: 0 },
    ]);
    meshWorld(world);
  });
});

describe("greedy mesher: carving", () => {
  const ground = (): Uint8Array => padded((x, y) => (y < 20 ? Material.Stone : Material.Air));

  it("carving a buried voxel adds six inward, fully occluded faces and nothing else", () => {
    const p = ground();
    const before = meshAndCheck(p);
    p[paddedIndex(10, 10, 10)] = Material.Air;
    const after = meshAndCheck(p);
    expect(after.ref.total - before.ref.total).toBe(6);
    expect(totalArea(after.result) - totalArea(before.result)).toBe(6);
    expect(after.result.quadCount - before.result.quadCount).toBe(6);
    const inward = [
      [11, 10, 10, Face.NegX], [9, 10, 10, Face.PosX], [10, 11, 10, Face.NegY],
      [10, 9, 10, Face.PosY], [10, 10, 11, Face.NegZ], [10, 10, 9, Face.PosZ],
    ];
    const quads = quadsOf(after.result);
    for (const [x, y, z, face] of inward) {
      expect(quads).toContainEqual({ x, y, z, w: 1, h: 1, face, material: Material.Stone, ao: 0 });
    }
  });

  it("carving a surface voxel opens a pit: floor and four walls replace one top face", () => {
    const p = ground();
    const before = meshAndCheck(p);
    p[paddedIndex(10, 19, 10)] = Material.Air;
    const after = meshAndCheck(p);
    expect(after.ref.total - before.ref.total).toBe(4);
    expect(totalArea(after.result) - totalArea(before.result)).toBe(4);
  });

  it("random carves keep the area delta equal to the reference delta", () => {
    const rng = new Rng(3);
    const p = randomChunk(11, 0.8, 2);
    let prev = meshAndCheck(p);
    for (let i = 0; i < 12; i++) {
      const x = rng.int(N);
      const y = rng.int(N);
      const z = rng.int(N);
      p[paddedIndex(x, y, z)] = Material.Air;
      const next = meshAndCheck(p);
      expect(totalArea(next.result) - totalArea(prev.result)).toBe(next.ref.total - prev.ref.total);
      prev = next;
    }
  });
});

describe("reference counts", () => {
  it("naive and culled counts match brute force", () => {
    const p = randomChunk(8, 0.5, 3);
    let solid = 0;
    for (let y = 0; y < N; y++) for (let z = 0; z < N; z++) for (let x = 0; x < N; x++) if (p[paddedIndex(x, y, z)] !== 0) solid++;
    expect(naiveQuadCount(p)).toBe(solid * 6);
    expect(culledQuadCount(p)).toBe(reference(getter(p), N, N, N).total);
  });
});
