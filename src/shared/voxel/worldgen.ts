// Deterministic world generator. Client and server both run it from the seed and must get
// byte-identical worlds, so all randomness comes from rng.ts (integer hashing, IEEE-exact
// arithmetic) and every loop runs in a fixed order.
//
// Layout around the spawn point (sx, sz) = world centre, feet at y = plaza + 1, on a flat
// grass plaza of radius WORLDGEN.plazaFlat (44):
//   did 1  brick wall across -Z: x sx-8..sx+8, z sz-17..sz-16, 8 high. Its front face (z = sz-15)
//          is 15.5 voxels in front of a player spawned facing -Z (yaw 0).
//   did 2  stone tower, 7x7, 22 high, ahead-left at x sx-27..sx-21, z sz-36..sz-30.
//   did 3+ crates clear of the line of fire (x >= sx+9 ahead, one behind-left), then random
//          structures, one jittered slot per 44x44 cell outside the plaza.
import { clamp } from "../math.ts";
import { voxelIndex } from "./constants.ts";
import { buildDestructibleIndex, DestructibleKind } from "./destructibles.ts";
import type { Destructible, DestructibleIndex } from "./destructibles.ts";
import { Material } from "./materials.ts";
import { deriveSeed, fbm2, fbm3, hash2, Rng } from "./rng.ts";
import { World } from "./world.ts";

export { destructibleAt } from "./destructibles.ts";
export type { Destructible, DestructibleIndex } from "./destructibles.ts";

/** Inputs of the generator: the seed and the world's size in chunks. */
export interface WorldGenConfig {
  readonly seed: number;
  readonly chunksX: number;
  readonly chunksY: number;
  readonly chunksZ: number;
}

/** Default world: 16x4x16 chunks = 512x128x512 voxels. */
export const DEFAULT_WORLD_GEN: WorldGenConfig = { seed: 1337, chunksX: 16, chunksY: 4, chunksZ: 16 } as const;

/** Yaw the player should spawn with: 0 faces -Z, towards the spawn wall (did SPAWN_WALL_DID). */
export const SPAWN_YAW = 0;
/** did of the brick wall built 15.5 voxels in front (-Z) of the spawn point. */
export const SPAWN_WALL_DID = 1;
/** did of the tower built near the spawn point. */
export const SPAWN_TOWER_DID = 2;

/** Output of generateWorld. */
export interface GeneratedWorld {
  readonly world: World;
  /** Sorted by did; destructibles[i].did === i + 1. */
  readonly destructibles: readonly Destructible[];
  /** Spatial index over `destructibles`, for destructibleAt. */
  readonly index: DestructibleIndex;
  /** Feet position of a standing player: centre of a free voxel column, on solid ground. */
  readonly spawn: readonly [number, number, number];
  /** Terrain top (highest solid terrain y) per column, index x + z * world.maxX, before structures. */
  readonly surface: Int16Array;
}

/** Generation tuning; as const so tests and tools can reason about the ranges. */
export const WORLDGEN = {
  minHeight: 20,
  maxHeight: 70,
  /** Columns whose top is at or below this get sand instead of grass. */
  sandLevel: 27,
  dirtDepth: 3,
  /** Caves stay at least this many voxels below the surface, so they rarely break through. */
  caveRoof: 6,
  /**
   * Cave noise is sampled every 1 << caveShiftXZ voxels horizontally and 1 << caveShiftY
   * vertically, then interpolated: the tunnels' noise is squashed vertically, so the grid is too.
   */
  caveShiftXZ: 3,
  caveShiftY: 2,
  /** A voxel is cave when n1^2 + n2^2 < caveThreshold (two noise zero-sets cross = tunnels). */
  caveThreshold: 0.006,
  plazaFlat: 44,
  plazaBlend: 72,
  /** Random structures: one jittered slot per cell of this edge length. */
  cell: 44,
} as const;

