// A simple player behaviour for load bots: walk on a heading that changes every few seconds,
// head back when too far from the world spawn, and fire ahead and slightly down every few
// seconds (so shots land on terrain and structures and carve). Randomness is a seeded Rng per
// bot, so a run is repeatable given the same server.
import { Rng } from "../../shared/voxel/rng.ts";
import type { Bot } from "./bot.ts";

/** Tuning of the load behaviour. */
export interface WanderOptions {
  /** Mean seconds between shots (0 = never fire). */
  readonly fireEvery: number;
  /** Bots turn back towards the spawn beyond this distance (voxels). */
  readonly roam: number;
  /** Input rate (Hz). */
  readonly inputHz: number;
}

/** Per-bot behaviour state, stepped at inputHz by the owner's timer. */
export class Wanderer {
  private readonly rng: Rng;
  private yaw: number;
  private legLeft = 0;
  private walking = true;
  private nextFire: number;

  constructor(
    private readonly bot: Bot,
    private readonly opts: WanderOptions,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    this.yaw = this.rng.next() * Math.PI * 2;
    this.nextFire = opts.fireEvery > 0 ? this.rng.next() * opts.fireEvery : Infinity;
  }

  /** One input step; `t` is seconds since the bots started moving. */
  step(t: number): void {
    const bot = this.bot;
    const w = bot.welcome;
    if (w === null || bot.closed !== null) return;
    const dt = 1 / this.opts.inputHz;
    if ((this.legLeft -= dt) <= 0) {
      this.legLeft = 2 + this.rng.next() * 4;
      this.walking = this.rng.next() > 0.1;
      this.yaw = this.rng.next() * Math.PI * 2;
    }
    const dx = bot.self.x - (w.chunksX * 16);
    const dz = bot.self.z - (w.chunksZ * 16);
    if (dx * dx + dz * dz > this.opts.roam * this.opts.roam) {
      // yaw 0 faces -Z, forward = (-sin, -cos): point it at the world centre (the spawn).
      this.yaw = Math.atan2(dx, dz) + (this.rng.next() - 0.5) * 0.6;
      this.legLeft = Math.max(this.legLeft, 1.5);
    }
    bot.input(this.walking ? 1 : 0, 0, this.yaw, { dt, jump: this.walking && this.rng.next() < 0.02 });
    if (t >= this.nextFire) {
      this.nextFire = t + this.opts.fireEvery * (0.5 + this.rng.next());
      const pitch = -0.08 - this.rng.next() * 0.25;
      const c = Math.cos(pitch);
      bot.fire(-Math.sin(this.yaw) * c, Math.sin(pitch), -Math.cos(this.yaw) * c);
    }
  }
}
