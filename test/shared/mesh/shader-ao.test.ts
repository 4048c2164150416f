// The fragment shader's AO (`?ao=shader`), through its CPU port shader-ao.ts: from a
// MeshMode.ShaderAo mesh's front rings it must give every face the very corner values the
// vertex-AO mesher bakes per face (and the brute-force reference), for every exposed face
// corner of random, structured and real chunks, chunk borders included.
import { describe, expect, it } from "vitest";
import { PADDED_VOLUME } from "../../../src/shared/voxel/constants.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { World } from "../../../src/shared/voxel/world.ts";
import { FACE_AXES, MeshMode, QUAD_WORDS, RING_SPILL, ringIndex, ringLength, unpackQuad } from "../../../src/shared/mesh/quad.ts";
import { copyQuads, createMeshOutput, meshChunk, meshWords } from "../../../src/shared/mesh/greedy.ts";
import { shaderFaceAo } from "../../../src/shared/mesh/shader-ao.ts";
import { N, getter, randomChunk, reference, referenceAo, structuredChunks, world64 } from "./reference.ts";
import type { VoxelFn } from "./reference.ts";

/** Per exposed face of a chunk: [face * N^3 + x + N * (z + N * y)] = AO byte, or -1. */
type FaceAo = Int16Array;

/** Per-face AO as the VertexAo mesh bakes it (each face takes its quad's AO byte). */
function vertexFaceAo(p: Uint8Array): FaceAo {
  const out = new Int16Array(6 * N * N * N).fill(-1);
  const result = meshChunk(p, createMeshOutput(), MeshMode.VertexAo);
  forEachFace(result.quads, result.quadCount, (_, __, ___, index, q) => (out[index] = q.ao));
  return out;
}

/** Per-face AO as the fragment shader computes it from the ShaderAo mesh's rings. Also returns the spilled-ring count. */
function shaderFaceAoMap(p: Uint8Array): { ao: FaceAo; spilled: number } {
  const out = new Int16Array(6 * N * N * N).fill(-1);
  const result = meshChunk(p, createMeshOutput(), MeshMode.ShaderAo);
  const words = copyQuads(result);
  expect(words.length).toBe(meshWords(result));
  let spilled = 0;
  for (let i = 0; i < result.quadCount; i++) {
    const data = words[i * QUAD_WORDS + 1];
    if ((data & RING_SPILL) === 0) continue;
    spilled++;
    // A spilled ring lies after every quad and inside the mesh words.
    const start = i * QUAD_WORDS + ((data >>> 8) & 0x7fffff);
    const q = unpackQuad(words, i);
    expect(start).toBeGreaterThanOrEqual(result.quadCount * QUAD_WORDS);
    expect(start + Math.ceil(ringLength(q.w, q.h) / 32)).toBeLessThanOrEqual(words.length);
  }
  forEachFace(words, result.quadCount, (quad, i, j, index) => (out[index] = shaderFaceAo(words, quad, i, j)));
  return { ao: out, spilled };
}

/** Calls `fn` for every face (i along U, j along V) of every quad, with the face's index in a FaceAo map. */
function forEachFace(words: Uint32Array, count: number, fn: (quad: number, i: number, j: number, index: number, q: ReturnType<typeof unpackQuad>) => void): void {
  for (let k = 0; k < count; k++) {
    const q = unpackQuad(words, k);
    const [, u, v] = FACE_AXES[q.face];
    for (let j = 0; j < q.h; j++) {
      for (let i = 0; i < q.w; i++) {
        const c = [q.x, q.y, q.z];
        c[u] += i;
        c[v] += j;
        fn(k, i, j, q.face * N * N * N + c[0] + N * (c[2] + N * c[1]), q);
      }
    }
  }
}

/** Differences between two FaceAo maps (at most 10 listed) and the number of faces compared. */
function compare(expected: FaceAo, actual: FaceAo, what: string): { errors: string[]; faces: number } {
  const errors: string[] = [];
  let faces = 0;
  for (let k = 0; k < expected.length; k++) {
    if (expected[k] >= 0) faces++;
    if (expected[k] === actual[k] || errors.length >= 10) continue;
    const face = Math.floor(k / (N * N * N));
    const r = k % (N * N * N);
    errors.push(`${what}: face ${face} of ${r % N},${Math.floor(r / (N * N))},${Math.floor(r / N) % N}: expected ${expected[k].toString(4)}, got ${actual[k].toString(4)}`);
  }
  return { errors, faces };
}

/** Checks shader AO = vertex-mesher AO = brute force on every exposed face; returns faces and spilled rings seen. */
function checkChunk(p: Uint8Array): { faces: number; spilled: number } {
  const vertex = vertexFaceAo(p);
  const shader = shaderFaceAoMap(p);
  const ref = reference(getter(p), N, N, N);
  const brute = new Int16Array(vertex.length).fill(-1);
  for (let face = 0; face < 6; face++) {
    ref.ao[face].forEach((ao, k) => {
      if (ao >= 0) brute[face * N * N * N + k] = ao;
    });
  }
  const a = compare(vertex, shader.ao, "shader vs vertex mesher");
  const b = compare(brute, vertex, "vertex mesher vs brute force");
  expect([...a.errors, ...b.errors]).toEqual([]);
  return { faces: a.faces, spilled: shader.spilled };
}

