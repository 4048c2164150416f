import { CHUNK_SIZE } from "../../shared/voxel/constants.ts";
import type { ChunkMeshes } from "./chunk-meshes.ts";
import { aabbInFrustum } from "./frustum.ts";
import type { Frustum } from "./frustum.ts";
import type { QuadPages } from "./quad-pages.ts";
import type { RenderStats } from "./stats.ts";

/** Chunk ids share a sort key with the distance: key = distance bucket * ID_RANGE + id. */
const ID_RANGE = 1 << 20;

/**
 * Bit f set when face direction f (quad.ts Face order: +X, -X, +Y, -Y, +Z, -Z) of the chunk
 * at origin (x, y, z) can face a camera at (cx, cy, cz). A +X face lies on a plane x' in
 * (x, x + 32] and is seen only from x > x', so a camera at or left of x + 1 sees none.
 */
export function visibleFaceMask(cx: number, cy: number, cz: number, x: number, y: number, z: number): number {
  return (
    (cx > x + 1 ? 1 : 0) | (cx < x + CHUNK_SIZE - 1 ? 2 : 0) |
    (cy > y + 1 ? 4 : 0) | (cy < y + CHUNK_SIZE - 1 ? 8 : 0) |
    (cz > z + 1 ? 16 : 0) | (cz < z + CHUNK_SIZE - 1 ? 32 : 0)
  );
}

/**
 * Merges a chunk's visible face groups into contiguous quad runs. The mesher stores quads
 * grouped by face in Face order, `faceCounts[base + f]` per group, starting at `firstQuad`.
 * Writes (start, count) pairs into `out` (room for 3 pairs: at most 3 runs, since visible
 * groups alternate at worst) and returns the number of runs.
 */
export function visibleRuns(faceCounts: Uint32Array, base: number, firstQuad: number, mask: number, out: Uint32Array): number {
  let runs = 0;
  let offset = firstQuad;
  let runStart = -1;
  for (let f = 0; f <= 6; f++) {
    // An empty group is invisible either way, so it never splits a run.
    const visible = f < 6 && ((mask & (1 << f)) !== 0 || faceCounts[base + f] === 0);
    if (visible && runStart < 0) runStart = offset;
    if (!visible && runStart >= 0) {
      if (offset > runStart) {
        out[runs * 2] = runStart;
        out[runs * 2 + 1] = offset - runStart;
        runs++;
      }
      runStart = -1;
    }
    if (f < 6) offset += faceCounts[base + f];
  }
  return runs;
}

/**
 * Per-frame terrain draw list: frustum-culls the resident chunks, orders them front to back
 * (so early depth testing rejects hidden fragments before shading), and encodes one draw per
 * run of visible face groups. Scratch arrays are allocated once.
 */
export class TerrainDraws {
  /** Sort keys of the visible chunks; Float64Array sort is numeric and needs no comparator. */
  private readonly keys: Float64Array;
  private readonly runs = new Uint32Array(6);

  constructor(
    chunkCount: number,
    /** Chunk origins, 3 floats per chunk id. */
    private readonly origins: Float32Array,
  ) {
    if (chunkCount > ID_RANGE) throw new RangeError("too many chunks for the draw sort key");
    this.keys = new Float64Array(chunkCount);
  }

  /** Encodes the visible terrain into `pass` (terrain pipeline and frame bind group already set). */
  encode(
    pass: GPURenderPassEncoder,
    meshes: ChunkMeshes,
    pages: QuadPages,
    frustum: Frustum,
    cx: number, cy: number, cz: number,
    stats: RenderStats,
  ): void {
    const o = this.origins;
    const keys = this.keys;
    const resident = meshes.resident;
    let n = 0;
    for (let i = 0; i < resident.length; i++) {
      const id = resident[i];
      const x = o[id * 3], y = o[id * 3 + 1], z = o[id * 3 + 2];
      if (!aabbInFrustum(frustum, x, y, z, x + CHUNK_SIZE, y + CHUNK_SIZE, z + CHUNK_SIZE)) continue;
      const dx = x + CHUNK_SIZE / 2 - cx, dy = y + CHUNK_SIZE / 2 - cy, dz = z + CHUNK_SIZE / 2 - cz;
      keys[n++] = Math.floor(Math.sqrt(dx * dx + dy * dy + dz * dz)) * ID_RANGE + id;
    }
    // Pad with +Infinity (sorts last) and sort the whole array in place: no subarray view.
    keys.fill(Infinity, n);
    keys.sort();

    let boundPage = -1;
    let quads = 0;
    let draws = 0;
    for (let i = 0; i < n; i++) {
      const id = keys[i] % ID_RANGE;
      const address = meshes.address[id];
      const page = pages.pageOf(address);
      if (page !== boundPage) {
        pass.setBindGroup(1, pages.pages[page].bindGroup);
        boundPage = page;
      }
      // A face group can only be seen from the side its normal points to: skip the rest.
      const mask = visibleFaceMask(cx, cy, cz, o[id * 3], o[id * 3 + 1], o[id * 3 + 2]);
      const runs = visibleRuns(meshes.faceCounts, id * 6, address % pages.pageQuads, mask, this.runs);
      for (let r = 0; r < runs; r++) {
        const start = this.runs[r * 2];
        const count = this.runs[r * 2 + 1];
        // 6 vertices per quad from the run's first quad; firstInstance = chunk id (terrain.wgsl).
        pass.draw(6 * count, 1, 6 * start, id);
        quads += count;
        draws++;
      }
    }
    stats.chunksDrawn = n;
    stats.quads = quads;
    stats.drawCalls = draws;
  }
}
