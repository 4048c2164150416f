// A travelling player for the zone tests and `loadtest --zones --travel`: walks towards one edge
// of its zone until it is handed to the next zone, then keeps going the same way; at the last
// zone of a line (no link: a wall) it turns around. It jumps when it stops making progress (a
// step or a crate in the way) and sidesteps now and then, so terrain does not pin it.
import { Rng } from "../../shared/voxel/rng.ts";
import type { Bot } from "./bot.ts";

/** The four directions of travel; yaw per movement.ts (0 faces -Z, forward = (-sin, -cos)). */
export const HEADING_YAW = { east: -Math.PI / 2, west: Math.PI / 2, south: Math.PI, north: 0 } as const;
export type Heading = keyof typeof HEADING_YAW;

/** A travelling bot's state, stepped at `inputHz` by its owner. */
export class Traveller {
  private readonly rng: Rng;
  private lastX = Number.NaN;
  private lastZ = Number.NaN;
  private stuckFor = 0;
  private sidestep = 0;
  private sideDir = 1;
  /** Seconds spent pushing against a wall without a hand-off; past turnAfterS it turns around. */
  private walled = 0;

  constructor(
    private readonly bot: Bot,
    public heading: Heading,
    seed: number,
    private readonly inputHz = 30,
    /** Turn around after pushing this long at an edge that hands nothing off (s). */
    private readonly turnAfterS = 3,
  ) {
    this.rng = new Rng(seed);
  }

  /** One input step (no-op while the bot is not playing). */
  step(): void {
    const bot = this.bot;
    if (!bot.joined || bot.closed !== null) return;
    const dt = 1 / this.inputHz;
    const { x, z } = bot.self;
    const moved = Math.hypot(x - this.lastX, z - this.lastZ);
    this.lastX = x;
    this.lastZ = z;
    this.stuckFor = moved < 0.02 ? this.stuckFor + dt : 0;
    const w = bot.welcome!;
    const atEdge = x < 1 || z < 1 || x > w.chunksX * 32 - 1 || z > w.chunksZ * 32 - 1;
    this.walled = atEdge && this.stuckFor > 0 ? this.walled + dt : 0;
    if (this.walled > this.turnAfterS) {
      this.heading = opposite(this.heading);
      this.walled = 0;
    }
    if (this.sidestep <= 0 && this.stuckFor > 0.4 && !atEdge) {
      this.sidestep = 0.5;
      this.sideDir = this.rng.next() < 0.5 ? 1 : -1;
    }
    const right = this.sidestep > 0 ? this.sideDir : 0;
    this.sidestep -= dt;
    bot.input(1, right, HEADING_YAW[this.heading], { dt, jump: this.stuckFor > 0.15 && !atEdge });
  }
}

function opposite(h: Heading): Heading {
  return h === "east" ? "west" : h === "west" ? "east" : h === "north" ? "south" : "north";
}
