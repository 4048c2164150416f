import { raycastVoxels, RayHit } from "../../shared/physics/raycast.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { ProjectileList } from "./authority.ts";

/** Projectile tuning (voxels, seconds). */
export const PROJECTILE = {
  /** Straight flight (no gravity), so what the crosshair covers is what gets hit. */
  speed: 60,
  maxAge: 3,
  craterRadius: 3,
  /** Minimum time between shots. */
  cooldown: 0.2,
} as const;

/** Called once per impact with the hit (reused object: read it during the call) and the projectile's tag. */
export type ImpactHandler = (hit: RayHit, tag: number) => void;

/**
 * Straight-flying projectiles in fixed-capacity typed arrays. Each step sweeps the segment
 * travelled with the voxel DDA, so a fast shot cannot skip through a thin wall. Each projectile
 * carries a caller-chosen tag (online: the fire command's id, to retire it when the server
 * reports the outcome). Allocation-free after construction.
 */
export class Projectiles implements ProjectileList {
  count = 0;
  readonly xyz: Float64Array;
  /** Voxels per second and seconds of flight; the server's values online (from its welcome). */
  speed: number = PROJECTILE.speed;
  maxAge: number = PROJECTILE.maxAge;
  readonly dir: Float64Array;
  readonly traveled: Float64Array;
  private readonly age: Float64Array;
  private readonly tags: Float64Array;
  private readonly hit = new RayHit();

  constructor(readonly capacity = 64) {
    this.xyz = new Float64Array(capacity * 3);
    this.dir = new Float64Array(capacity * 3);
    this.traveled = new Float64Array(capacity);
    this.age = new Float64Array(capacity);
    this.tags = new Float64Array(capacity);
  }

  /** Launches a projectile; `d` need not be unit length. False when full or the direction is degenerate. */
  spawn(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, tag = 0): boolean {
    const len = Math.hypot(dx, dy, dz);
    if (this.count >= this.capacity || !(len > 0) || !Number.isFinite(len + ox + oy + oz)) return false;
    const i = this.count++;
    this.xyz[i * 3] = ox;
    this.xyz[i * 3 + 1] = oy;
    this.xyz[i * 3 + 2] = oz;
    this.dir[i * 3] = dx / len;
    this.dir[i * 3 + 1] = dy / len;
    this.dir[i * 3 + 2] = dz / len;
    this.age[i] = 0;
    this.traveled[i] = 0;
    this.tags[i] = tag;
    return true;
  }

  /** Removes the projectile carrying `tag`, if any; true when one was removed. */
  removeTag(tag: number): boolean {
    for (let i = 0; i < this.count; i++) {
      if (this.tags[i] === tag) {
        this.remove(i);
        return true;
      }
    }
    return false;
  }

  /** Moves every projectile by dt; calls onImpact for those that hit a solid voxel and removes them. */
  step(world: World, dt: number, onImpact: ImpactHandler): void {
    const step = this.speed * dt;
    let i = 0;
    while (i < this.count) {
      const k = i * 3;
      const x = this.xyz[k], y = this.xyz[k + 1], z = this.xyz[k + 2];
      const dx = this.dir[k], dy = this.dir[k + 1], dz = this.dir[k + 2];
      if (raycastVoxels(world, x, y, z, dx, dy, dz, step, this.hit)) {
        onImpact(this.hit, this.tags[i]);
        this.remove(i);
        continue;
      }
      this.age[i] += dt;
      if (this.age[i] > this.maxAge) {
        this.remove(i);
        continue;
      }
      this.xyz[k] = x + dx * step;
      this.xyz[k + 1] = y + dy * step;
      this.xyz[k + 2] = z + dz * step;
      this.traveled[i] += step;
      i++;
    }
  }

  /** Swap-remove: order does not matter. */
  private remove(i: number): void {
    const last = --this.count;
    if (i === last) return;
    this.xyz.copyWithin(i * 3, last * 3, last * 3 + 3);
    this.dir.copyWithin(i * 3, last * 3, last * 3 + 3);
    this.age[i] = this.age[last];
    this.traveled[i] = this.traveled[last];
    this.tags[i] = this.tags[last];
  }
}
