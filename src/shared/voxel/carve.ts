// Crater carving and edit replay. The server carves; clients and late joiners replay the
// recorded edits, so both paths mark the same dirty chunks and bump the same versions.
import { CHUNK_SHIFT, CHUNK_SIZE, voxelIndex } from "./constants.ts";
import { Material, MATERIALS } from "./materials.ts";
import type { World } from "./world.ts";

/**
 * Deduplicated set of chunk ids (World.chunkId) whose mesh input changed: the chunk owning an
 * edited voxel plus every chunk whose one-voxel padding (World.fillPadded, edges and corners
 * included) contains it. Reusable; grows on demand.
 */
export class DirtyChunks {
  ids = new Int32Array(32);
  count = 0;

  /** Empties the set without freeing memory. */
  clear(): void {
    this.count = 0;
  }

  /** Adds `id` unless present. Linear scan: a crater touches a handful of chunks. */
  add(id: number): void {
    for (let i = 0; i < this.count; i++) if (this.ids[i] === id) return;
    if (this.count === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.count++] = id;
  }

  /** True when `id` is in the set. */
  has(id: number): boolean {
    for (let i = 0; i < this.count; i++) if (this.ids[i] === id) return true;
    return false;
  }

  /** Marks the owner of in-world voxel (x, y, z) and each neighbour whose padding holds it. */
  markVoxel(world: World, x: number, y: number, z: number): void {
    const cx = x >> CHUNK_SHIFT;
    const cy = y >> CHUNK_SHIFT;
    const cz = z >> CHUNK_SHIFT;
    const lx = x & (CHUNK_SIZE - 1);
    const ly = y & (CHUNK_SIZE - 1);
    const lz = z & (CHUNK_SIZE - 1);
    // Per axis: the owner, plus the chunk below/above when the voxel sits on that face.
    const x0 = lx === 0 ? -1 : 0;
    const x1 = lx === CHUNK_SIZE - 1 ? 1 : 0;
    const y0 = ly === 0 ? -1 : 0;
    const y1 = ly === CHUNK_SIZE - 1 ? 1 : 0;
    const z0 = lz === 0 ? -1 : 0;
    const z1 = lz === CHUNK_SIZE - 1 ? 1 : 0;
    for (let oy = y0; oy <= y1; oy++) {
      for (let oz = z0; oz <= z1; oz++) {
        for (let ox = x0; ox <= x1; ox++) {
          if (world.hasChunk(cx + ox, cy + oy, cz + oz)) this.add(world.chunkId(cx + ox, cy + oy, cz + oz));
        }
      }
    }
  }
}

/**
 * Reusable output of carveSphere: changed voxels (world coords in `xyz`, 3 per voxel, and the
 * material they had in `oldMaterial`) and the dirty chunks. Arrays grow on demand and are
 * never shrunk, so a long-lived CarveResult stops allocating after the first big crater.
 */
export class CarveResult {
  count = 0;
  xyz = new Int32Array(3 * 256);
  oldMaterial = new Uint8Array(256);
  readonly dirty = new DirtyChunks();

  /** Empties the result without freeing memory. */
  clear(): void {
    this.count = 0;
    this.dirty.clear();
  }

  /** Appends one changed voxel. */
  push(x: number, y: number, z: number, old: number): void {
    if (this.count === this.oldMaterial.length) {
      const xyz = new Int32Array(this.xyz.length * 2);
      xyz.set(this.xyz);
      this.xyz = xyz;
      const om = new Uint8Array(this.oldMaterial.length * 2);
      om.set(this.oldMaterial);
      this.oldMaterial = om;
    }
    const i = this.count++;
    this.xyz[i * 3] = x;
    this.xyz[i * 3 + 1] = y;
    this.xyz[i * 3 + 2] = z;
    this.oldMaterial[i] = old;
  }
}

/**
 * Carves a crater centred on world point (cx, cy, cz): a solid voxel becomes air when its centre
 * lies within radius * carveFactor(material) (so carveFactor 0, e.g. bedrock, never carves and
 * tougher materials form a smaller hole). Clears `out`, then records every change in scan order
 * (y, z, x ascending) and the dirty chunks; each dirty chunk's version is bumped once.
 * Allocation-free once `out` has grown. Returns the number of carved voxels.
 */
