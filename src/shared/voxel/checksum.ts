// World checksum: clients and the server compare it to prove they hold the same voxels.
// FNV-1a over 32-bit words (4 voxels per step) instead of bytes: 4x fewer multiplies, and
// still sensitive to every byte and to position (the hash is order-dependent).
import { CHUNK_VOLUME } from "./constants.ts";
import type { World } from "./world.ts";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

// Words are read through a Uint32Array view; on a big-endian engine the words would differ,
// so there the bytes are assembled little-endian by hand to keep the checksum portable.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function hashChunk(h: number, data: Uint8Array): number {
  if (LITTLE_ENDIAN && data.byteOffset % 4 === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset, CHUNK_VOLUME >> 2);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], FNV_PRIME);
  } else {
    for (let i = 0; i < CHUNK_VOLUME; i += 4) {
      const w = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
      h = Math.imul(h ^ w, FNV_PRIME);
    }
  }
  return h;
}

/** 32-bit hash of every voxel of the world, chunks in chunk-id order (as unsigned). */
export function worldChecksum(world: World): number {
  const { chunksX, chunksY, chunksZ } = world.size;
  let h = FNV_OFFSET;
  // Loop order y, z, x matches World.chunkId, so the hash is over chunks in id order.
  for (let cy = 0; cy < chunksY; cy++) {
    for (let cz = 0; cz < chunksZ; cz++) {
      for (let cx = 0; cx < chunksX; cx++) h = hashChunk(h, world.chunkData(cx, cy, cz));
    }
  }
  return h >>> 0;
}
