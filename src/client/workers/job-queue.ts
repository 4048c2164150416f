import { CHUNK_SIZE } from "../../shared/voxel/constants.ts";
import type { WorldSize } from "../../shared/voxel/world.ts";

/**
 * Bookkeeping for mesh jobs, free of workers and timers so it can be unit-tested:
 *
 * - Versions. Every request() for a chunk gets a new version (a per-chunk counter kept here,
 *   not World's edit version: a carve next to a chunk border changes the neighbour's padding
 *   without bumping the neighbour's own version, yet its mesh must be redone). A result is
 *   applied only when it carries the latest requested version; older results are stale.
 * - At most one pending entry per chunk: re-requesting a pending chunk just moves its
 *   version forward, so a burst of carves meshes each chunk once.
 * - Priority. take() returns the pending chunk nearest the focus point (the camera), read
 *   at take time, so moving the camera re-prioritises the whole queue at once.
 */
export class MeshJobQueue {
  private readonly latest: Uint32Array;
  private readonly applied: Uint32Array;
  /** Pending chunk ids, unordered (take() scans for the nearest). */
  private readonly pending: number[] = [];
  /** Chunk id -> index in `pending`, or -1. */
  private readonly slot: Int32Array;
  /** Chunk centres in world voxels, xyz per chunk id (World.chunkId order). */
  private readonly centres: Float32Array;
  private fx = 0;
  private fy = 0;
  private fz = 0;

  constructor(size: WorldSize) {
    const n = size.chunksX * size.chunksY * size.chunksZ;
    this.latest = new Uint32Array(n);
    this.applied = new Uint32Array(n);
    this.slot = new Int32Array(n).fill(-1);
    this.centres = new Float32Array(n * 3);
    const half = CHUNK_SIZE / 2;
    for (let id = 0; id < n; id++) {
      // Same decomposition as World.chunkId: x fastest, then z, then y.
      const cx = id % size.chunksX;
      const cz = Math.floor(id / size.chunksX) % size.chunksZ;
      const cy = Math.floor(id / (size.chunksX * size.chunksZ));
      this.centres[id * 3] = cx * CHUNK_SIZE + half;
      this.centres[id * 3 + 1] = cy * CHUNK_SIZE + half;
      this.centres[id * 3 + 2] = cz * CHUNK_SIZE + half;
    }
  }

  /** Jobs waiting for a worker. */
  get length(): number {
    return this.pending.length;
  }

  /** Sets the point jobs are ordered by (nearest first). */
  setFocus(x: number, y: number, z: number): void {
    this.fx = x;
    this.fy = y;
    this.fz = z;
  }

  /** Asks for a (re-)mesh of `chunkId`; returns the version its result must carry. */
  request(chunkId: number): number {
    const v = ++this.latest[chunkId];
    if (this.slot[chunkId] < 0) {
      this.slot[chunkId] = this.pending.length;
      this.pending.push(chunkId);
    }
    return v;
  }

  /** Removes the nearest pending chunk and returns its id, or -1 when nothing is pending. */
  take(): number {
    const p = this.pending;
    if (p.length === 0) return -1;
    const c = this.centres;
    let best = 0;
    let bestD = Infinity;
    for (let i = 0; i < p.length; i++) {
      const k = p[i] * 3;
      const dx = c[k] - this.fx;
      const dy = c[k + 1] - this.fy;
      const dz = c[k + 2] - this.fz;
      const d = dx * dx + dy * dy + dz * dz;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    const id = p[best];
    this.removeAt(best);
    return id;
  }

  /** Version the result of a job taken now must carry. */
  versionOf(chunkId: number): number {
    return this.latest[chunkId];
  }

  /**
   * Decides whether a finished job's result is applied: only the latest requested version,
   * and only once. Marks it applied when it is.
   */
  accept(chunkId: number, version: number): boolean {
    if (version !== this.latest[chunkId] || version <= this.applied[chunkId]) return false;
    this.applied[chunkId] = version;
    return true;
  }

  /**
   * Forgets a chunk (it left the view distance): drops its pending job and makes any
   * result still in flight stale.
   */
  cancel(chunkId: number): void {
    const i = this.slot[chunkId];
    if (i >= 0) this.removeAt(i);
    this.latest[chunkId]++;
    this.applied[chunkId] = this.latest[chunkId];
  }

  /** True while the chunk waits for a worker. */
  isPending(chunkId: number): boolean {
    return this.slot[chunkId] >= 0;
  }

  /** True when the latest requested mesh of the chunk has been applied (nothing outstanding). */
  isCurrent(chunkId: number): boolean {
    return this.applied[chunkId] === this.latest[chunkId];
  }

  private removeAt(i: number): void {
    const p = this.pending;
    const id = p[i];
    const last = p.pop() as number;
    if (i < p.length) {
      p[i] = last;
      this.slot[last] = i;
    }
    this.slot[id] = -1;
  }
}
