// The mesher's material-only modes (MeshMode.ShaderAo for the fragment-shader AO renderer,
// MeshMode.Plain for the server): exact coverage against the brute-force reference, and
// maximal merging in the greedy order (no quad could have grown, no two quads could merge).
// Both meshers: greedy.ts (the reference) and its WebAssembly build (wasm-greedy.ts).
import { describe, expect, it } from "vitest";
import { PADDED_VOLUME, paddedIndex } from "../../../src/shared/voxel/constants.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { World } from "../../../src/shared/voxel/world.ts";
import { FACE_AXES, Face, MeshMode, QUAD_WORDS, unpackQuad } from "../../../src/shared/mesh/quad.ts";
import type { MeshModeId, Quad } from "../../../src/shared/mesh/quad.ts";
import { createMeshOutput, meshChunk } from "../../../src/shared/mesh/greedy.ts";
import type { MeshResult } from "../../../src/shared/mesh/greedy.ts";
import { culledQuadCount } from "../../../src/shared/mesh/culled.ts";
import { loadWasmMesher } from "../../../src/server/mesh/wasm-mesher.ts";
import { Coverage, N, firstDifference, getter, padded, quadsOf, randomChunk, reference, structuredChunks, world64 } from "./reference.ts";
import type { VoxelFn } from "./reference.ts";

const MATERIAL_MODES: [string, MeshModeId][] = [["ShaderAo", MeshMode.ShaderAo], ["Plain", MeshMode.Plain]];

/** A mesher under test: padded chunk and mode in, a result valid until its next call. */
type Mesh = (p: Uint8Array, mode: MeshModeId) => MeshResult;
const wasm = loadWasmMesher();
const MESHERS: [string, Mesh][] = [
  ["greedy.ts", (p, mode) => meshChunk(p, createMeshOutput(), mode)],
  ["wasm", (p, mode) => wasm.mesh(p, mode)],
];

/** Meshes a padded chunk in `mode` and checks exact coverage (AO not compared); returns the result. */
function meshAndCover(p: Uint8Array, mode: MeshModeId, mesh: Mesh = MESHERS[0][1]): MeshResult {
  const result = mesh(p, mode);
  const ref = reference(getter(p), N, N, N);
  const cov = new Coverage(getter(p), ref, N, N, N, false);
  cov.add(result);
  expect(cov.finish()).toEqual([]);
  expect(Object.fromEntries(cov.counts)).toEqual(Object.fromEntries(ref.counts));
  return result;
}

/** The slice (coordinate along the normal axis) and (u, v) of a quad's minimum face. */
function planeCoords(q: Quad): [number, number, number] {
  const [n, u, v] = FACE_AXES[q.face];
  const c = [q.x, q.y, q.z];
  return [c[n], c[u], c[v]];
}

/**
 * Every way the mesh falls short of a maximal greedy merge, per plane, in emission order (the
 * greedy order: rows along V, then U): a quad whose first row could have grown along U into a
 * face not yet taken, a quad whose next row along V was entirely free faces of its material,
 * and two adjacent quads of one material spanning the same rows or columns. Empty = maximal.
 */
