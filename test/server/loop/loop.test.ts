// The scheduler runs systems in order, times them, survives a failing one; the tick loop keeps
// its rate without drift; the system order is the documented one.
import { describe, expect, it } from "vitest";
import { Scheduler } from "../../../src/server/loop/scheduler.ts";
import { installBackends } from "../../../src/server/telemetry/facade.ts";
import type { Log, Metrics, SpanHandle, Tracing } from "../../../src/server/telemetry/facade.ts";
import { TickLoop } from "../../../src/server/loop/tick-loop.ts";
import { SYSTEM_ORDER } from "../../../src/server/systems/index.ts";
import type { System } from "../../../src/server/systems/types.ts";
import { harness } from "../support.ts";

describe("scheduler", () => {
  it("runs systems in order, records their time, and survives a panic", () => {
    const h = harness({ npcCount: 0 });
    const order: string[] = [];
    const systems: System[] = [
      { name: "intake", run: () => void order.push("intake") },
      { name: "npc", run: () => { throw new Error("boom"); } },
      { name: "net", run: () => void order.push("net") },
    ];
    const s = new Scheduler(h.game, systems, h.ctx);
    s.tick();
    s.tick();
    expect(order).toEqual(["intake", "net", "intake", "net"]);
    expect(h.game.tick).toBe(2);
    expect(h.ctx.tick).toBe(2);
    expect(h.game.timeMs).toBeCloseTo(2000 / 30, 9);
    expect(h.game.stats.errors.system_panic).toBe(2);
    expect(h.game.tickStats.ticks).toBe(2);
    expect(h.game.tickStats.systemMs.intake).toBeGreaterThanOrEqual(0);
  });

  it("logs a system that fails every tick once as an error, then only rate-limited", () => {
    const calls: string[] = [];
    const log: Log = {
      debug: () => {},
      info: () => {},
      warn: () => void calls.push("warn"),
      error: () => void calls.push("error"),
      warnLimited: (site) => void calls.push(`limited:${site}`),
      child: () => log,
    };
    // Only the logger is observed; metrics and spans are inert doubles.
    const metrics = new Proxy({}, { get: () => () => {} }) as Metrics;
    const span: SpanHandle = { setAttributes: () => {}, recordError: () => {}, context: () => undefined, end: () => {} };
    const tracing: Tracing = { extract: () => undefined, withSpan: (_n, _f, fn) => fn(span), startSpan: () => span };
    const uninstall = installBackends({ logger: () => log, metrics, tracing });
    try {
      const h = harness({ npcCount: 0 });
      const s = new Scheduler(h.game, [{ name: "npc", run: () => { throw new Error("boom"); } }], h.ctx);
      for (let i = 0; i < 5; i++) s.tick();
      expect(h.game.stats.errors.system_panic).toBe(5);
      expect(calls).toEqual(["error", "limited:system_failed:npc", "limited:system_failed:npc", "limited:system_failed:npc", "limited:system_failed:npc"]);
    } finally {
      uninstall();
    }
  });

  it("uses the documented system order", () => {
    expect(SYSTEM_ORDER.map((s) => s.name)).toEqual(["intake", "npc", "projectile", "raycast", "carve", "persist", "mesh", "collider", "net"]);
  });
});

describe("tick loop", () => {
  it("ticks at its rate against an ideal timeline", async () => {
    let ticks = 0;
    const loop = new TickLoop(50, () => void ticks++);
    const start = performance.now();
    loop.start();
    await new Promise((r) => setTimeout(r, 600));
    loop.stop();
    const elapsed = performance.now() - start;
    const expected = Math.floor(elapsed / 20);
    expect(ticks).toBeGreaterThanOrEqual(expected - 3);
    expect(ticks).toBeLessThanOrEqual(expected + 1);
    const after = ticks;
    await new Promise((r) => setTimeout(r, 60));
    expect(ticks).toBe(after);
  });
});
