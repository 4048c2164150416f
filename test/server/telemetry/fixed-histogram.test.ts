import { describe, expect, it } from "vitest";
import { Histogram, Registry } from "prom-client";
import { FixedSeriesHistogram } from "../../../src/server/telemetry/fixed-histogram.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";

const BOUNDS = [0.001, 0.002, 0.005, 0.01, 0.0167, 0.025];

/** A registry with default labels, as createMetrics makes it. */
function registry(): Registry {
  const r = new Registry();
  r.setDefaultLabels({ zone: "eu1", shard: "s3" });
  return r;
}

/** Values on, between, below and above the bounds, including 0. */
function values(seed: number, n: number): number[] {
  const rng = new Rng(seed);
  const out = [0, ...BOUNDS, 0.03, 1];
  for (let i = 0; i < n; i++) out.push(rng.next() < 0.2 ? BOUNDS[Math.floor(rng.next() * BOUNDS.length)] : rng.next() * 0.04);
  return out;
}

describe("FixedSeriesHistogram", () => {
  it("renders the same /metrics text and JSON as prom-client's Histogram for the same observations", async () => {
    const ours = registry();
    const theirs = registry();
    const systems = ["net", "carve", "mesh"];
    const fixed = new FixedSeriesHistogram("game_x_seconds", "Some time.", BOUNDS, systems.map((s) => ({ system: s }))).register(ours);
    const plain = new FixedSeriesHistogram("game_y_seconds", "Other time.", BOUNDS, [{}]).register(ours);
    const ref = new Histogram({ name: "game_x_seconds", help: "Some time.", labelNames: ["system"], buckets: BOUNDS, registers: [theirs] });
    const refPlain = new Histogram({ name: "game_y_seconds", help: "Other time.", buckets: BOUNDS, registers: [theirs] });
    for (const s of systems) ref.zero({ system: s });
    const observers = systems.map((_, i) => fixed.observer(i));
    const vs = values(7, 500);
    vs.forEach((v, i) => {
      const s = i % 2 === 0 ? 0 : 1 + (i % 3 === 0 ? 1 : 0);
      observers[s].observe(v);
      ref.labels({ system: systems[s] }).observe(v);
      plain.observe(0, v);
      refPlain.observe(v);
    });
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('game_x_seconds_bucket{le="0.005",zone="eu1",shard="s3",system="net"}');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it("counts a value equal to a bound in that bucket and one above them all only in +Inf", async () => {
    const r = new Registry();
    const h = new FixedSeriesHistogram("game_z_seconds", "Z.", [1, 2], [{}]).register(r);
    h.observe(0, 1);
    h.observe(0, 2);
    h.observe(0, 5);
    const lines = (await r.metrics()).split("\n");
    expect(lines).toContain('game_z_seconds_bucket{le="1"} 1');
    expect(lines).toContain('game_z_seconds_bucket{le="2"} 2');
    expect(lines).toContain('game_z_seconds_bucket{le="+Inf"} 3');
    expect(lines).toContain("game_z_seconds_sum 8");
    expect(lines).toContain("game_z_seconds_count 3");
  });

  it("is zeroed by the registry's resetMetrics and keeps its series", async () => {
    const r = new Registry();
    const h = new FixedSeriesHistogram("game_z_seconds", "Z.", [1], [{ backend: "sqlite" }]).register(r);
    h.observer(0).observe(0.5);
    r.resetMetrics();
    expect(await r.metrics()).toContain('game_z_seconds_count{backend="sqlite"} 0');
  });

  it("refuses bad bounds, an le label, a second registration and an unknown series", () => {
    expect(() => new FixedSeriesHistogram("a", "A.", [2, 1], [{}])).toThrow(/ascending/);
    expect(() => new FixedSeriesHistogram("a", "A.", [1, Number.NaN], [{}])).toThrow(/ascending/);
    expect(() => new FixedSeriesHistogram("a", "A.", [1], [{ le: "1" }])).toThrow(/reserved/);
    const r = new Registry();
    new FixedSeriesHistogram("a", "A.", [1], [{}]).register(r);
    expect(() => new FixedSeriesHistogram("a", "A.", [1], [{}]).register(r)).toThrow(/already been registered/);
    expect(() => new FixedSeriesHistogram("b", "B.", [1], [{}]).observer(1)).toThrow(RangeError);
  });
});
