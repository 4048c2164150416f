// Applies a voxel set (a box and one bit per voxel, all becoming one material) straight to the
// chunk arrays: row by row, skipping empty mask bytes, with no per-voxel packing. This is the
// replay path for whole snapshots (a server recovering its zone, a client joining a world
// whose every chunk was shot at), where the per-voxel EditLog route would take seconds.
import type { VoxelSet } from "../protocol/messages.ts";
import type { DirtyChunks } from "./carve.ts";
import { CHUNK_SHIFT, voxelIndex } from "./constants.ts";
import type { World } from "./world.ts";

/**
 * Sets every voxel of `set` that lies inside the world to `set.material`. Voxels whose material
 * changes mark their chunk and the neighbours whose padding holds them in `dirty` (not cleared
 * here) when given; every chunk whose voxels change has its version bumped. Returns the voxels changed.
 * Allocation-free.
 */
export function applyVoxelSet(world: World, set: VoxelSet, dirty: DirtyChunks | null): number {
  const { sizeX: sx, sizeY: sy, sizeZ: sz, mask, material } = set;
  let changed = 0;
  let lastChunk = -1;
  for (let y = 0; y < sy; y++) {
    const wy = set.minY + y;
    if (wy >= world.maxY) break;
    for (let z = 0; z < sz; z++) {
      const wz = set.minZ + z;
      if (wz >= world.maxZ) break;
      const rowBit = sx * (z + sz * y);
      for (let x = 0; x < sx; x++) {
        const bit = rowBit + x;
        const byte = mask[bit >> 3];
        if (byte === 0) {
          // Skip the rest of an empty mask byte in one step.
          x += 7 - (bit & 7);
          continue;
        }
        if ((byte & (1 << (bit & 7))) === 0) continue;
        const wx = set.minX + x;
        if (wx >= world.maxX) break;
        const data = world.chunkData(wx >> CHUNK_SHIFT, wy >> CHUNK_SHIFT, wz >> CHUNK_SHIFT);
        const vi = voxelIndex(wx & 31, wy & 31, wz & 31);
        if (data[vi] === material) continue;
        data[vi] = material;
        changed++;
        const id = world.chunkId(wx >> CHUNK_SHIFT, wy >> CHUNK_SHIFT, wz >> CHUNK_SHIFT);
        if (id !== lastChunk) {
          world.touchChunk(wx >> CHUNK_SHIFT, wy >> CHUNK_SHIFT, wz >> CHUNK_SHIFT);
          lastChunk = id;
        }
        if (dirty !== null) dirty.markVoxel(world, wx, wy, wz);
      }
    }
  }
  return changed;
}
