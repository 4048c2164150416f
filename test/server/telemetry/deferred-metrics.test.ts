import { describe, expect, it } from "vitest";
import { Counter, Gauge, Registry } from "prom-client";
import { deferredCounter, deferredGauge } from "../../../src/server/telemetry/deferred-metrics.ts";

function registry(): Registry {
  const r = new Registry();
  r.setDefaultLabels({ zone: "eu1", shard: "s3" });
  return r;
}

describe("deferred counters and gauges", () => {
  it("show at every scrape what prom-client's own counters and gauges would", async () => {
    const ours = registry();
    const theirs = registry();
    const c = deferredCounter(ours, { name: "game_c_total", help: "C.", labelNames: ["reason"] });
    const g = deferredGauge(ours, { name: "game_g", help: "G.", labelNames: [] });
    const rc = new Counter({ name: "game_c_total", help: "C.", labelNames: ["reason"], registers: [theirs] });
    const rg = new Gauge({ name: "game_g", help: "G.", registers: [theirs] });
    const a = c.labels({ reason: "a" });
    const b = c.labels({ reason: "b" });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10 * (round + 1); i++) {
        a.inc();
        rc.labels({ reason: "a" }).inc();
        if (i % 3 === 0) {
          b.inc(2.5);
          rc.labels({ reason: "b" }).inc(2.5);
        }
        g.set(i * round);
        rg.set(i * round);
      }
      expect(await ours.metrics()).toBe(await theirs.metrics());
    }
    expect(await ours.metrics()).toContain('game_c_total{reason="a",zone="eu1",shard="s3"} 60');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it("has a series only after its first record, and drops values prom-client would throw on at the scrape", async () => {
    const r = registry();
    const c = deferredCounter(r, { name: "game_c_total", help: "C.", labelNames: ["reason"] });
    const g = deferredGauge(r, { name: "game_g", help: "G.", labelNames: ["state"] });
    const a = c.labels({ reason: "a" });
    const s = g.labels({ state: "up" });
    expect(await r.metrics()).not.toContain("reason=");
    a.inc(0);
    a.inc(-1);
    a.inc(Number.NaN);
    a.inc(Infinity);
    s.set(Number.NaN);
    const text = await r.metrics();
    expect(text).toContain('game_c_total{reason="a",zone="eu1",shard="s3"} 0');
    expect(text).not.toContain("state=");
    s.set(-3);
    expect(await r.metrics()).toContain('game_g{state="up",zone="eu1",shard="s3"} -3');
  });
});
