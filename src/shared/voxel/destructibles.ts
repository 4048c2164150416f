// Destructible structures (towers, walls, crates) and a per-chunk spatial index, so the server
// can classify a projectile's hit voxel as "destructible" with a few integer compares.
import { CHUNK_SHIFT } from "./constants.ts";
import type { WorldSize } from "./world.ts";

/** Kinds of destructible structure; a closed union, safe as a metric label. */
export const DestructibleKind = { Tower: "tower", Wall: "wall", Crate: "crate" } as const;
export type DestructibleKind = (typeof DestructibleKind)[keyof typeof DestructibleKind];

/** One destructible structure: its id, kind, inclusive voxel AABB and main material. */
export interface Destructible {
  /** 1..n, unique, equal to its position in the generated list plus one. */
  readonly did: number;
  readonly kind: DestructibleKind;
  /** Inclusive world voxel bounds (the hollow inside of a tower counts as part of it). */
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
  readonly material: number;
}

/** Per-chunk lists (CSR layout) of the destructibles whose AABB touches each chunk. */
export interface DestructibleIndex {
  readonly list: readonly Destructible[];
  readonly size: WorldSize;
  /** offsets[c]..offsets[c+1] is chunk c's range in `items` (chunk ids as World.chunkId). */
  readonly offsets: Uint32Array;
  /** Positions in `list`. */
  readonly items: Uint32Array;
  /** minX, minY, minZ, maxX, maxY, maxZ per destructible, copied out of the objects for speed. */
  readonly boxes: Int32Array;
}

/** Builds the per-chunk index over `list` for a world of `size` chunks. */
export function buildDestructibleIndex(list: readonly Destructible[], size: WorldSize): DestructibleIndex {
  const chunkCount = size.chunksX * size.chunksY * size.chunksZ;
  const boxes = new Int32Array(list.length * 6);
  const offsets = new Uint32Array(chunkCount + 1);
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    boxes.set([d.min[0], d.min[1], d.min[2], d.max[0], d.max[1], d.max[2]], i * 6);
    forEachChunk(d, size, (c) => offsets[c + 1]++);
  }
  // Two passes (count, then fill) so the index is two flat typed arrays.
  for (let c = 0; c < chunkCount; c++) offsets[c + 1] += offsets[c];
  const items = new Uint32Array(offsets[chunkCount]);
  const cursor = offsets.slice(0, chunkCount);
  for (let i = 0; i < list.length; i++) forEachChunk(list[i], size, (c) => (items[cursor[c]++] = i));
  return { list, size, offsets, items, boxes };
}

function forEachChunk(d: Destructible, size: WorldSize, fn: (chunkId: number) => void): void {
  const { chunksX, chunksY, chunksZ } = size;
  const c0x = Math.max(0, d.min[0] >> CHUNK_SHIFT);
  const c0y = Math.max(0, d.min[1] >> CHUNK_SHIFT);
  const c0z = Math.max(0, d.min[2] >> CHUNK_SHIFT);
  const c1x = Math.min(chunksX - 1, d.max[0] >> CHUNK_SHIFT);
  const c1y = Math.min(chunksY - 1, d.max[1] >> CHUNK_SHIFT);
  const c1z = Math.min(chunksZ - 1, d.max[2] >> CHUNK_SHIFT);
  for (let cy = c0y; cy <= c1y; cy++) {
    for (let cz = c0z; cz <= c1z; cz++) {
      for (let cx = c0x; cx <= c1x; cx++) fn(cx + chunksX * (cz + chunksZ * cy));
    }
  }
}

/** The did of the destructible whose AABB contains voxel (x, y, z), or 0 for none. Allocation-free. */
export function destructibleAt(index: DestructibleIndex, x: number, y: number, z: number): number {
  const { chunksX, chunksY, chunksZ } = index.size;
  const cx = x >> CHUNK_SHIFT;
  const cy = y >> CHUNK_SHIFT;
  const cz = z >> CHUNK_SHIFT;
  if (x < 0 || y < 0 || z < 0 || cx >= chunksX || cy >= chunksY || cz >= chunksZ) return 0;
  const c = cx + chunksX * (cz + chunksZ * cy);
  const b = index.boxes;
  for (let k = index.offsets[c], end = index.offsets[c + 1]; k < end; k++) {
    const i = index.items[k];
    const o = i * 6;
    if (x >= b[o] && y >= b[o + 1] && z >= b[o + 2] && x <= b[o + 3] && y <= b[o + 4] && z <= b[o + 5]) {
      return index.list[i].did;
    }
  }
  return 0;
}