function mergeViolations(p: Uint8Array, result: MeshResult): string[] {
  const out: string[] = [];
  const quads = quadsOf(result);
  // owner[(face * N + slice) * N * N + v * N + u] = index of the quad covering that face.
  const owner = new Int32Array(6 * N * N * N).fill(-1);
  const cell = (face: number, d: number, u: number, v: number): number => (face * N + d) * N * N + v * N + u;
  quads.forEach((q, k) => {
    const [d, u0, v0] = planeCoords(q);
    for (let b = 0; b < q.h; b++) for (let a = 0; a < q.w; a++) owner[cell(q.face, d, u0 + a, v0 + b)] = k;
  });
  const material = (face: number, d: number, u: number, v: number): number => {
    const [n, ua, va] = FACE_AXES[face];
    const c = [0, 0, 0];
    c[n] = d;
    c[ua] = u;
    c[va] = v;
    return p[paddedIndex(c[0], c[1], c[2])];
  };
  /** True when face (u, v) was still free when quad k was made and has quad k's material. */
  const free = (q: Quad, k: number, d: number, u: number, v: number): boolean =>
    u < N && v < N && owner[cell(q.face, d, u, v)] > k && material(q.face, d, u, v) === q.material;
  quads.forEach((q, k) => {
    const [d, u0, v0] = planeCoords(q);
    if (free(q, k, d, u0 + q.w, v0)) out.push(`quad ${k} ${JSON.stringify(q)} could grow along U`);
    let rowFree = v0 + q.h < N;
    for (let a = 0; a < q.w && rowFree; a++) rowFree = free(q, k, d, u0 + a, v0 + q.h);
    if (rowFree) out.push(`quad ${k} ${JSON.stringify(q)} could grow along V`);
    const right = u0 + q.w < N ? owner[cell(q.face, d, u0 + q.w, v0)] : -1;
    const above = v0 + q.h < N ? owner[cell(q.face, d, u0, v0 + q.h)] : -1;
    for (const j of [right, above]) {
      if (j < 0) continue;
      const r = quads[j];
      const [, ru, rv] = planeCoords(r);
      const sameRows = j === right && rv === v0 && r.h === q.h;
      const sameCols = j === above && ru === u0 && r.w === q.w;
      if (r.material === q.material && (sameRows || sameCols)) out.push(`quads ${k} and ${j} could merge`);
    }
  });
  return out;
}

describe.each(MESHERS)("material-only merge, %s: exact coverage", (_, mesh) => {
  for (const [name, mode] of MATERIAL_MODES) {
    it(`${name}: random chunks, every density and 1 or 3 materials`, () => {
      for (const density of [0.05, 0.3, 0.5, 0.7, 0.95]) {
        for (const materials of [1, 3]) meshAndCover(randomChunk(2000 + density * 100 + materials, density, materials), mode, mesh);
      }
    });

    it(`${name}: structured chunks`, () => {
      for (const [, p] of structuredChunks()) meshAndCover(p, mode, mesh);
    });

    it(`${name}: a 2x2x2 world meshes to exactly its exposed faces, across every border`, () => {
      const world = new World({ chunksX: 2, chunksY: 2, chunksZ: 2 });
      const rng = new Rng(77);
      for (let y = 0; y < world.maxY; y++) {
        for (let z = 0; z < world.maxZ; z++) {
          for (let x = 0; x < world.maxX; x++) {
            const h = 28 + ((x * 3 + z * 5) % 9);
            if (y < h ? rng.next() > 0.08 : rng.next() < 0.04) world.set(x, y, z, 1 + rng.int(3));
          }
        }
      }
      const get: VoxelFn = (x, y, z) => world.get(x, y, z);
      const ref = reference(get, world.maxX, world.maxY, world.maxZ);
      const cov = new Coverage(get, ref, world.maxX, world.maxY, world.maxZ, false);
      const pad = new Uint8Array(PADDED_VOLUME);
      for (let cy = 0; cy < 2; cy++) {
        for (let cz = 0; cz < 2; cz++) for (let cx = 0; cx < 2; cx++) cov.add(mesh(world.fillPadded(cx, cy, cz, pad), mode), cx * N, cy * N, cz * N);
      }
      expect(cov.finish()).toEqual([]);
      expect(Object.fromEntries(cov.counts)).toEqual(Object.fromEntries(ref.counts));
    });
  }
});