/** Generates terrain, caves and destructible structures for `config`; deterministic in the seed. */
export function generateWorld(config: WorldGenConfig): GeneratedWorld {
  const world = new World({ chunksX: config.chunksX, chunksY: config.chunksY, chunksZ: config.chunksZ });
  const seed = config.seed | 0;
  const sx = world.maxX >> 1;
  const sz = world.maxZ >> 1;
  const surface = buildHeightmap(world, seed, sx, sz);
  fillTerrain(world, seed, surface);
  const plaza = surface[sx + sz * world.maxX];
  const builder = new StructureBuilder(world, surface);
  buildSpawnArea(builder, sx, sz);
  scatterStructures(builder, new Rng(deriveSeed(seed, 7)), sx, sz);
  const destructibles = builder.list;
  return {
    world,
    destructibles,
    index: buildDestructibleIndex(destructibles, world.size),
    spawn: [sx + 0.5, plaza + 1, sz + 0.5],
    surface,
  };
}

/** Raw terrain height before the spawn plaza is flattened. */
function rawHeight(hSeed: number, dSeed: number, x: number, z: number, top: number): number {
  const base = fbm2(hSeed, x / 200, z / 200, 4);
  const detail = fbm2(dSeed, x / 40, z / 40, 2);
  return clamp(Math.floor(44 + base * 62 + detail * 5), WORLDGEN.minHeight, top);
}

function buildHeightmap(world: World, seed: number, sx: number, sz: number): Int16Array {
  const W = world.maxX;
  const D = world.maxZ;
  // Leave room above the terrain for the tallest structure.
  const top = Math.max(1, Math.min(WORLDGEN.maxHeight, world.maxY - 34));
  const hSeed = deriveSeed(seed, 1);
  const dSeed = deriveSeed(seed, 2);
  const heights = new Int16Array(W * D);
  const plaza = clamp(rawHeight(hSeed, dSeed, sx, sz, top), Math.min(32, top), top);
  const { plazaFlat, plazaBlend } = WORLDGEN;
  for (let z = 0; z < D; z++) {
    for (let x = 0; x < W; x++) {
      let h = rawHeight(hSeed, dSeed, x, z, top);
      const dx = x - sx;
      const dz = z - sz;
      const d2 = dx * dx + dz * dz;
      if (d2 < plazaBlend * plazaBlend) {
        // Smoothstep from the flat plaza out to the natural terrain.
        const t = clamp((Math.sqrt(d2) - plazaFlat) / (plazaBlend - plazaFlat), 0, 1);
        const s = t * t * (3 - 2 * t);
        h = Math.round(plaza + (h - plaza) * s);
      }
      heights[x + z * W] = h;
    }
  }
  return heights;
}

/** One cave noise field sampled on a gx*gy*gz grid of spacing s (x, z) and sy (y); index i + gx * (k + gz * j). */
function caveNoise(seed: number, gx: number, gy: number, gz: number, s: number, sy: number): Float64Array {
  const n = new Float64Array(gx * gy * gz);
  for (let j = 0; j < gy; j++) {
    for (let k = 0; k < gz; k++) {
      // Vertically squashed frequencies keep tunnels mostly horizontal and walkable.
      for (let i = 0; i < gx; i++) n[i + gx * (k + gz * j)] = fbm3(seed, (i * s) / 56, (j * sy) / 28, (k * s) / 56, 2);
    }
  }
  return n;
}

