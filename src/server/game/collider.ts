// Per-chunk collision data: solid-voxel count (empty / mixed / full), the top solid voxel of
// every column, and the world surface height map derived from them. Rebuilt for dirty chunks
// from what the mesh workers measure, and used by projectile raycasts (empty chunks are
// skipped without a voxel walk) and by NPC movement (surface heights).
import { CHUNK_SIZE, PADDED_SIZE, voxelIndex } from "../../shared/voxel/constants.ts";
import { raycastVoxels } from "../../shared/physics/raycast.ts";
import type { RayHit } from "../../shared/physics/raycast.ts";
import type { World } from "../../shared/voxel/world.ts";

/** Chunk occupancy classes. */
export const ChunkFill = { Empty: 0, Mixed: 1, Full: 2 } as const;
export type ChunkFill = (typeof ChunkFill)[keyof typeof ChunkFill];

/** Columns per chunk (32 x 32). */
export const CHUNK_COLUMNS = CHUNK_SIZE * CHUNK_SIZE;

const CHUNK_VOXELS = CHUNK_SIZE * CHUNK_SIZE * CHUNK_SIZE;

/**
 * Counts solid voxels of an unpadded chunk and writes each column's top solid local y (or -1)
 * into `tops` (index x + z * 32). Allocation-free.
 */
export function summariseChunk(data: Uint8Array, tops: Int8Array): number {
  tops.fill(-1);
  let solid = 0;
  for (let y = 0; y < CHUNK_SIZE; y++) {
    for (let z = 0; z < CHUNK_SIZE; z++) {
      const row = voxelIndex(0, y, z);
      for (let x = 0; x < CHUNK_SIZE; x++) {
        if (data[row + x] !== 0) {
          solid++;
          tops[x + z * CHUNK_SIZE] = y;
        }
      }
    }
  }
  return solid;
}

/** Same as summariseChunk for a padded 34^3 copy (what a mesh worker holds). Allocation-free. */
export function summarisePadded(padded: Uint8Array, tops: Int8Array): number {
  tops.fill(-1);
  let solid = 0;
  const P = PADDED_SIZE;
  for (let y = 0; y < CHUNK_SIZE; y++) {
    for (let z = 0; z < CHUNK_SIZE; z++) {
      const row = 1 + (z + 1) * P + (y + 1) * P * P;
      for (let x = 0; x < CHUNK_SIZE; x++) {
        if (padded[row + x] !== 0) {
          solid++;
          tops[x + z * CHUNK_SIZE] = y;
        }
      }
    }
  }
  return solid;
}

/** Collision summaries for every chunk of a world. */
export class ChunkColliders {
  readonly fill: Uint8Array;
  readonly solid: Uint16Array;
  /** World chunk version each summary was built from. */
  readonly builtVersion: Uint32Array;
  /** Top solid local y per column per chunk, -1 for none: [chunkId * 1024 + x + z * 32]. */
  readonly tops: Int8Array;
  /** Top solid world y per world column (x + z * maxX), -1 for none. */
  readonly surface: Int16Array;
  /** Chunk summaries rebuilt since startup (tests, stats). */
  rebuilds = 0;
  private readonly coord: [number, number, number] = [0, 0, 0];

  constructor(readonly world: World) {
    const n = world.chunkCount;
    this.fill = new Uint8Array(n);
    this.solid = new Uint16Array(n);
    this.builtVersion = new Uint32Array(n);
    this.tops = new Int8Array(n * CHUNK_COLUMNS);
    this.surface = new Int16Array(world.maxX * world.maxZ).fill(-1);
  }

  /** Builds every chunk's summary from the world (startup, main thread). */
  buildAll(): void {
    const { chunksX, chunksY, chunksZ } = this.world.size;
    for (let cy = 0; cy < chunksY; cy++) {
      for (let cz = 0; cz < chunksZ; cz++) {
        for (let cx = 0; cx < chunksX; cx++) {
          const id = this.world.chunkId(cx, cy, cz);
          const tops = this.tops.subarray(id * CHUNK_COLUMNS, (id + 1) * CHUNK_COLUMNS);
          const solid = summariseChunk(this.world.chunkData(cx, cy, cz), tops);
          this.store(id, this.world.chunkVersion(cx, cy, cz), solid);
        }
      }
    }
    for (let cz = 0; cz < chunksZ; cz++) for (let cx = 0; cx < chunksX; cx++) this.rebuildSurface(cx, cz);
  }