describe("material-only merge: maximal in the greedy order", () => {
  it.each(MESHERS)("%s: random and structured chunks leave nothing to merge", (_, mesh) => {
    const chunks = structuredChunks().map(([, p]) => p);
    for (const density of [0.3, 0.6, 0.9]) for (const materials of [1, 2]) chunks.push(randomChunk(3000 + density * 10 + materials, density, materials));
    for (const p of chunks) expect(mergeViolations(p, meshAndCover(p, MeshMode.ShaderAo, mesh))).toEqual([]);
  });

  it.each(MESHERS)("%s: the chunks around the spawn leave nothing to merge, with 2.7x fewer quads than culled faces", (_, mesh) => {
    let quads = 0;
    let culled = 0;
    for (const p of world64()) {
      const result = mesh(p, MeshMode.ShaderAo);
      expect(mergeViolations(p, result)).toEqual([]);
      quads += result.quadCount;
      culled += culledQuadCount(p);
    }
    console.log(`world64: ${culled} culled faces, ${quads} material-merged quads (${(culled / quads).toFixed(2)}x)`);
    expect(culled / quads).toBeGreaterThanOrEqual(2.7);
  });

  it("the check itself finds a quad that could grow, or two that could merge", () => {
    // A 32 x 32 floor top is one quad; split it in two rows, or two columns, and the check objects.
    const p = padded((x, y, z) => (y === 0 && x >= 0 && x < N && z >= 0 && z < N ? Material.Stone : Material.Air));
    const whole = meshChunk(p, createMeshOutput(), MeshMode.ShaderAo);
    expect(mergeViolations(p, whole)).toEqual([]);
    const top = quadsOf(whole).findIndex((q) => q.face === Face.PosY);
    for (const split of ["rows", "columns"]) {
      const out = createMeshOutput();
      const res = meshChunk(p, out, MeshMode.ShaderAo);
      const quads = res.quads.slice(0, res.quadCount * QUAD_WORDS);
      // Shrink the top quad to half its height (or width) and append the other half after it.
      const words = new Uint32Array(quads.length + QUAD_WORDS);
      words.set(quads);
      const halfShift = split === "rows" ? 23 : 18;
      const o = top * QUAD_WORDS;
      words[o] = (words[o] & ~(31 << halfShift)) | (15 << halfShift);
      const vShift = split === "rows" ? 12 : 0; // +Y: v = z, u = x
      words[quads.length] = words[o] + (16 << vShift);
      words[quads.length + 1] = words[o + 1];
      const faceCounts = Uint32Array.from(res.faceCounts);
      const broken: MeshResult = { quads: words, quadCount: res.quadCount + 1, sideWords: 0, faceCounts };
      expect(unpackQuad(words, res.quadCount)).toMatchObject({ face: Face.PosY, w: split === "rows" ? 32 : 16, h: split === "rows" ? 16 : 32 });
      expect(mergeViolations(p, broken).length, split).toBeGreaterThan(0);
    }
  });
});

describe("material-only merge: what the modes write", () => {
  it("ShaderAo and Plain make the same quads; Plain's word 1 is the material alone", () => {
    for (const p of [randomChunk(12, 0.5, 3), ...structuredChunks().map(([, c]) => c)]) {
      const shader = meshChunk(p, createMeshOutput(), MeshMode.ShaderAo);
      const plain = meshChunk(p, createMeshOutput(), MeshMode.Plain);
      expect(plain.quadCount).toBe(shader.quadCount);
      expect(plain.sideWords).toBe(0);
      expect(Array.from(plain.faceCounts)).toEqual(Array.from(shader.faceCounts));
      const expected = shader.quads.slice(0, shader.quadCount * QUAD_WORDS);
      for (let i = 1; i < expected.length; i += 2) expected[i] &= 255;
      expect(firstDifference(plain.quads.slice(0, plain.quadCount * QUAD_WORDS), expected)).toBe(-1);
    }
  });

  it("a floor beside a wall is one quad, where vertex AO needs an occluded strip apart", () => {
    const p = padded((x, y) => (y < 4 || (x >= 20 && y < 11) ? Material.Dirt : Material.Air));
    const tops = (mode: MeshModeId): number[][] =>
      quadsOf(meshChunk(p, createMeshOutput(), mode)).filter((q) => q.face === Face.PosY && q.y === 3).map((q) => [q.x, q.z, q.w, q.h]);
    expect(tops(MeshMode.ShaderAo)).toEqual([[0, 0, 20, 32]]);
    expect(tops(MeshMode.VertexAo)).toEqual([[0, 0, 19, 32], [19, 0, 1, 32]]);
  });

  it("the total area equals the culled face count on the default world's chunks", () => {
    const out = createMeshOutput();
    for (const p of world64().slice(0, 32)) {
      const result = meshChunk(p, out, MeshMode.Plain);
      expect(quadsOf(result).reduce((s, q) => s + q.w * q.h, 0)).toBe(culledQuadCount(p));
    }
  });
});
