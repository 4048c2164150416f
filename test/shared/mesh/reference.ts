// Brute-force references for the mesher tests: padded chunks from functions, every exposed
// face with its vertex AO, and a rasteriser that checks a mesh covers exactly those faces.
import { CHUNK_SHIFT, CHUNK_SIZE, PADDED_VOLUME, paddedIndex } from "../../../src/shared/voxel/constants.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { DEFAULT_WORLD_GEN, generateWorld } from "../../../src/shared/voxel/worldgen.ts";
import type { World } from "../../../src/shared/voxel/world.ts";
import { FACE_AXES, unpackQuad } from "../../../src/shared/mesh/quad.ts";
import type { Quad } from "../../../src/shared/mesh/quad.ts";
import type { MeshResult } from "../../../src/shared/mesh/greedy.ts";

export const N = CHUNK_SIZE;
export type VoxelFn = (x: number, y: number, z: number) => number;

/** A padded chunk whose voxels (padding included, -1..32) come from `fn`. */
export function padded(fn: VoxelFn): Uint8Array {
  const p = new Uint8Array(PADDED_VOLUME);
  for (let y = -1; y <= N; y++) for (let z = -1; z <= N; z++) for (let x = -1; x <= N; x++) p[paddedIndex(x, y, z)] = fn(x, y, z);
  return p;
}

export function randomChunk(seed: number, density: number, materials: number): Uint8Array {
  const rng = new Rng(seed);
  return padded(() => (rng.next() < density ? 1 + rng.int(materials) : Material.Air));
}

/** Brute-force vertex AO of one face, straight from the quad.ts definition. */
export function referenceAo(get: VoxelFn, face: number, x: number, y: number, z: number): number {
  const [n, u, v, sign] = FACE_AXES[face];
  const front = [x, y, z];
  front[n] += sign;
  const solid = (du: number, dv: number): number => {
    const c = [...front];
    c[u] += du;
    c[v] += dv;
    return get(c[0], c[1], c[2]) !== Material.Air ? 1 : 0;
  };
  let ao = 0;
  const corners = [[-1, -1], [1, -1], [1, 1], [-1, 1]]; // (u0,v0) (u1,v0) (u1,v1) (u0,v1)
  corners.forEach(([du, dv], i) => {
    const s1 = solid(du, 0);
    const s2 = solid(0, dv);
    const c = solid(du, dv);
    ao |= (s1 && s2 ? 0 : 3 - (s1 + s2 + c)) << (2 * i);
  });
  return ao;
}

/** Exposed faces of a region by brute force: `ao[face][index]` is the AO byte, or -1 when hidden or air. */
export interface Reference {
  readonly ao: Int16Array[];
  /** "face:material" -> number of exposed faces. */
  readonly counts: Map<string, number>;
  readonly total: number;
}

