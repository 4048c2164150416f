// The alert rules and the Grafana dashboards may only query what the game server really exposes:
// every metric name (and every fixed label value) in their PromQL is checked against a live
// scrape of the real server, started in-process with its telemetry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allExprs } from "./deploy-files.ts";
import { LIVE_SHARD, LIVE_ZONE, startLiveServer } from "./live-server.ts";
import type { LiveServer } from "./live-server.ts";
import { parseExposition } from "../prometheus-text.ts";
import type { Exposition } from "../prometheus-text.ts";
import { metricNames, selectors, SYNTHETIC_SERIES, unknownNames } from "./promql.ts";

let live: LiveServer;
let exposition: Exposition;

beforeAll(async () => {
  live = await startLiveServer();
  await live.server.waitForTicks(10);
  exposition = parseExposition(await live.scrape(), { strict: false });
});
afterAll(() => live?.stop());

describe("deploy PromQL against a live scrape", () => {
  it("scraped the running server (ticks counted, zone/shard labels set)", () => {
    const count = exposition.samples.find((s) => s.name === "game_tick_duration_seconds_count");
    expect(count?.value).toBeGreaterThanOrEqual(10);
    expect(count?.labels).toMatchObject({ zone: LIVE_ZONE, shard: LIVE_SHARD });
  });

  it("finds PromQL to check in the rules and the dashboards", () => {
    const exprs = allExprs();
    expect(exprs.filter((e) => e.source.startsWith("alerts.yml")).length).toBeGreaterThanOrEqual(10);
    expect(exprs.filter((e) => !e.source.startsWith("alerts.yml")).length).toBeGreaterThanOrEqual(15);
  });

  it("every metric name in alerts.yml and the dashboards is exposed by the server", () => {
    const unknown = allExprs().flatMap(({ source, expr }) => unknownNames(metricNames(expr), exposition.series).map((n) => `${source}: ${n}`));
    expect(unknown).toEqual([]);
  });

  it("every fixed label matcher selects an existing label value", () => {
    const problems: string[] = [];
    for (const { source, expr } of allExprs()) {
      for (const sel of selectors(expr)) {
        if (SYNTHETIC_SERIES.has(sel.name)) continue;
        const samples = exposition.samples.filter((s) => s.name === sel.name);
        for (const m of sel.matchers) {
          if (m.value.includes("$") || m.op === "!=" || m.op === "!~") continue;
          const re = new RegExp(`^(?:${m.value})$`);
          const hit = samples.some((s) => (m.op === "=" ? s.labels[m.label] === m.value : re.test(s.labels[m.label] ?? "")));
          if (!hit) problems.push(`${source}: ${sel.name}{${m.label}${m.op}"${m.value}"} matches no exposed series`);
          if (m.op === "=~") {
            for (const alt of m.value.split("|")) {
              if (/^[\w-]+$/.test(alt) && !samples.some((s) => s.labels[m.label] === alt)) {
                problems.push(`${source}: ${sel.name}{${m.label}=~...} names "${alt}", which the server never exposes`);
              }
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
