// Projectiles in flight: pooled records in a dense active list (swap-remove), so per-tick
// loops touch only live projectiles and allocate nothing after warm-up.
import type { TraceContext } from "../../shared/telemetry/trace-context.ts";
import type { SpanHandle } from "../telemetry/facade.ts";

/** One projectile; `px..pz` is where it was at the start of this tick (the segment to test). */
export class Projectile {
  id = 0;
  ownerId = 0;
  ownerSlot = -1;
  /** The shooter's team (friendly fire is decided against it). */
  ownerTeam = 0;
  /** The client's command id, or -1 when not from a player command. */
  commandId = -1;
  sessionId = "";
  x = 0;
  y = 0;
  z = 0;
  px = 0;
  py = 0;
  pz = 0;
  vx = 0;
  vy = 0;
  vz = 0;
  /** Where it was fired from (hit events carry it, for the target's damage direction). */
  ox = 0;
  oy = 0;
  oz = 0;
  ticksLeft = 0;
  /** Trace context of the command span: later ticks, the impact and mesh jobs parent under it. */
  parent: TraceContext | undefined = undefined;
  /**
   * A traced projectile's flight spans, children of its command span: projectile.integrate from
   * its first step and destructible.raycast from its first test, both ended by the raycast
   * system the tick it hits or expires. Null when it has no trace context or not yet started.
   */
  integrateSpan: SpanHandle | null = null;
  raycastSpan: SpanHandle | null = null;
  /** Steps integrated so far (the flight spans' `ticks`). */
  steps = 0;
  /** Set by the raycast system when the projectile hit or expired; removed at the end of it. */
  dead = false;
}

/** Active projectiles plus a free list. */
export class ProjectilePool {
  readonly active: Projectile[] = [];
  private readonly free: Projectile[] = [];
  private nextId = 1;

  /** Takes a record from the pool and gives it a new id. */
  spawn(): Projectile {
    const p = this.free.pop() ?? new Projectile();
    p.id = this.nextId++;
    p.dead = false;
    p.parent = undefined;
    p.integrateSpan = null;
    p.raycastSpan = null;
    p.steps = 0;
    p.commandId = -1;
    p.ownerTeam = 0;
    this.active.push(p);
    return p;
  }

  /** Returns every dead projectile to the pool (order of the rest is not kept). */
  sweep(): void {
    const a = this.active;
    for (let i = a.length - 1; i >= 0; i--) {
      const p = a[i];
      if (!p.dead) continue;
      a[i] = a[a.length - 1];
      a.pop();
      p.parent = undefined;
      p.integrateSpan = null;
      p.raycastSpan = null;
      this.free.push(p);
    }
  }
}
