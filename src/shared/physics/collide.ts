// Axis-aligned box against voxels, moved one axis at a time (Y, then X, then Z). Each axis is
// swept over the voxel slabs it crosses, so no speed can tunnel through a wall, and the box
// stops exactly on the voxel boundary. Outside the world's X/Z extent counts as solid (an
// invisible border), below y = 0 is bedrock (World.get).
import { Material } from "../voxel/materials.ts";
import type { World } from "../voxel/world.ts";

/** Player box: feet-centred, half width on X and Z, full height on Y. */
export const PLAYER_BOX = { halfWidth: 0.3, height: 1.8, stepHeight: 1 } as const;

/** Box dimensions accepted by moveAndCollide (PLAYER_BOX or an NPC's). */
export interface BoxSize {
  readonly halfWidth: number;
  readonly height: number;
  /** Highest ledge climbed automatically when walking on the ground; 0 disables step-up. */
  readonly stepHeight: number;
}

/** A 3-vector stored in place. Use Float64Array or number[]: a Float32Array would round. */
export type Vec3 = number[] | Float64Array;

/** Reusable output of moveAndCollide. */
export class CollideResult {
  /** Standing on a solid voxel after the move (the downward sweep was blocked). */
  onGround = false;
  hitX = false;
  hitY = false;
  hitZ = false;
  /** The box was lifted onto a ledge this move. */
  stepped = false;
}

/** Touching is not overlapping: faces within EPS of a voxel boundary do not collide. */
const EPS = 1e-7;

function solidAt(world: World, x: number, y: number, z: number): boolean {
  if (x < 0 || z < 0 || x >= world.maxX || z >= world.maxZ) return true;
  return world.get(x, y, z) !== Material.Air;
}

/** True when the box with feet at (px, py, pz) overlaps any solid voxel. */
export function boxOverlapsSolid(world: World, px: number, py: number, pz: number, box: BoxSize): boolean {
  const x0 = Math.floor(px - box.halfWidth + EPS);
  const x1 = Math.ceil(px + box.halfWidth - EPS) - 1;
  const y0 = Math.floor(py + EPS);
  const y1 = Math.ceil(py + box.height - EPS) - 1;
  const z0 = Math.floor(pz - box.halfWidth + EPS);
  const z1 = Math.ceil(pz + box.halfWidth - EPS) - 1;
  for (let y = y0; y <= y1; y++) {
    for (let z = z0; z <= z1; z++) {
      for (let x = x0; x <= x1; x++) if (solidAt(world, x, y, z)) return true;
    }
  }
  return false;
}

// Box extents as [min, max) per axis: 0 = x, 1 = y, 2 = z. Module scratch: allocation-free.
const lo = new Float64Array(3);
const hi = new Float64Array(3);
const cell = new Int32Array(3);

function setBox(px: number, py: number, pz: number, box: BoxSize): void {
  lo[0] = px - box.halfWidth;
  hi[0] = px + box.halfWidth;
  lo[1] = py;
  hi[1] = py + box.height;
  lo[2] = pz - box.halfWidth;
  hi[2] = pz + box.halfWidth;
}

/**
 * Sweeps the box in lo/hi by `d` along `axis` and returns the allowed displacement: `d` when
 * free, otherwise the distance to the first solid voxel slab it would enter.
 */
function sweep(world: World, axis: number, d: number): number {
  if (d === 0) return 0;
  const a1 = axis === 0 ? 1 : 0;
  const a2 = axis === 2 ? 1 : 2;
  const j0 = Math.floor(lo[a1] + EPS);
  const j1 = Math.ceil(hi[a1] - EPS) - 1;
  const k0 = Math.floor(lo[a2] + EPS);
  const k1 = Math.ceil(hi[a2] - EPS) - 1;
  if (d > 0) {
    // Slabs newly entered: i >= the leading face (not overlapped before), i < face + d.
    // The mirror image below: i + 1 <= the trailing face, i + 1 > face + d.
    const target = hi[axis] + d;
    for (let i = Math.floor(hi[axis] - EPS) + 1; i < target; i++) {
      if (slabSolid(world, axis, i, a1, j0, j1, a2, k0, k1)) return Math.max(0, i - hi[axis]);
    }
  } else {
    const target = lo[axis] + d;
    for (let i = Math.floor(lo[axis] + EPS) - 1; i + 1 > target; i--) {
      if (slabSolid(world, axis, i, a1, j0, j1, a2, k0, k1)) return Math.min(0, i + 1 - lo[axis]);
    }
  }
  return d;
}