function fillTerrain(world: World, seed: number, heights: Int16Array): void {
  const W = world.maxX;
  const D = world.maxZ;
  const { caveShiftXZ: SH, caveShiftY: SHY, caveRoof, dirtDepth, sandLevel } = WORLDGEN;
  const S = 1 << SH;
  const MASK = S - 1;
  const SY = 1 << SHY;
  let maxH = 0;
  for (let i = 0; i < heights.length; i++) if (heights[i] > maxH) maxH = heights[i];

  // Two 3D noise fields on a coarse grid; tunnels run where both are near zero. Sampling on a
  // grid and interpolating is ~S*S*SY times cheaper than per-voxel noise and looks the same.
  const gx = (W >> SH) + 1;
  const gz = (D >> SH) + 1;
  const gy = ((maxH + SY) >> SHY) + 1;
  const n1 = caveNoise(deriveSeed(seed, 3), gx, gy, gz, S, SY);
  const n2 = caveNoise(deriveSeed(seed, 4), gx, gy, gz, S, SY);

  const colA = new Float64Array(gy);
  const colB = new Float64Array(gy);
  const cys = world.size.chunksY;
  const chunks: Uint8Array[] = new Array<Uint8Array>(cys);
  const dirtSeed = deriveSeed(seed, 5);
  for (let z = 0; z < D; z++) {
    const k = z >> SH;
    const fz = (z & MASK) / S;
    for (let x = 0; x < W; x++) {
      const h = heights[x + z * W];
      const i = x >> SH;
      const fx = (x & MASK) / S;
      for (let cy = 0; cy < cys; cy++) chunks[cy] = world.chunkData(x >> 5, cy, z >> 5);
      const caveTop = h - caveRoof;
      if (caveTop >= 2) {
        // Bilinear in x/z once per column; the per-voxel work is then one lerp in y.
        const jMax = Math.min(gy - 1, (caveTop >> SHY) + 1);
        for (let j = 0; j <= jMax; j++) {
          const g00 = i + gx * (k + gz * j);
          const g10 = g00 + 1;
          const g01 = g00 + gx;
          const g11 = g01 + 1;
          const a0 = n1[g00] + fx * (n1[g10] - n1[g00]);
          const a1 = n1[g01] + fx * (n1[g11] - n1[g01]);
          colA[j] = a0 + fz * (a1 - a0);
          const b0 = n2[g00] + fx * (n2[g10] - n2[g00]);
          const b1 = n2[g01] + fx * (n2[g11] - n2[g01]);
          colB[j] = b0 + fz * (b1 - b0);
        }
      }
      const sandy = h <= sandLevel;
      const dirtBottom = h - dirtDepth - (hash2(dirtSeed, x, z) & 1);
      const column = voxelIndex(x & 31, 0, z & 31);
      // The column in bands of one material: bedrock at 0, stone to dirtBottom, dirt (or sand)
      // below the top, grass (or sand) at h. Caves are cut only in 2..caveTop.
      chunks[0][column] = Material.Bedrock;
      const under = sandy ? Material.Sand : Material.Dirt;
      fillBand(chunks, column, 1, Math.min(dirtBottom, h - 1), Material.Stone, caveTop, colA, colB);
      fillBand(chunks, column, Math.max(1, dirtBottom + 1), h - 1, under, caveTop, colA, colB);
      if (h > 0) fillBand(chunks, column, h, h, sandy ? Material.Sand : Material.Grass, caveTop, colA, colB);
    }
  }
}

/**
 * Sets y = from..to (inclusive) of one column to `m`, leaving air where the cave fields cross
 * (y in 2..caveTop, see fillTerrain). `column` is the column's index in its chunks (y = 0).
 */
function fillBand(chunks: readonly Uint8Array[], column: number, from: number, to: number, m: number, caveTop: number, colA: Float64Array, colB: Float64Array): void {
  const { caveShiftY: SHY, caveThreshold } = WORLDGEN;
  const SY = 1 << SHY;
  const MASKY = SY - 1;
  const caveFrom = Math.max(from, 2);
  const caveTo = Math.min(to, caveTop);
  for (let y = from; y <= to; y++) {
    if (y >= caveFrom && y <= caveTo) {
      const j = y >> SHY;
      const fy = (y & MASKY) / SY;
      const a = colA[j] + fy * (colA[j + 1] - colA[j]);
      const b = colB[j] + fy * (colB[j + 1] - colB[j]);
      if (a * a + b * b < caveThreshold) continue;
    }
    chunks[y >> 5][column | ((y & 31) << 10)] = m;
  }
}

/** Writes structures straight into chunk data (no version bumps: generation is version 0). */
class StructureBuilder {
  readonly list: Destructible[] = [];
  private readonly taken: number[] = [];

  constructor(
    readonly world: World,
    readonly surface: Int16Array,
  ) {}

  put(x: number, y: number, z: number, m: number): void {
    const w = this.world;
    if (x < 0 || y < 0 || z < 0 || x >= w.maxX || y >= w.maxY || z >= w.maxZ) return;
    w.chunkData(x >> 5, y >> 5, z >> 5)[voxelIndex(x & 31, y & 31, z & 31)] = m;
  }

  /** Highest and lowest terrain top over a footprint. */
  ground(x0: number, z0: number, x1: number, z1: number): [number, number] {
    let hi = -1;
    let lo = 1 << 30;
    for (let z = z0; z <= z1; z++) {
      for (let x = x0; x <= x1; x++) {
        const h = this.surface[x + z * this.world.maxX];
        if (h > hi) hi = h;
        if (h < lo) lo = h;
      }
    }
    return [hi, lo];
  }