describe("shader AO (CPU port) against the mesher's per-face AO", () => {
  it("random chunks: every density, 1 or 3 materials", () => {
    for (const density of [0.05, 0.3, 0.5, 0.7, 0.95]) {
      for (const materials of [1, 3]) checkChunk(randomChunk(4000 + density * 100 + materials, density, materials));
    }
  });

  it("structured chunks: spheres, staircase, hollow box, stripes, floor and wall, checkerboard, full", () => {
    let spilled = 0;
    for (const [name, p] of structuredChunks()) {
      const r = checkChunk(p);
      expect(r.faces, name).toBeGreaterThan(0);
      spilled += r.spilled;
    }
    // Big quads' rings do not fit in word 1 and spill after the quads: that path is checked too.
    expect(spilled).toBeGreaterThan(0);
  });

  it("the 64 chunks around the default world's spawn", () => {
    let faces = 0;
    let spilled = 0;
    for (const p of world64()) {
      const r = checkChunk(p);
      faces += r.faces;
      spilled += r.spilled;
    }
    console.log(`world64: shader AO equal on all ${faces} exposed faces (4 corners each); ${spilled} rings spilled`);
    expect(faces).toBeGreaterThan(50_000);
    expect(spilled).toBeGreaterThan(0);
  });

  it("chunk borders: rings read the neighbours' padding on every side", () => {
    const world = new World({ chunksX: 2, chunksY: 2, chunksZ: 2 });
    const rng = new Rng(5);
    for (let y = 0; y < world.maxY; y++) {
      for (let z = 0; z < world.maxZ; z++) {
        for (let x = 0; x < world.maxX; x++) if (rng.next() < (y < 30 ? 0.6 : 0.15)) world.set(x, y, z, 1 + rng.int(2));
      }
    }
    const pad = new Uint8Array(PADDED_VOLUME);
    for (let cy = 0; cy < 2; cy++) for (let cz = 0; cz < 2; cz++) for (let cx = 0; cx < 2; cx++) checkChunk(world.fillPadded(cx, cy, cz, pad).slice());
  });
});

describe("front ring layout (quad.ts)", () => {
  it("ringIndex numbers the 2 (w + h) + 4 cells around a footprint once each", () => {
    for (const [w, h] of [[1, 1], [3, 2], [1, 9], [32, 32]]) {
      const seen = new Set<number>();
      for (let v = -1; v <= h; v++) {
        for (let u = -1; u <= w; u++) if (u < 0 || u >= w || v < 0 || v >= h) seen.add(ringIndex(u, v, w, h));
      }
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: ringLength(w, h) }, (_, k) => k));
    }
  });

  it("a lone voxel's six faces have open rings; a voxel in a pit sees its walls", () => {
    const lone: VoxelFn = (x, y, z) => (x === 5 && y === 5 && z === 5 ? 3 : 0);
    const p = new Uint8Array(PADDED_VOLUME);
    for (let y = -1; y <= N; y++) for (let z = -1; z <= N; z++) for (let x = -1; x <= N; x++) p[(x + 1) + 34 * (z + 1) + 34 * 34 * (y + 1)] = lone(x, y, z);
    const result = meshChunk(p, createMeshOutput(), MeshMode.ShaderAo);
    expect(result.quadCount).toBe(6);
    for (let k = 0; k < 6; k++) expect(result.quads[k * 2 + 1]).toBe(3); // material 3, ring all air
    for (let face = 0; face < 6; face++) expect(referenceAo(lone, face, 5, 5, 5)).toBe(0xff);
    // Stone floor at y <= 4 with a one-voxel pit at (5, 4, 5): the pit's floor sees four walls.
    const pit = new Uint8Array(PADDED_VOLUME);
    for (let y = -1; y <= 4; y++) for (let z = -1; z <= N; z++) for (let x = -1; x <= N; x++) pit[(x + 1) + 34 * (z + 1) + 34 * 34 * (y + 1)] = 3;
    pit[6 + 34 * 6 + 34 * 34 * 5] = 0;
    const words = copyQuads(meshChunk(pit, createMeshOutput(), MeshMode.ShaderAo));
    const floor = Array.from({ length: words.length >> 1 }, (_, k) => unpackQuad(words, k)).findIndex((q) => q.x === 5 && q.y === 3 && q.z === 5 && q.face === 2);
    expect(floor).toBeGreaterThanOrEqual(0);
    expect(shaderFaceAo(words, floor, 0, 0)).toBe(0); // every corner: both sides solid
  });
});