export function reference(get: VoxelFn, sx: number, sy: number, sz: number): Reference {
  const ao = FACE_AXES.map(() => new Int16Array(sx * sy * sz).fill(-1));
  const counts = new Map<string, number>();
  let total = 0;
  for (let y = 0; y < sy; y++) {
    for (let z = 0; z < sz; z++) {
      for (let x = 0; x < sx; x++) {
        const m = get(x, y, z);
        if (m === Material.Air) continue;
        FACE_AXES.forEach(([n, , , sign], face) => {
          const nb = [x, y, z];
          nb[n] += sign;
          if (get(nb[0], nb[1], nb[2]) !== Material.Air) return;
          ao[face][x + sx * (z + sz * y)] = referenceAo(get, face, x, y, z);
          const key = `${face}:${m}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          total++;
        });
      }
    }
  }
  return { ao, counts, total };
}

export function quadsOf(result: MeshResult): Quad[] {
  const out: Quad[] = [];
  for (let i = 0; i < result.quadCount; i++) out.push(unpackQuad(result.quads, i));
  return out;
}

/**
 * Rasterises quads (offset by a chunk origin) back into per-voxel faces over a region and
 * lists every disagreement with the brute-force reference. Empty list = exact mesh.
 */
export class Coverage {
  readonly errors: string[] = [];
  readonly covered: Uint8Array[];
  readonly counts = new Map<string, number>();

  constructor(
    private readonly get: VoxelFn,
    private readonly ref: Reference,
    private readonly sx: number,
    private readonly sy: number,
    private readonly sz: number,
    /** False for meshes merged by material alone (MeshMode.ShaderAo/Plain), whose quads carry no AO byte. */
    private readonly checkAo = true,
  ) {
    this.covered = FACE_AXES.map(() => new Uint8Array(sx * sy * sz));
  }

  add(result: MeshResult, ox = 0, oy = 0, oz = 0): void {
    let start = 0;
    for (let face = 0; face < 6; face++) {
      for (let i = start; i < start + result.faceCounts[face]; i++) {
        const q = unpackQuad(result.quads, i);
        if (q.face !== face) this.error(`quad ${i} has face ${q.face}, expected group ${face}`);
      }
      start += result.faceCounts[face];
    }
    if (start !== result.quadCount) this.error(`faceCounts sum ${start} != quadCount ${result.quadCount}`);
    for (const q of quadsOf(result)) this.addQuad(q, ox, oy, oz);
  }

  private addQuad(q: Quad, ox: number, oy: number, oz: number): void {
    // Messages are built only on failure: this runs for every face of every test chunk.
    const where = (extra = ""): string => `quad ${JSON.stringify(q)} at chunk origin ${ox},${oy},${oz}${extra}`;
    if (q.face > 5) return this.error(`${where()}: bad face`);
    const [, u, v] = FACE_AXES[q.face];
    if (q.x >= N || q.y >= N || q.z >= N) return this.error(`${where()}: origin outside the chunk`);
    for (let b = 0; b < q.h; b++) {
      for (let a = 0; a < q.w; a++) {
        const c = [q.x, q.y, q.z];
        c[u] += a;
        c[v] += b;
        if (c[u] >= N || c[v] >= N) return this.error(`${where()}: extends outside the chunk`);
        const [x, y, z] = [c[0] + ox, c[1] + oy, c[2] + oz];
        const at = (): string => where(` cell ${x},${y},${z}`);
        const m = this.get(x, y, z);
        if (m === Material.Air) return this.error(`${at()}: covers air`);
        const idx = x + this.sx * (z + this.sz * y);
        const refAo = this.ref.ao[q.face][idx];
        if (refAo < 0) return this.error(`${at()}: covers a hidden face`);
        if (m !== q.material) return this.error(`${at()}: material ${q.material}, voxel is ${m}`);
        if (this.checkAo && refAo !== q.ao) return this.error(`${at()}: ao ${q.ao.toString(4)}, reference ${refAo.toString(4)}`);
        if (this.covered[q.face][idx]++ > 0) return this.error(`${at()}: face covered twice`);
        const key = `${q.face}:${q.material}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      }
    }
  }

  /** Adds "hole" errors for exposed faces nothing covered; returns all errors. */
  finish(): string[] {
    for (let face = 0; face < 6; face++) {
      const ao = this.ref.ao[face];
      for (let i = 0; i < ao.length; i++) {
        if (ao[i] >= 0 && this.covered[face][i] === 0) {
          const x = i % this.sx;
          const z = Math.floor(i / this.sx) % this.sz;
          const y = Math.floor(i / (this.sx * this.sz));
          this.error(`hole: face ${face} of ${x},${y},${z} not covered`);
        }
      }
    }
    return this.errors;
  }

  private error(message: string): void {
    if (this.errors.length < 20) this.errors.push(message);
  }
}

export function getter(p: Uint8Array): VoxelFn {
  return (x, y, z) => p[paddedIndex(x, y, z)];
}

/** Index of the first differing word, or -1 when equal (toEqual on big typed arrays is slow). */
export function firstDifference(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

export function totalArea(result: MeshResult): number {
  return quadsOf(result).reduce((sum, q) => sum + q.w * q.h, 0);
}


/** A few structured chunks of every kind the mesher meets: terrain, caves, walls, materials, edges. */
export function structuredChunks(): [string, Uint8Array][] {
  const rng = new Rng(42);
  const blobs = Array.from({ length: 12 }, () => [rng.range(-4, 36), rng.range(-4, 36), rng.range(-4, 36), rng.range(3, 10), 1 + rng.int(3)]);
  const inBox = (c: number, lo: number, hi: number): boolean => c >= lo && c <= hi;
  const fns: [string, VoxelFn][] = [
    ["spheres", (x, y, z) => {
      for (const [bx, by, bz, r, m] of blobs) if ((x - bx) ** 2 + (y - by) ** 2 + (z - bz) ** 2 <= r * r) return m;
      return y < 6 ? Material.Stone : Material.Air;
    }],
    ["staircase", (x, y) => (y <= x ? Material.Stone : Material.Air)],
    ["hollow box", (x, y, z) => {
      const outer = inBox(x, 4, 27) && inBox(y, 4, 27) && inBox(z, 4, 27);
      return outer && !(inBox(x, 5, 26) && inBox(y, 5, 26) && inBox(z, 5, 26)) ? Material.Wood : Material.Air;
    }],
    ["stripes of materials", (x, y, z) => (y < 16 ? 1 + (((x >> 2) + (z >> 3) + 10) % 5) : Material.Air)],
    ["floor and wall", (x, y) => (y < 4 || (x >= 20 && y < 11) ? Material.Dirt : Material.Air)],
    ["checkerboard", (x, y, z) => ((x + y + z) & 1 ? Material.Brick : Material.Air)],
    ["full chunk in air", (x, y, z) => (Math.min(x, y, z) >= 0 && Math.max(x, y, z) < N ? Material.Stone : Material.Air)],
  ];
  return fns.map(([name, fn]) => [name, padded(fn)]);
}

/** Padded copies of the 4 x 4 columns of chunks around the default world's spawn (all heights): the bench's world64 set. */
export function world64(): Uint8Array[] {
  const { world, spawn } = generateWorld(DEFAULT_WORLD_GEN);
  return chunksAroundSpawn(world, spawn);
}

/** Padded copies of the 4 x 4 chunk columns around `spawn`, every height (64 chunks in the default world). */
export function chunksAroundSpawn(world: World, spawn: readonly number[]): Uint8Array[] {
  const scx = Math.floor(spawn[0]) >> CHUNK_SHIFT;
  const scz = Math.floor(spawn[2]) >> CHUNK_SHIFT;
  const list: Uint8Array[] = [];
  for (let cy = 0; cy < world.size.chunksY; cy++) {
    for (let cz = scz - 2; cz < scz + 2; cz++) {
      for (let cx = scx - 2; cx < scx + 2; cx++) list.push(world.fillPadded(cx, cy, cz, new Uint8Array(PADDED_VOLUME)));
    }
  }
  return list;
}