function slabSolid(world: World, axis: number, i: number, a1: number, j0: number, j1: number, a2: number, k0: number, k1: number): boolean {
  cell[axis] = i;
  for (let j = j0; j <= j1; j++) {
    cell[a1] = j;
    for (let k = k0; k <= k1; k++) {
      cell[a2] = k;
      if (solidAt(world, cell[0], cell[1], cell[2])) return true;
    }
  }
  return false;
}

/**
 * Moves the box with feet at `pos` by `vel * dt` against the voxels, axis by axis (Y, X, Z),
 * writing the new position into `pos` and zeroing each blocked component of `vel`. With
 * `wasOnGround` and box.stepHeight > 0, a horizontal move blocked by a ledge up to stepHeight
 * high lifts the box onto it when there is head room. Deterministic and allocation-free.
 */
export function moveAndCollide(
  world: World,
  pos: Vec3,
  vel: Vec3,
  dt: number,
  out: CollideResult,
  box: BoxSize = PLAYER_BOX,
  wasOnGround = false,
): CollideResult {
  out.onGround = false;
  out.hitX = false;
  out.hitY = false;
  out.hitZ = false;
  out.stepped = false;

  const dy = vel[1] * dt;
  setBox(pos[0], pos[1], pos[2], box);
  const my = sweep(world, 1, dy);
  pos[1] += my;
  if (my !== dy) {
    out.hitY = true;
    if (dy < 0) out.onGround = true;
    vel[1] = 0;
  }
  const grounded = out.onGround || wasOnGround;
  moveHorizontal(world, pos, vel, dt, 0, box, grounded, out);
  moveHorizontal(world, pos, vel, dt, 2, box, grounded, out);
  return out;
}

function moveHorizontal(world: World, pos: Vec3, vel: Vec3, dt: number, axis: 0 | 2, box: BoxSize, grounded: boolean, out: CollideResult): void {
  const d = vel[axis] * dt;
  if (d === 0) return;
  setBox(pos[0], pos[1], pos[2], box);
  let m = sweep(world, axis, d);
  if (m !== d && grounded && box.stepHeight > 0) {
    const stepped = tryStep(world, pos, axis, d, m, box);
    if (stepped !== m) {
      out.stepped = true;
      m = stepped;
    }
  }
  pos[axis] += m;
  if (m !== d) {
    vel[axis] = 0;
    if (axis === 0) out.hitX = true;
    else out.hitZ = true;
  }
}

/**
 * Tries the blocked horizontal move again lifted by 1..stepHeight whole voxels. When a lifted
 * sweep gets further than `blocked`, moves the box up, lets it settle back down onto the ledge
 * at the new spot and returns the horizontal displacement still to apply; else returns `blocked`.
 */
function tryStep(world: World, pos: Vec3, axis: 0 | 2, d: number, blocked: number, box: BoxSize): number {
  // Standing heights are whole voxels, so ledge tops are the next integers above the feet.
  const base = Math.floor(pos[1] + EPS);
  for (let up = 1; up <= box.stepHeight; up++) {
    const y = base + up;
    if (y - pos[1] > box.stepHeight + EPS) break;
    // The sweep only checks slabs it newly enters, so the lifted box must start in free space.
    if (boxOverlapsSolid(world, pos[0], y, pos[2], box)) break;
    setBox(pos[0], y, pos[2], box);
    const m = sweep(world, axis, d);
    if (Math.abs(m) > Math.abs(blocked) + EPS) {
      setBox(axis === 0 ? pos[0] + m : pos[0], y, axis === 2 ? pos[2] + m : pos[2], box);
      pos[1] = y + sweep(world, 1, pos[1] - y);
      return m;
    }
  }
  return blocked;
}