  /** True when the footprint (plus a 1-voxel gap) is inside the world and overlaps nothing placed. */
  fits(x0: number, z0: number, x1: number, z1: number, y1: number): boolean {
    const w = this.world;
    if (x0 < 1 || z0 < 1 || x1 >= w.maxX - 1 || z1 >= w.maxZ - 1 || y1 >= w.maxY) return false;
    const t = this.taken;
    for (let i = 0; i < t.length; i += 4) {
      if (x0 <= t[i + 2] + 1 && x1 >= t[i] - 1 && z0 <= t[i + 3] + 1 && z1 >= t[i + 1] - 1) return false;
    }
    return true;
  }

  /** Fills each footprint column from the terrain up to `baseY` so nothing floats. */
  foundation(x0: number, z0: number, x1: number, z1: number, baseY: number, m: number): void {
    for (let z = z0; z <= z1; z++) {
      for (let x = x0; x <= x1; x++) {
        for (let y = this.surface[x + z * this.world.maxX] + 1; y <= baseY; y++) this.put(x, y, z, m);
      }
    }
  }

  add(kind: DestructibleKind, min: [number, number, number], max: [number, number, number], material: number): number {
    const did = this.list.length + 1;
    this.list.push({ did, kind, min, max, material });
    this.taken.push(min[0], min[2], max[0], max[2]);
    return did;
  }

  /** Hollow tower of side `s` with glass windows, a doorway, a roof and battlements. */
  tower(x0: number, z0: number, s: number, height: number, m: number, doorSide: number): number {
    const x1 = x0 + s - 1;
    const z1 = z0 + s - 1;
    const [hi, lo] = this.ground(x0, z0, x1, z1);
    const top = hi + height + 2;
    if (!this.fits(x0, z0, x1, z1, top)) return 0;
    this.foundation(x0, z0, x1, z1, hi, m);
    const mid = s >> 1;
    for (let y = hi + 1; y <= hi + height; y++) {
      const ly = y - hi;
      const windowRow = ly % 6 === 4 || ly % 6 === 5;
      for (let z = z0; z <= z1; z++) {
        for (let x = x0; x <= x1; x++) {
          const edgeX = x === x0 || x === x1;
          const edgeZ = z === z0 || z === z1;
          if (!edgeX && !edgeZ) continue;
          const along = edgeX && edgeZ ? -1 : edgeX ? z - z0 : x - x0;
          const side = z === z0 ? 0 : z === z1 ? 1 : x === x0 ? 2 : 3;
          if (ly <= 2 && along === mid && side === doorSide) continue;
          const isWindow = ly > 2 && windowRow && (along === mid || along === mid - 1) && along > 0 && along < s - 1;
          this.put(x, y, z, isWindow ? Material.Glass : m);
        }
      }
    }
    const roof = hi + height + 1;
    for (let z = z0; z <= z1; z++) {
      for (let x = x0; x <= x1; x++) {
        this.put(x, roof, z, m);
        const edge = x === x0 || x === x1 || z === z0 || z === z1;
        if (edge && ((x + z) & 1) === 0) this.put(x, roof + 1, z, m);
      }
    }
    return this.add(DestructibleKind.Tower, [x0, lo + 1, z0], [x1, top, z1], m);
  }

  /** Solid wall from (x0, z0) to (x1, z1) inclusive, `height` above the highest ground. */
  wall(x0: number, z0: number, x1: number, z1: number, height: number, m: number): number {
    const [hi, lo] = this.ground(x0, z0, x1, z1);
    const top = hi + height;
    if (!this.fits(x0, z0, x1, z1, top)) return 0;
    this.foundation(x0, z0, x1, z1, hi, m);
    for (let y = hi + 1; y <= top; y++) {
      for (let z = z0; z <= z1; z++) for (let x = x0; x <= x1; x++) this.put(x, y, z, m);
    }
    return this.add(DestructibleKind.Wall, [x0, lo + 1, z0], [x1, top, z1], m);
  }

