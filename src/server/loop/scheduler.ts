// The system scheduler: runs the ordered systems once per tick inside a tick span, times each
// one and the whole tick through the telemetry facade (systems never time themselves), and
// keeps a failing system from taking the tick down with it (counted as system_panic).
import { logger, metrics, SPAN_NAMES, SYSTEMS, tracing } from "../telemetry/facade.ts";
import type { Fields } from "../telemetry/facade.ts";
import type { Game } from "../game/state.ts";
import type { System, TickContext } from "../systems/types.ts";

const log = logger("sim");

/** Mutable per-tick context handed to systems (one object, reused). */
export interface MutableTickContext extends TickContext {
  tick: number;
  nowMs: number;
  elapsed: number;
}

/** Longest real time one tick may credit to movement budgets. */
const MAX_ELAPSED_S = 0.25;

/** Runs `systems` in order for one tick. */
export class Scheduler {
  private readonly fields: Fields = { zone: "", shard: "", tick: 0 };
  private readonly budgetMs: number;
  /** Index of each system's name in SYSTEMS (for TickStats.current). */
  private readonly statIndex: number[];
  private lastStart = 0;
  /** Systems that have thrown at least once (their later failures are rate-limited). */
  private readonly failed: boolean[];

  constructor(
    private readonly game: Game,
    private readonly systems: readonly System[],
    private readonly ctx: MutableTickContext,
  ) {
    this.budgetMs = 1000 / game.config.tickHz;
    this.statIndex = systems.map((sys) => SYSTEMS.indexOf(sys.name));
    this.failed = systems.map(() => false);
    this.fields.zone = ctx.zone;
    this.fields.shard = ctx.shard;
  }

  /** Advances the game by one tick; returns the tick's wall time in ms. */
  tick(): number {
    const game = this.game;
    const ctx = this.ctx;
    game.tick++;
    ctx.tick = game.tick;
    ctx.nowMs = game.timeMs;
    this.fields.tick = game.tick;
    const start = performance.now();
    ctx.elapsed = this.lastStart === 0 ? ctx.dt : Math.min(MAX_ELAPSED_S, Math.max(0, (start - this.lastStart) / 1000));
    this.lastStart = start;
    tracing.withSpan(SPAN_NAMES.tick, this.fields, this.runSystems);
    const end = performance.now();
    const ms = end - start;
    game.timeMs += ctx.dt * 1000;
    metrics.tickDuration(ms / 1000);
    const over = ms > this.budgetMs;
    if (over) metrics.ticksOverBudget(1);
    game.tickStats.record(ms, over, end);
    return ms;
  }

  private readonly runSystems = (): void => {
    const game = this.game;
    const stats = game.tickStats.systemMs;
    const current = game.tickStats.current;
    current.fill(0);
    for (let i = 0; i < this.systems.length; i++) {
      const sys = this.systems[i];
      const t0 = performance.now();
      try {
        sys.run(game, this.ctx);
      } catch (err) {
        game.stats.recordError("system_panic");
        // A broken system fails every tick: log the first failure as an error, then
        // rate-limit, so a bug cannot flood the log at the tick rate (the counter has them all).
        const fields = { system: sys.name, tick: game.tick, error: err instanceof Error ? err.message : String(err) };
        if (this.failed[i]) log.warnLimited(`system_failed:${sys.name}`, fields, "system failed again; tick continues");
        else log.error(fields, "system failed; tick continues");
        this.failed[i] = true;
      }
      const ms = performance.now() - t0;
      stats[sys.name] += ms;
      current[this.statIndex[i]] += ms;
      metrics.systemDuration(sys.name, ms / 1000);
    }
  };
}