  /** Applies a summary measured elsewhere (a mesh worker) for chunk `id` at `version`. */
  apply(id: number, version: number, solid: number, tops: Int8Array): void {
    this.tops.set(tops, id * CHUNK_COLUMNS);
    this.store(id, version, solid);
    const c = this.world.chunkCoordOf(id, this.coord);
    this.rebuildSurface(c[0], c[2]);
    this.rebuilds++;
  }

  private store(id: number, version: number, solid: number): void {
    this.solid[id] = solid;
    this.fill[id] = solid === 0 ? ChunkFill.Empty : solid === CHUNK_VOXELS ? ChunkFill.Full : ChunkFill.Mixed;
    this.builtVersion[id] = version;
  }

  /** Recomputes the surface heights of one chunk column (all cy) from the per-chunk tops. */
  private rebuildSurface(cx: number, cz: number): void {
    const w = this.world;
    const chunksY = w.size.chunksY;
    for (let lz = 0; lz < CHUNK_SIZE; lz++) {
      for (let lx = 0; lx < CHUNK_SIZE; lx++) {
        let top = -1;
        for (let cy = chunksY - 1; cy >= 0 && top < 0; cy--) {
          const t = this.tops[w.chunkId(cx, cy, cz) * CHUNK_COLUMNS + lx + lz * CHUNK_SIZE];
          if (t >= 0) top = cy * CHUNK_SIZE + t;
        }
        this.surface[cx * CHUNK_SIZE + lx + (cz * CHUNK_SIZE + lz) * w.maxX] = top;
      }
    }
  }

  /** Top solid y of world column (x, z), or -1 (also outside the world). */
  surfaceAt(x: number, z: number): number {
    const ix = Math.floor(x);
    const iz = Math.floor(z);
    if (ix < 0 || iz < 0 || ix >= this.world.maxX || iz >= this.world.maxZ) return -1;
    return this.surface[ix + iz * this.world.maxX];
  }

  /** True when chunk (cx, cy, cz) holds no solid voxel; outside the world is air, below it solid. */
  isEmpty(cx: number, cy: number, cz: number): boolean {
    if (cy < 0) return false;
    if (!this.world.hasChunk(cx, cy, cz)) return true;
    return this.fill[this.world.chunkId(cx, cy, cz)] === ChunkFill.Empty;
  }

  /**
   * Voxel raycast with a chunk-level broadphase: walks 32-voxel cells first and starts the voxel
   * DDA at the first chunk that is not empty, so rays through open sky cost a few steps.
   * Carving only removes voxels, so a summary that is stale can only be pessimistic.
   * Fills `out` like raycastVoxels. Allocation-free.
   */
  raycast(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, maxDist: number, out: RayHit): boolean {
    const len = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (!(len > 0) || !(maxDist >= 0)) return false;
    const ux = dx / len;
    const uy = dy / len;
    const uz = dz / len;
    const S = CHUNK_SIZE;
    let cx = Math.floor(ox / S);
    let cy = Math.floor(oy / S);
    let cz = Math.floor(oz / S);
    const sx = ux > 0 ? 1 : ux < 0 ? -1 : 0;
    const sy = uy > 0 ? 1 : uy < 0 ? -1 : 0;
    const sz = uz > 0 ? 1 : uz < 0 ? -1 : 0;
    const tdx = sx !== 0 ? S / Math.abs(ux) : Infinity;
    const tdy = sy !== 0 ? S / Math.abs(uy) : Infinity;
    const tdz = sz !== 0 ? S / Math.abs(uz) : Infinity;
    let tx = sx > 0 ? ((cx + 1) * S - ox) / ux : sx < 0 ? (cx * S - ox) / ux : Infinity;
    let ty = sy > 0 ? ((cy + 1) * S - oy) / uy : sy < 0 ? (cy * S - oy) / uy : Infinity;
    let tz = sz > 0 ? ((cz + 1) * S - oz) / uz : sz < 0 ? (cz * S - oz) / uz : Infinity;
    let t = 0;
    while (this.isEmpty(cx, cy, cz)) {
      if (tx < ty && tx < tz) {
        t = tx;
        cx += sx;
        tx += tdx;
      } else if (ty < tz) {
        t = ty;
        cy += sy;
        ty += tdy;
      } else {
        t = tz;
        cz += sz;
        tz += tdz;
      }
      if (t > maxDist) return false;
    }
    // Back off a hair so the voxel walk starts in the (empty) chunk before the boundary.
    const s = t > 1e-3 ? t - 1e-3 : 0;
    if (!raycastVoxels(this.world, ox + ux * s, oy + uy * s, oz + uz * s, ux, uy, uz, maxDist - s, out)) return false;
    out.distance += s;
    return true;
  }
}