export function carveSphere(world: World, cx: number, cy: number, cz: number, radius: number, out: CarveResult): number {
  out.clear();
  if (!(radius > 0) || !Number.isFinite(radius) || !Number.isFinite(cx) || !Number.isFinite(cy) || !Number.isFinite(cz)) return 0;
  const x0 = Math.max(0, Math.floor(cx - radius));
  const y0 = Math.max(0, Math.floor(cy - radius));
  const z0 = Math.max(0, Math.floor(cz - radius));
  const x1 = Math.min(world.maxX - 1, Math.floor(cx + radius));
  const y1 = Math.min(world.maxY - 1, Math.floor(cy + radius));
  const z1 = Math.min(world.maxZ - 1, Math.floor(cz + radius));
  const r2 = radius * radius;
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    for (let z = z0; z <= z1; z++) {
      const dz = z + 0.5 - cz;
      const data = world.chunkData(x0 >> CHUNK_SHIFT, y >> CHUNK_SHIFT, z >> CHUNK_SHIFT);
      let chunkX = x0 >> CHUNK_SHIFT;
      let row = data;
      for (let x = x0; x <= x1; x++) {
        if (x >> CHUNK_SHIFT !== chunkX) {
          chunkX = x >> CHUNK_SHIFT;
          row = world.chunkData(chunkX, y >> CHUNK_SHIFT, z >> CHUNK_SHIFT);
        }
        const i = voxelIndex(x & 31, y & 31, z & 31);
        const m = row[i];
        if (m === Material.Air) continue;
        const f = MATERIALS[m].carveFactor;
        const dx = x + 0.5 - cx;
        if (dx * dx + dy * dy + dz * dz > r2 * f * f) continue;
        row[i] = Material.Air;
        out.push(x, y, z, m);
        out.dirty.markVoxel(world, x, y, z);
      }
    }
  }
  touchAll(world, out.dirty);
  return out.count;
}

const coordScratch: [number, number, number] = [0, 0, 0];

function touchAll(world: World, dirty: DirtyChunks): void {
  for (let i = 0; i < dirty.count; i++) {
    const c = world.chunkCoordOf(dirty.ids[i], coordScratch);
    world.touchChunk(c[0], c[1], c[2]);
  }
}

/** A list of voxel edits: packed positions (packVoxel) and the new material of each. */
export interface VoxelEdits {
  readonly count: number;
  readonly positions: Uint32Array;
  readonly materials: Uint8Array;
}

/** Packs in-world voxel (x, y, z) into one uint32 (x fastest, then z, then y). */
export function packVoxel(world: World, x: number, y: number, z: number): number {
  return (x + world.maxX * (z + world.maxZ * y)) >>> 0;
}

/** Unpacks a packVoxel value into `out` [x, y, z]; allocation-free. */
export function unpackVoxel(world: World, packed: number, out: [number, number, number]): [number, number, number] {
  out[0] = packed % world.maxX;
  const rest = Math.floor(packed / world.maxX);
  out[2] = rest % world.maxZ;
  out[1] = Math.floor(rest / world.maxZ);
  return out;
}

/** Growable edit log (e.g. every carve since the world was generated, for join snapshots). */
export class EditLog implements VoxelEdits {
  count = 0;
  positions = new Uint32Array(1024);
  materials = new Uint8Array(1024);

  /** Empties the log without freeing memory. */
  clear(): void {
    this.count = 0;
  }

  /** Appends one edit. */
  push(packedPos: number, material: number): void {
    if (this.count === this.positions.length) {
      const p = new Uint32Array(this.positions.length * 2);
      p.set(this.positions);
      this.positions = p;
      const m = new Uint8Array(this.materials.length * 2);
      m.set(this.materials);
      this.materials = m;
    }
    this.positions[this.count] = packedPos;
    this.materials[this.count++] = material;
  }

  /** Appends every voxel of a carve as an edit to air. */
  pushCarve(world: World, carve: CarveResult): void {
    const xyz = carve.xyz;
    for (let i = 0; i < carve.count; i++) {
      this.push(packVoxel(world, xyz[i * 3], xyz[i * 3 + 1], xyz[i * 3 + 2]), Material.Air);
    }
  }
}

const scratchDirty = new DirtyChunks();
const unpackScratch: [number, number, number] = [0, 0, 0];

/**
 * Replays `edits` in order (later edits win). Collects dirty chunks into `dirty` (cleared
 * first) when given, bumps each dirty chunk's version once, and returns the number of edits
 * that changed their voxel (an edit to the material already there is a no-op). Positions
 * outside the world are skipped.
 */
export function applyEdits(world: World, edits: VoxelEdits, dirty: DirtyChunks = scratchDirty): number {
  dirty.clear();
  const total = world.maxX * world.maxY * world.maxZ;
  let changed = 0;
  for (let i = 0; i < edits.count; i++) {
    const p = edits.positions[i];
    if (p >= total) continue;
    const c = unpackVoxel(world, p, unpackScratch);
    const x = c[0];
    const y = c[1];
    const z = c[2];
    const data = world.chunkData(x >> CHUNK_SHIFT, y >> CHUNK_SHIFT, z >> CHUNK_SHIFT);
    const vi = voxelIndex(x & 31, y & 31, z & 31);
    if (data[vi] === edits.materials[i]) continue;
    data[vi] = edits.materials[i];
    dirty.markVoxel(world, x, y, z);
    changed++;
  }
  touchAll(world, dirty);
  return changed;
}
