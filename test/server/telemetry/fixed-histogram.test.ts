import { describe, expect, it } from "vitest";
import { Histogram, Registry } from "prom-client";
import { FixedSeriesHistogram } from "../../../src/server/telemetry/fixed-histogram.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";

const BOUNDS = [0.001, 0.002, 0.005, 0.01, 0.0167, 0.025];

const DEFAULTS = { zone: "eu1", shard: "s3" };

/** A registry with default labels, as createMetrics makes it. */
function registry(): Registry {
  const r = new Registry();
  r.setDefaultLabels(DEFAULTS);
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
  // Given the registry's default labels at register() (as createMetrics does) or not, and with
  // a series label named like a default one (the series label wins in both).
  it.each([
    ["given the default labels", DEFAULTS],
    ["not given them", undefined],
  ])("renders the same /metrics text and JSON as prom-client's Histogram for the same observations, %s", async (_, defaults) => {
    const ours = registry();
    const theirs = registry();
    const systems = ["net", "carve", "mesh"];
    const fixed = new FixedSeriesHistogram("game_x_seconds", "Some time.", BOUNDS, systems.map((s) => ({ system: s }))).register(ours, defaults);
    const plain = new FixedSeriesHistogram("game_y_seconds", "Other time.", BOUNDS, [{}]).register(ours, defaults);
    const own = new FixedSeriesHistogram("game_w_seconds", "Own shard.", BOUNDS, [{ shard: "x\\\"y" }]).register(ours, defaults);
    const ref = new Histogram({ name: "game_x_seconds", help: "Some time.", labelNames: ["system"], buckets: BOUNDS, registers: [theirs] });
    const refPlain = new Histogram({ name: "game_y_seconds", help: "Other time.", buckets: BOUNDS, registers: [theirs] });
    const refOwn = new Histogram({ name: "game_w_seconds", help: "Own shard.", labelNames: ["shard"], buckets: BOUNDS, registers: [theirs] });
    for (const s of systems) ref.zero({ system: s });
    refOwn.zero({ shard: "x\\\"y" });
    own.observe(0, 0.004);
    refOwn.labels({ shard: "x\\\"y" }).observe(0.004);
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
    expect(text).toContain('game_w_seconds_count{zone="eu1",shard="x\\\\\\"y"} 1');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect((await fixed.get()).values[0].labels).toEqual({ le: BOUNDS[0], system: "net" });
  });

  it("hands the registry one labels object per series, the same at every scrape, so it renders their text once", async () => {
    const r = registry();
    const h = new FixedSeriesHistogram("game_x_seconds", "X.", [1, 2], [{ system: "a" }, { system: "b" }]).register(r, DEFAULTS);
    const [first, second] = [await h.getForPromString(), await h.getForPromString()];
    const shared = first.values.map((v) => v.sharedLabels);
    expect(shared).toHaveLength(2 * 5);
    expect(shared[0]).toEqual({ zone: "eu1", shard: "s3", system: "a" });
    expect(shared[5]).toEqual({ zone: "eu1", shard: "s3", system: "b" });
    for (let i = 0; i < shared.length; i++) {
      expect(shared[i]).toBe(shared[i < 5 ? 0 : 5]);
      expect(second.values[i].sharedLabels).toBe(shared[i]);
    }
    expect(first.values.map((v) => v.labels)).toEqual([{ le: 1 }, { le: 2 }, { le: "+Inf" }, {}, {}, { le: 1 }, { le: 2 }, { le: "+Inf" }, {}, {}]);
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
