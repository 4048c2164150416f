import { CHUNK_SIZE } from "../../shared/voxel/constants.ts";
import type { WorldSize } from "../../shared/voxel/world.ts";

/** Number of chunks in a world of `size`. */
export function chunkCountOf(size: WorldSize): number {
  return size.chunksX * size.chunksY * size.chunksZ;
}

/** World voxel position of chunk `id`'s minimum corner (World.chunkId order: x, then z, then y). */
export function chunkOrigin(size: WorldSize, id: number, out: [number, number, number]): [number, number, number] {
  out[0] = (id % size.chunksX) * CHUNK_SIZE;
  out[2] = (Math.floor(id / size.chunksX) % size.chunksZ) * CHUNK_SIZE;
  out[1] = Math.floor(id / (size.chunksX * size.chunksZ)) * CHUNK_SIZE;
  return out;
}

/** Every chunk's origin, 3 floats per chunk id. */
export function chunkOrigins(size: WorldSize): Float32Array {
  const n = chunkCountOf(size);
  const out = new Float32Array(n * 3);
  const c: [number, number, number] = [0, 0, 0];
  for (let id = 0; id < n; id++) out.set(chunkOrigin(size, id, c), id * 3);
  return out;
}
