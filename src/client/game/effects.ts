// Visual effects that exist only on this screen: a burst of debris where a shot lands (cubes
// in the colour of the material it carved, or of the entity it hit) and the tracer streak
// behind every projectile in flight. Debris lives in fixed typed arrays (swap-remove), falls
// under gravity, rests on solid voxels and shrinks away; nothing allocates after construction.
import { MATERIALS } from "../../shared/voxel/materials.ts";
import { Rng } from "../../shared/voxel/rng.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { BoxSink } from "../render/box-batch.ts";
import type { ProjectileList } from "./authority.ts";

/** Effect tuning (voxels, seconds). */
export const EFFECTS = {
  /** Pieces per impact burst. */
  burst: 14,
  /** Pieces alive at most (the oldest are not replaced: a new burst takes what is free). */
  capacity: 480,
  gravity: 24,
  /** Launch speed range of a piece. */
  minSpeed: 3,
  maxSpeed: 8,
  minLife: 0.5,
  maxLife: 1.1,
  /** Half edge of a piece at launch. */
  size: 0.09,
  /** Tracer: streak length behind the projectile, half thickness, and how far from the muzzle it starts. */
  tracerLength: 3,
  tracerHalf: 0.035,
  muzzleClear: 1.2,
  tracerColor: [1.0, 0.82, 0.35],
} as const;

const F = 3;

/** Debris pieces and tracer drawing. */
export class Effects {
  count = 0;
  private readonly pos = new Float32Array(EFFECTS.capacity * F);
  private readonly vel = new Float32Array(EFFECTS.capacity * F);
  private readonly rgb = new Float32Array(EFFECTS.capacity * F);
  private readonly life = new Float32Array(EFFECTS.capacity);
  private readonly maxLife = new Float32Array(EFFECTS.capacity);
  /** Seeded, so a test sees the same bursts every run. */
  private readonly rng: Rng;

  constructor(seed = 0x2545f491) {
    this.rng = new Rng(seed);
  }

  /** A burst of debris at (x, y, z) in the colour of material `material` (unknown ids: grey). */
  burstMaterial(x: number, y: number, z: number, material: number): void {
    const c = MATERIALS[material]?.color ?? MATERIALS[3].color;
    this.burst(x, y, z, c[0], c[1], c[2], EFFECTS.burst);
  }

  /** `n` pieces of linear colour (r, g, b) flying out of (x, y, z), upwards on average. */
  burst(x: number, y: number, z: number, r: number, g: number, b: number, n: number): void {
    for (let k = 0; k < n && this.count < EFFECTS.capacity; k++) {
      const i = this.count++;
      const o = i * F;
      this.pos[o] = x;
      this.pos[o + 1] = y;
      this.pos[o + 2] = z;
      // A random direction on the upper hemisphere, tilted outwards.
      const a = this.rng.next() * Math.PI * 2;
      const up = 0.25 + this.rng.next() * 0.75;
      const side = Math.sqrt(1 - up * up);
      const speed = EFFECTS.minSpeed + this.rng.next() * (EFFECTS.maxSpeed - EFFECTS.minSpeed);
      this.vel[o] = Math.cos(a) * side * speed;
      this.vel[o + 1] = up * speed;
      this.vel[o + 2] = Math.sin(a) * side * speed;
      // Slight per-piece shade, so a burst does not read as one flat colour.
      const shade = 0.75 + this.rng.next() * 0.35;
      this.rgb[o] = r * shade;
      this.rgb[o + 1] = g * shade;
      this.rgb[o + 2] = b * shade;
      this.life[i] = this.maxLife[i] = EFFECTS.minLife + this.rng.next() * (EFFECTS.maxLife - EFFECTS.minLife);
    }
  }

  /** Advances every piece by dt; pieces stop on solid voxels (when a world is given) and expire. */
  step(dt: number, world: World | null): void {
    let i = 0;
    while (i < this.count) {
      this.life[i] -= dt;
      if (this.life[i] <= 0) {
        this.remove(i);
        continue;
      }
      const o = i * F;
      this.vel[o + 1] -= EFFECTS.gravity * dt;
      const nx = this.pos[o] + this.vel[o] * dt;
      const ny = this.pos[o + 1] + this.vel[o + 1] * dt;
      const nz = this.pos[o + 2] + this.vel[o + 2] * dt;
      if (world !== null && solid(world, nx, ny, nz)) {
        // Landed (or struck a wall): stop and rest where it was.
        this.vel[o] = this.vel[o + 1] = this.vel[o + 2] = 0;
      } else {
        this.pos[o] = nx;
        this.pos[o + 1] = ny;
        this.pos[o + 2] = nz;
      }
      i++;
    }
  }

  /** Pushes every piece, shrinking with its remaining life. */
  draw(sink: BoxSink): void {
    for (let i = 0; i < this.count; i++) {
      const o = i * F;
      const h = EFFECTS.size * Math.min(1, (this.life[i] / this.maxLife[i]) * 1.5);
      if (!sink.pushOriented(this.pos[o], this.pos[o + 1], this.pos[o + 2], h, h, h, this.rgb[o], this.rgb[o + 1], this.rgb[o + 2], 0.3, 0, 0, 0)) return;
    }
  }

  /**
   * Pushes a tracer for every projectile of `list`: a thin glowing streak behind it along its
   * direction, never reaching back past where it was fired (`traveled`), so the shooter's own
   * view is not crossed by it.
   */
  drawTracers(sink: BoxSink, list: ProjectileList): void {
    const c = EFFECTS.tracerColor;
    const t = EFFECTS.tracerHalf;
    for (let i = 0; i < list.count; i++) {
      const k = i * 3;
      const len = Math.min(EFFECTS.tracerLength, list.traveled[i] - EFFECTS.muzzleClear);
      if (len <= 0.05) continue;
      const dx = list.dir[k], dy = list.dir[k + 1], dz = list.dir[k + 2];
      const half = len / 2;
      const x = list.xyz[k] - dx * half, y = list.xyz[k + 1] - dy * half, z = list.xyz[k + 2] - dz * half;
      if (!sink.pushOriented(x, y, z, t, t, half, c[0], c[1], c[2], 1, dx, dy, dz)) return;
    }
  }

  /** Drops every piece (a rejoin). */
  clear(): void {
    this.count = 0;
  }

  private remove(i: number): void {
    const last = --this.count;
    if (i === last) return;
    this.pos.copyWithin(i * F, last * F, last * F + F);
    this.vel.copyWithin(i * F, last * F, last * F + F);
    this.rgb.copyWithin(i * F, last * F, last * F + F);
    this.life[i] = this.life[last];
    this.maxLife[i] = this.maxLife[last];
  }

}

function solid(world: World, x: number, y: number, z: number): boolean {
  return world.get(Math.floor(x), Math.floor(y), Math.floor(z)) !== 0;
}
