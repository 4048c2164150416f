// The WebAssembly mesher (src/shared/mesh/wasm-greedy.ts, built from wasm/greedy.c) against
// the TypeScript mesher it ports (greedy.ts, the reference): the very same words (quads, then
// spilled front rings) and face counts in both material-merge modes, on the default world's
// chunks, structured chunks, random chunks and the extremes (empty, full, the most quads,
// the longest rings). Coverage and maximal merging of its output: material-merge.test.ts.
import { describe, expect, it } from "vitest";
import { PADDED_VOLUME } from "../../../src/shared/voxel/constants.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { createMeshOutput, meshChunk, meshWords } from "../../../src/shared/mesh/greedy.ts";
import { MeshMode } from "../../../src/shared/mesh/quad.ts";
import type { MeshModeId } from "../../../src/shared/mesh/quad.ts";
import { loadWasmMesher } from "../../../src/server/mesh/wasm-mesher.ts";
import { N, firstDifference, padded, randomChunk, structuredChunks, world64 } from "./reference.ts";

const wasm = loadWasmMesher();
const out = createMeshOutput();
const MODES: [string, MeshModeId][] = [["ShaderAo", MeshMode.ShaderAo], ["Plain", MeshMode.Plain]];

/** Differences between the two meshers' output for one chunk (empty when identical). */
function compare(p: Uint8Array, mode: MeshModeId): string[] {
  const ts = meshChunk(p, out, mode);
  const want = ts.quads.slice(0, meshWords(ts));
  const wantFaces = Array.from(ts.faceCounts);
  const got = wasm.mesh(p, mode);
  const problems: string[] = [];
  if (got.quadCount !== ts.quadCount) problems.push(`quads ${got.quadCount}, want ${ts.quadCount}`);
  if (got.sideWords !== ts.sideWords) problems.push(`ring words ${got.sideWords}, want ${ts.sideWords}`);
  const at = firstDifference(got.quads.slice(0, meshWords(got)), want);
  if (at >= 0) problems.push(`first different word ${at}: ${got.quads[at]?.toString(16)}, want ${want[at]?.toString(16)}`);
  if (Array.from(got.faceCounts).join() !== wantFaces.join()) problems.push(`face counts ${Array.from(got.faceCounts).join()}, want ${wantFaces.join()}`);
  return problems;
}

function expectSame(chunks: [string, Uint8Array][]): void {
  for (const [, mode] of MODES) {
    for (const [name, p] of chunks) expect(compare(p, mode), `${name}, mode ${mode}`).toEqual([]);
  }
}

const inside = (x: number, y: number, z: number): boolean => Math.min(x, y, z) >= 0 && Math.max(x, y, z) < N;

describe("wasm mesher: the same output as greedy.ts", () => {
  it("the 64 chunks around the default world's spawn", () => {
    expectSame(world64().map((p, i) => [`world64[${i}]`, p]));
  });

  it("structured chunks", () => {
    expectSame(structuredChunks());
  });

  it("random chunks of every density, 1 to 4 materials", () => {
    const chunks: [string, Uint8Array][] = [];
    for (let seed = 0; seed < 60; seed++) {
      const density = [0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98][seed % 7];
      chunks.push([`random ${seed} (${density})`, randomChunk(500 + seed, density, 1 + (seed % 4))]);
    }
    expectSame(chunks);
  });

  it("the extremes: empty, full, full in air, solid padding only, the most quads, long rings in every direction", () => {
    const rng = new Rng(9);
    // Pillars and slabs of random lengths along every axis: long quads with rings that spill.
    const bars = Array.from({ length: 40 }, () => [rng.int(3), rng.range(0, 31), rng.range(0, 31), rng.range(0, 31), rng.range(8, 32), 1 + rng.int(2)]);
    const extremes: [string, Uint8Array][] = [
      ["air", new Uint8Array(PADDED_VOLUME)],
      ["solid, padding included", new Uint8Array(PADDED_VOLUME).fill(Material.Stone)],
      ["solid in air", padded((x, y, z) => (inside(x, y, z) ? Material.Stone : Material.Air))],
      ["solid padding only", padded((x, y, z) => (inside(x, y, z) ? Material.Air : Material.Stone))],
      ["checkerboard, air padding", padded((x, y, z) => (inside(x, y, z) && (x + y + z) & 1 ? Material.Brick : Material.Air))],
      ["checkerboard of two materials", padded((x, y, z) => 1 + ((x + y + z) & 1))],
      ["bars", padded((x, y, z) => {
        for (const [axis, a, b, c, len, m] of bars) {
          const [u, v, w] = axis === 0 ? [x, y, z] : axis === 1 ? [y, z, x] : [z, x, y];
          if (v === b && w === c && u >= a - len && u < a + len) return m;
        }
        return (x * 7 + y * 3 + z) % 41 === 0 ? Material.Dirt : Material.Air;
      })],
    ];
    expectSame(extremes);
    // The bars' rings spill, on quads of every face direction.
    const bar = meshChunk(extremes[6][1], out, MeshMode.ShaderAo);
    const spilledFaces = new Set<number>();
    for (let q = 0; q < bar.quadCount; q++) if (bar.quads[2 * q + 1] >>> 31) spilledFaces.add(bar.quads[2 * q] >>> 28);
    expect(spilledFaces.size).toBe(6);
  });

  it("keeps nothing from one chunk to the next, reads the input's view, never grows its memory", () => {
    const a = world64()[20];
    const b = randomChunk(1, 0.5, 3);
    const first = wasm.mesh(a, MeshMode.ShaderAo);
    const view = first.quads;
    const words = view.slice(0, meshWords(first));
    wasm.mesh(b, MeshMode.ShaderAo);
    // A view into a larger buffer, at an offset, gives the same mesh as the plain array.
    const offset = new Uint8Array(PADDED_VOLUME + 100);
    offset.set(a, 7);
    const again = wasm.mesh(offset.subarray(7), MeshMode.ShaderAo);
    expect(firstDifference(again.quads.slice(0, meshWords(again)), words)).toBe(-1);
    // The most quads there can be: had the memory grown, the old views would be detached.
    const most = wasm.mesh(padded((x, y, z) => (inside(x, y, z) && (x + y + z) & 1 ? Material.Brick : Material.Air)), MeshMode.ShaderAo);
    expect(most.quadCount).toBe(16 * 1024 * 6);
    expect(view.length).toBeGreaterThan(meshWords(most));
    expect(most.quads).toBe(view);
  });

  it("refuses VertexAo and a short array with a RangeError", () => {
    expect(() => wasm.mesh(new Uint8Array(PADDED_VOLUME), MeshMode.VertexAo)).toThrow(RangeError);
    expect(() => wasm.mesh(new Uint8Array(PADDED_VOLUME - 1), MeshMode.Plain)).toThrow(RangeError);
  });
});