  /** Wooden crate cube of side `s` (metal corners from side 3), standing on the ground or on `baseY`. */
  crate(x0: number, z0: number, s: number, baseY = -1): number {
    const x1 = x0 + s - 1;
    const z1 = z0 + s - 1;
    const [hi, lo] = this.ground(x0, z0, x1, z1);
    const stacked = baseY >= 0;
    const b = stacked ? baseY : hi;
    if (!stacked && !this.fits(x0, z0, x1, z1, b + s)) return 0;
    if (!stacked) this.foundation(x0, z0, x1, z1, b, Material.Wood);
    for (let y = b + 1; y <= b + s; y++) {
      for (let z = z0; z <= z1; z++) {
        for (let x = x0; x <= x1; x++) {
          const n = +(x === x0 || x === x1) + +(y === b + 1 || y === b + s) + +(z === z0 || z === z1);
          // A 2-voxel crate is all corners; it stays plain wood.
          this.put(x, y, z, n === 3 && s > 2 ? Material.Metal : Material.Wood);
        }
      }
    }
    const minY = stacked ? b + 1 : lo + 1;
    const did = this.list.length + 1;
    // A stacked crate shares the footprint of the crate below, so it is not added to `taken`.
    if (stacked) this.list.push({ did, kind: DestructibleKind.Crate, min: [x0, minY, z0], max: [x1, b + s, z1], material: Material.Wood });
    else this.add(DestructibleKind.Crate, [x0, minY, z0], [x1, b + s, z1], Material.Wood);
    return did;
  }
}

function buildSpawnArea(b: StructureBuilder, sx: number, sz: number): void {
  // Order matters: the wall must be did 1 and the tower did 2 (SPAWN_WALL_DID, SPAWN_TOWER_DID).
  b.wall(sx - 8, sz - 17, sx + 8, sz - 16, 8, Material.Brick);
  b.tower(sx - 27, sz - 36, 7, 22, Material.Stone, 1);
  const c = b.crate(sx + 9, sz - 6, 3);
  if (c) b.crate(sx + 9, sz - 6, 3, b.list[c - 1].max[1]);
  b.crate(sx + 13, sz - 5, 3);
  b.crate(sx - 14, sz + 6, 3);
}

function scatterStructures(b: StructureBuilder, rng: Rng, sx: number, sz: number): void {
  const cell = WORLDGEN.cell;
  const keepOut = WORLDGEN.plazaBlend + 4;
  const cellsX = Math.floor(b.world.maxX / cell);
  const cellsZ = Math.floor(b.world.maxZ / cell);
  for (let cz = 0; cz < cellsZ; cz++) {
    for (let cx = 0; cx < cellsX; cx++) {
      // Always draw the same number of values per cell, so one cell's outcome never shifts
      // the random stream of the next.
      const roll = rng.next();
      const a = rng.nextU32();
      const bb = rng.nextU32();
      const c = rng.nextU32();
      const x0 = cx * cell + 4 + (a % 12);
      const z0 = cz * cell + 4 + (bb % 12);
      // Skip cells that touch the spawn plaza: the spawn area has its own hand-placed layout.
      const nx = clamp(sx, cx * cell, cx * cell + cell);
      const nz = clamp(sz, cz * cell, cz * cell + cell);
      if ((nx - sx) * (nx - sx) + (nz - sz) * (nz - sz) < keepOut * keepOut) continue;
      if (roll < 0.3) {
        const s = 5 + 2 * (c % 3);
        const m = (c >>> 4) & 1 ? Material.Brick : Material.Stone;
        b.tower(x0, z0, s, 12 + ((c >>> 8) % 15), m, (c >>> 16) & 3);
      } else if (roll < 0.65) {
        const len = 10 + (c % 15);
        const thick = 1 + ((c >>> 5) & 1);
        const height = 4 + ((c >>> 8) % 5);
        if ((c >>> 12) & 1) b.wall(x0, z0, x0 + len - 1, z0 + thick - 1, height, Material.Brick);
        else b.wall(x0, z0, x0 + thick - 1, z0 + len - 1, height, Material.Brick);
      } else if (roll < 0.92) {
        const n = 2 + (c % 4);
        for (let i = 0; i < n; i++) {
          const did = b.crate(x0 + (i & 1) * 5, z0 + (i >> 1) * 5, 2 + ((c >>> (4 + i)) & 1));
          if (did && ((c >>> (10 + i)) & 1)) {
            const d = b.list[did - 1];
            b.crate(d.min[0], d.min[2], d.max[0] - d.min[0] + 1, d.max[1]);
          }
        }
      }
    }
  }
}
