import { describe, expect, it } from "vitest";
import { parseExposition } from "../prometheus-text.ts";
import { familyOf, metricNames, selectors, unknownNames } from "./promql.ts";

const sorted = (xs: string[]): string[] => [...xs].sort();

describe("metricNames (PromQL)", () => {
  it("finds a bare selector and one with matchers", () => {
    expect(metricNames("up")).toEqual(["up"]);
    expect(metricNames('game_voxel_queue_length{zone="z1", shard=~"s.*"} > 500')).toEqual(["game_voxel_queue_length"]);
  });

  it("skips function and aggregation names, grouping labels and durations", () => {
    const expr = `histogram_quantile(0.99,
      sum by (zone, shard, le) (rate(game_tick_duration_seconds_bucket[5m]))) > 0.033`;
    expect(metricNames(expr)).toEqual(["game_tick_duration_seconds_bucket"]);
    expect(metricNames("sum(rate(game_errors_total[5m])) without (class)")).toEqual(["game_errors_total"]);
  });

  it("handles binary operators, on/ignoring/group_left, bool, offset and arithmetic", () => {
    const expr = `sum by (zone) (rate(a_total[5m] offset 1h)) > bool 3 * sum by (zone) (b_total)
      and on (zone, shard) group_left (kind) c_gauge unless ignoring (x) d_gauge or e atan2 f`;
    expect(sorted(metricNames(expr))).toEqual(["a_total", "b_total", "c_gauge", "d_gauge", "e", "f"]);
  });

  it("ignores label values, strings, numbers in every notation and comments", () => {
    const expr = `label_replace(x_total{kind="npc"}, "dst", "$1 sum(y)", "src", "(.*)") > 1e3 + 0x1f + .5 + Inf # not_a_metric
      or z_total > NaN`;
    expect(sorted(metricNames(expr))).toEqual(["x_total", "z_total"]);
  });

  it("does not mistake labels used in matchers or grouping for metrics", () => {
    expect(metricNames('count by (state) (game_net_clients{state="connected"})')).toEqual(["game_net_clients"]);
  });

  it("reads subqueries, @ modifiers and __name__ matchers", () => {
    expect(metricNames("max_over_time(rate(a_total[1m])[10m:30s]) @ end()")).toEqual(["a_total"]);
    expect(metricNames('{__name__="game_carve_requests_total", zone="z"}')).toEqual(["game_carve_requests_total"]);
  });

  it("accepts Grafana variables and template helpers", () => {
    const expr = 'sum(rate(game_net_delta_bytes_total{zone=~"$zone", shard=~"${shard}"}[$__rate_interval])) * $factor';
    expect(metricNames(expr)).toEqual(["game_net_delta_bytes_total"]);
    expect(metricNames("label_values(game_tick_duration_seconds_count, zone)")).toEqual(["game_tick_duration_seconds_count"]);
    expect(metricNames('label_values(game_tick_duration_seconds_count{zone=~"$zone", a="b"}, shard)')).toEqual([
      "game_tick_duration_seconds_count",
    ]);
  });

  it("returns each name once", () => {
    expect(metricNames("a_total / a_total + rate(a_total[1m])")).toEqual(["a_total"]);
  });
});

describe("parseExposition", () => {
  const text = [
    "# HELP game_tick_duration_seconds Wall time of one server tick.",
    "# TYPE game_tick_duration_seconds histogram",
    'game_tick_duration_seconds_bucket{le="0.033",zone="z",shard="s"} 3',
    "# TYPE game_projectile_hits_total counter",
    "# TYPE game_voxel_queue_length gauge",
    'game_voxel_queue_length{zone="z",shard="s"} 7',
    "# TYPE rpc summary",
    'untyped_thing{a="x \\" y"} 1 1700000000000',
  ].join("\n");
  const exp = parseExposition(text, { strict: false });

  it("derives histogram and summary series names from TYPE lines, even with no sample yet", () => {
    for (const s of ["game_tick_duration_seconds_bucket", "game_tick_duration_seconds_sum", "game_tick_duration_seconds_count"]) {
      expect(exp.series.has(s), s).toBe(true);
    }
    expect(exp.series.has("game_tick_duration_seconds")).toBe(false);
    expect(exp.series.has("game_projectile_hits_total")).toBe(true);
    expect(exp.series.has("rpc")).toBe(true);
    expect(exp.series.has("rpc_count")).toBe(true);
  });

  it("keeps samples with their labels and values, untyped ones included", () => {
    expect(exp.samples.find((s) => s.name === "game_voxel_queue_length")).toEqual({
      name: "game_voxel_queue_length", labels: { zone: "z", shard: "s" }, value: 7,
    });
    expect(exp.samples.find((s) => s.name === "untyped_thing")?.labels.a).toBe('x " y');
    expect(exp.series.has("untyped_thing")).toBe(true);
  });

  it("maps series back to their family", () => {
    expect(familyOf("game_tick_duration_seconds_bucket", exp.types)).toBe("game_tick_duration_seconds");
    expect(familyOf("game_voxel_queue_length", exp.types)).toBe("game_voxel_queue_length");
    expect(familyOf("nope_bucket", exp.types)).toBeUndefined();
  });

  it("reports names that are neither exposed nor Prometheus' own", () => {
    expect(unknownNames(["up", "ALERTS", "game_voxel_queue_length", "game_tick_duration_seconds", "typo_total"], exp.series)).toEqual([
      "game_tick_duration_seconds",
      "typo_total",
    ]);
  });
});

describe("selectors", () => {
  it("returns each selector's matchers with their operators", () => {
    const expr = 'sum(rate(game_errors_total{class=~"system_panic|mesh_worker", zone!="x"}[5m])) and on (zone) up{job="voxel-game"} > ignoring(a) b_total';
    expect(selectors(expr)).toEqual([
      { name: "game_errors_total", matchers: [{ label: "class", op: "=~", value: "system_panic|mesh_worker" }, { label: "zone", op: "!=", value: "x" }] },
      { name: "up", matchers: [{ label: "job", op: "=", value: "voxel-game" }] },
      { name: "b_total", matchers: [] },
    ]);
  });
});
