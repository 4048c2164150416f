// Reference quad counts of the simple meshers the greedy mesher is measured against: naive
// (every face of every solid voxel) and per-face culled (faces that touch air, one quad each).
// Deliberately plain loops over paddedIndex, so tests and the bench can trust them.
import { CHUNK_SIZE, paddedIndex } from "../voxel/constants.ts";
import { FACE_AXES } from "./quad.ts";

/** Quads of a naive mesher: six per solid voxel of the chunk (padding excluded). */
export function naiveQuadCount(padded: Uint8Array): number {
  let solid = 0;
  for (let y = 0; y < CHUNK_SIZE; y++) {
    for (let z = 0; z < CHUNK_SIZE; z++) {
      for (let x = 0; x < CHUNK_SIZE; x++) if (padded[paddedIndex(x, y, z)] !== 0) solid++;
    }
  }
  return solid * 6;
}

/** Quads of a per-face culled mesher: faces of solid chunk voxels whose neighbour (padding included) is air. */
export function culledQuadCount(padded: Uint8Array): number {
  let faces = 0;
  const step = [0, 0, 0];
  for (let y = 0; y < CHUNK_SIZE; y++) {
    for (let z = 0; z < CHUNK_SIZE; z++) {
      for (let x = 0; x < CHUNK_SIZE; x++) {
        if (padded[paddedIndex(x, y, z)] === 0) continue;
        for (const [axis, , , sign] of FACE_AXES) {
          step[0] = step[1] = step[2] = 0;
          step[axis] = sign;
          if (padded[paddedIndex(x + step[0], y + step[1], z + step[2])] === 0) faces++;
        }
      }
    }
  }
  return faces;
}
