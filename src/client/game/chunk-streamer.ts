import { CHUNK_SHIFT } from "../../shared/voxel/constants.ts";
import type { DirtyChunks } from "../../shared/voxel/carve.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { MeshJobQueue } from "../workers/job-queue.ts";
import type { MesherPool } from "../workers/pool.ts";

/** What the streamer needs from the renderer. */
export interface ChunkSink {
  removeChunk(chunkId: number): void;
  isChunkUploaded(chunkId: number): boolean;
}

/**
 * Decides which chunks are meshed: every chunk column within `viewChunks` (horizontal
 * distance, in chunks) of the camera, all heights. Requests meshes for chunks entering that
 * circle, drops chunks that move a chunk beyond it (hysteresis, so walking along a border
 * does not thrash), and re-requests dirty chunks after carves. The queue orders the work by
 * distance to the camera.
 */
export class ChunkStreamer {
  /** 1 while the chunk is in range (requested, meshing or meshed). */
  private readonly active: Uint8Array;
  private lastCx = Number.NaN;
  private lastCz = Number.NaN;
  private readonly coord: [number, number, number] = [0, 0, 0];

  constructor(
    private readonly world: World,
    private readonly queue: MeshJobQueue,
    private readonly pool: MesherPool,
    private readonly sink: ChunkSink,
    private viewChunks: number,
  ) {
    this.active = new Uint8Array(world.chunkCount);
  }

  /** Call every frame with the camera position. */
  update(x: number, y: number, z: number): void {
    this.queue.setFocus(x, y, z);
    const cx = Math.floor(x) >> CHUNK_SHIFT;
    const cz = Math.floor(z) >> CHUNK_SHIFT;
    if (cx !== this.lastCx || cz !== this.lastCz) {
      this.lastCx = cx;
      this.lastCz = cz;
      this.rescan(cx, cz);
    }
    this.pool.pump();
  }

  /** Changes the view distance (chunks); takes effect at once. */
  setViewChunks(chunks: number): void {
    this.viewChunks = chunks;
    if (!Number.isNaN(this.lastCx)) this.rescan(this.lastCx, this.lastCz);
  }

  /** Re-meshes the dirty chunks that are in range (others are meshed when they come into range). */
  markDirty(dirty: DirtyChunks): void {
    for (let i = 0; i < dirty.count; i++) {
      const id = dirty.ids[i];
      if (this.active[id]) this.queue.request(id);
    }
  }

  /** True when the chunk is out of range (never drawn), or its latest mesh is uploaded (drawn from the next frame on). */
  isDrawn(chunkId: number): boolean {
    return !this.active[chunkId] || (this.queue.isCurrent(chunkId) && this.sink.isChunkUploaded(chunkId));
  }

  /**
   * True when every chunk column within `radius` chunks of world point (x, z) has its latest
   * mesh uploaded (no job pending or in flight for it).
   */
  readyAround(x: number, z: number, radius: number): boolean {
    const w = this.world;
    const ccx = Math.floor(x) >> CHUNK_SHIFT;
    const ccz = Math.floor(z) >> CHUNK_SHIFT;
    for (let cz = ccz - radius; cz <= ccz + radius; cz++) {
      for (let cx = ccx - radius; cx <= ccx + radius; cx++) {
        if ((cx - ccx) ** 2 + (cz - ccz) ** 2 > radius * radius) continue;
        for (let cy = 0; cy < w.size.chunksY; cy++) {
          if (!w.hasChunk(cx, cy, cz)) continue;
          const id = w.chunkId(cx, cy, cz);
          if (!this.active[id] || !this.queue.isCurrent(id) || !this.sink.isChunkUploaded(id)) return false;
        }
      }
    }
    return true;
  }

  private rescan(ccx: number, ccz: number): void {
    const w = this.world;
    const r = this.viewChunks;
    const keep = (r + 1) * (r + 1);
    for (let id = 0; id < w.chunkCount; id++) {
      const c = w.chunkCoordOf(id, this.coord);
      const d2 = (c[0] - ccx) ** 2 + (c[2] - ccz) ** 2;
      if (!this.active[id] && d2 <= r * r) {
        this.active[id] = 1;
        this.queue.request(id);
      } else if (this.active[id] && d2 > keep) {
        this.active[id] = 0;
        this.queue.cancel(id);
        this.sink.removeChunk(id);
      }
    }
  }
}
