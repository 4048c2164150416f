// The system contract: a name (the `system` metric label) and a run function. Systems never
// time themselves; the scheduler does (see loop/scheduler.ts).
import type { SystemName } from "../telemetry/facade.ts";
import type { Game } from "../game/state.ts";
import type { MeshPort } from "../mesh/pool.ts";
import type { NetPort } from "../net/sessions.ts";

/** Per-tick inputs every system sees. */
export interface TickContext {
  readonly tick: number;
  /** Fixed step in seconds (1 / tickHz). */
  readonly dt: number;
  /** Simulated time at the start of this tick, ms. */
  readonly nowMs: number;
  /**
   * Wall-clock seconds since the previous tick started, clamped to [0, 0.25]. Movement budgets
   * refill with it, so ticks dropped during a server stall do not turn honest clients'
   * inputs into speed violations.
   */
  readonly elapsed: number;
  readonly zone: string;
  readonly shard: string;
  readonly net: NetPort;
  readonly mesher: MeshPort;
}

/** One server system. */
export interface System {
  readonly name: SystemName;
  run(world: Game, ctx: TickContext): void;
}
