import { QUAD_BYTES } from "../../shared/mesh/quad.ts";
import type { ChunkMeshes } from "./chunk-meshes.ts";
import type { QuadPages } from "./quad-pages.ts";
import type { RenderStats } from "./stats.ts";

/** Allocation rounding for chunk meshes (quads), so a re-mesh a little bigger still fits in place. */
const ALLOC_GRANULE = 64;

/**
 * Writes queued chunk meshes into the quad pages with queue.writeBuffer, oldest first, until
 * `budgetBytes` is reached (at least one chunk per call, so a huge mesh cannot stall the
 * queue). A mesh that fits its chunk's current range is written in place; otherwise the
 * range is freed and a new one allocated. Records bytes, chunks and CPU ms in `stats`.
 */
export function uploadChunkMeshes(meshes: ChunkMeshes, pages: QuadPages, budgetBytes: number, stats: RenderStats): void {
  const m = meshes;
  let bytes = 0;
  let chunks = 0;
  const t0 = performance.now();
  while (bytes < budgetBytes) {
    const id = m.nextUpload();
    if (id < 0) break;
    const count = m.quadCount[id];
    let address = m.address[id];
    if (address >= 0 && (count === 0 || count > m.capacity[id])) {
      pages.free(address);
      address = -1;
      m.address[id] = -1;
      m.capacity[id] = 0;
    }
    if (count > 0) {
      if (address < 0) {
        const capacity = Math.ceil(count / ALLOC_GRANULE) * ALLOC_GRANULE;
        address = pages.alloc(capacity);
        if (address < 0) {
          console.warn(`chunk ${id}: quad pages full, mesh of ${count} quads not uploaded`);
          m.markUploaded(id);
          continue;
        }
        m.address[id] = address;
        m.capacity[id] = capacity;
      }
      pages.write(address, m.quads[id] as Uint32Array, count);
      bytes += count * QUAD_BYTES;
      chunks++;
    }
    m.markUploaded(id);
  }
  stats.uploadMs = chunks > 0 ? performance.now() - t0 : 0;
  stats.uploadBytes = bytes;
  stats.uploadChunks = chunks;
  stats.chunksTotal = m.resident.length;
}
