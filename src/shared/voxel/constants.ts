/** Edge length of a cubic chunk, in voxels. The mesher's 32-bit column masks depend on it. */
export const CHUNK_SIZE = 32;
/** log2(CHUNK_SIZE), for shifts. */
export const CHUNK_SHIFT = 5;
/** Voxels in one chunk. */
export const CHUNK_VOLUME = CHUNK_SIZE * CHUNK_SIZE * CHUNK_SIZE;
/** Edge of a chunk with its one-voxel neighbour padding on every side. */
export const PADDED_SIZE = CHUNK_SIZE + 2;
/** Voxels in a padded chunk (34^3). */
export const PADDED_VOLUME = PADDED_SIZE * PADDED_SIZE * PADDED_SIZE;

/**
 * Index of local voxel (x, y, z), each 0..31, in a chunk's Uint8Array.
 * Layout: x fastest, then z, then y (horizontal slices stacked upwards).
 */
export function voxelIndex(x: number, y: number, z: number): number {
  return (y << 10) | (z << 5) | x;
}

/**
 * Index of local voxel (x, y, z), each -1..32, in a padded 34^3 array.
 * Same axis order as voxelIndex: x fastest, then z, then y.
 */
export function paddedIndex(x: number, y: number, z: number): number {
  return x + 1 + (z + 1) * PADDED_SIZE + (y + 1) * PADDED_SIZE * PADDED_SIZE;
}
