import { CHUNK_SIZE, CHUNK_VOLUME, PADDED_SIZE, PADDED_VOLUME, voxelIndex } from "./constants.ts";
import { Material } from "./materials.ts";

/** World dimensions in chunks. */
export interface WorldSize {
  readonly chunksX: number;
  readonly chunksY: number;
  readonly chunksZ: number;
}

/**
 * Dense voxel storage for a bounded world: one Uint8Array of material ids per chunk, plus a
 * version per chunk that increases on every edit (workers use it to drop stale meshes).
 * Outside the world horizontally and above it is air; below y = 0 is bedrock, so the
 * world's floor never produces faces.
 */
export class World {
  readonly size: WorldSize;
  /** Voxel extents of the whole world. */
  readonly maxX: number;
  readonly maxY: number;
  readonly maxZ: number;
  private readonly chunks: Uint8Array[];
  private readonly versions: Uint32Array;

  /**
   * An all-air world of `size`, or one holding `chunks` (one CHUNK_VOLUME array per chunk, in
   * chunkId order, adopted as they are: a world generated elsewhere). Throws RangeError when
   * `chunks` does not fit `size`.
   */
  constructor(size: WorldSize, chunks?: readonly Uint8Array[]) {
    this.size = size;
    this.maxX = size.chunksX * CHUNK_SIZE;
    this.maxY = size.chunksY * CHUNK_SIZE;
    this.maxZ = size.chunksZ * CHUNK_SIZE;
    const n = size.chunksX * size.chunksY * size.chunksZ;
    if (chunks !== undefined && (chunks.length !== n || chunks.some((c) => c.length !== CHUNK_VOLUME))) {
      throw new RangeError(`a world of ${size.chunksX}x${size.chunksY}x${size.chunksZ} chunks needs ${n} arrays of ${CHUNK_VOLUME} voxels`);
    }
    this.chunks = chunks !== undefined ? [...chunks] : Array.from({ length: n }, () => new Uint8Array(CHUNK_VOLUME));
    this.versions = new Uint32Array(n);
  }

  /** Every chunk's voxel array, in chunkId order (the world's own arrays, not copies). */
  chunkArrays(): readonly Uint8Array[] {
    return this.chunks;
  }

  /** Number of chunks. */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** True when the chunk coordinate lies inside the world. */
  hasChunk(cx: number, cy: number, cz: number): boolean {
    return cx >= 0 && cy >= 0 && cz >= 0 && cx < this.size.chunksX && cy < this.size.chunksY && cz < this.size.chunksZ;
  }

  /** Linear chunk id (0..chunkCount-1) of an in-bounds chunk coordinate. */
  chunkId(cx: number, cy: number, cz: number): number {
    return cx + this.size.chunksX * (cz + this.size.chunksZ * cy);
  }

  /** Inverse of chunkId; writes into `out` to avoid allocation. */
  chunkCoordOf(id: number, out: [number, number, number]): [number, number, number] {
    const sx = this.size.chunksX;
    const sz = this.size.chunksZ;
    out[0] = id % sx;
    out[2] = Math.floor(id / sx) % sz;
    out[1] = Math.floor(id / (sx * sz));
    return out;
  }

  /** The chunk's voxel array (live; callers that write must call touchChunk). */
  chunkData(cx: number, cy: number, cz: number): Uint8Array {
    return this.chunks[this.chunkId(cx, cy, cz)];
  }

  /** The chunk's edit version. */
  chunkVersion(cx: number, cy: number, cz: number): number {
    return this.versions[this.chunkId(cx, cy, cz)];
  }

  /** Bumps a chunk's version after a direct write to its data. */
  touchChunk(cx: number, cy: number, cz: number): void {
    this.versions[this.chunkId(cx, cy, cz)]++;
  }

  /** Material at world voxel (x, y, z); air outside, bedrock below the floor. */
  get(x: number, y: number, z: number): number {
    if (y < 0) return Material.Bedrock;
    if (x < 0 || z < 0 || x >= this.maxX || y >= this.maxY || z >= this.maxZ) return Material.Air;
    const id = (x >> 5) + this.size.chunksX * ((z >> 5) + this.size.chunksZ * (y >> 5));
    return this.chunks[id][voxelIndex(x & 31, y & 31, z & 31)];
  }

  /**
   * Sets world voxel (x, y, z) and bumps the owning chunk's version. Returns the previous
   * material, or -1 when the position is outside the world (nothing changes).
   */
  set(x: number, y: number, z: number, material: number): number {
    if (x < 0 || y < 0 || z < 0 || x >= this.maxX || y >= this.maxY || z >= this.maxZ) return -1;
    const id = (x >> 5) + this.size.chunksX * ((z >> 5) + this.size.chunksZ * (y >> 5));
    const data = this.chunks[id];
    const i = voxelIndex(x & 31, y & 31, z & 31);
    const prev = data[i];
    if (prev !== material) {
      data[i] = material;
      this.versions[id]++;
    }
    return prev;
  }

  /**
   * Copies chunk (cx, cy, cz) with its one-voxel neighbour border into `out` (34^3, layout of
   * paddedIndex). Allocation-free; `out` is reused by the caller.
   */
  fillPadded(cx: number, cy: number, cz: number, out: Uint8Array): Uint8Array {
    if (out.length < PADDED_VOLUME) throw new RangeError("padded buffer too small");
    const src = this.chunkData(cx, cy, cz);
    const ox = cx * CHUNK_SIZE;
    const oy = cy * CHUNK_SIZE;
    const oz = cz * CHUNK_SIZE;
    const P = PADDED_SIZE;
    for (let py = 0; py < P; py++) {
      const ly = py - 1;
      const interiorY = ly >= 0 && ly < CHUNK_SIZE;
      for (let pz = 0; pz < P; pz++) {
        const lz = pz - 1;
        const row = pz * P + py * P * P;
        if (interiorY && lz >= 0 && lz < CHUNK_SIZE) {
          // Interior row: 32 voxels straight from the chunk, borders from neighbours.
          const s = voxelIndex(0, ly, lz);
          out.set(src.subarray(s, s + CHUNK_SIZE), row + 1);
          out[row] = this.get(ox - 1, oy + ly, oz + lz);
          out[row + P - 1] = this.get(ox + CHUNK_SIZE, oy + ly, oz + lz);
        } else {
          for (let px = 0; px < P; px++) out[row + px] = this.get(ox + px - 1, oy + ly, oz + lz);
        }
      }
    }
    return out;
  }
}
