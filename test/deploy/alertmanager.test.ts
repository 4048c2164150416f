// deploy/alertmanager/alertmanager.yml, checked by Debian's amtool: a valid config, grouping by
// zone and shard, and every alert rule's severity routed to its receiver (critical pages,
// warning goes to tickets). The end-to-end test (test/e2e/alertmanager.test.ts) runs it.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alertRules, DEPLOY, readYaml } from "./deploy-files.ts";

const CONFIG = join(DEPLOY, "alertmanager", "alertmanager.yml");
const amtool = (...args: string[]): string => execFileSync("amtool", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The receiver amtool's routing test picks for a label set. */
const routeFor = (labels: Record<string, string>): string =>
  amtool("config", "routes", "test", `--config.file=${CONFIG}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)).trim();

describe("deploy/alertmanager/alertmanager.yml", () => {
  it("passes amtool check-config", () => {
    expect(amtool("check-config", CONFIG)).toMatch(/SUCCESS/);
  });

  it("groups by alert, zone and shard", () => {
    const route = (readYaml(CONFIG) as { route: { group_by: string[] } }).route;
    expect(route.group_by).toEqual(expect.arrayContaining(["alertname", "zone", "shard"]));
  });

  it("routes critical alerts to the pager and warnings to tickets", () => {
    expect(routeFor({ severity: "critical", zone: "z1", shard: "s1" })).toBe("pager");
    expect(routeFor({ severity: "warning", zone: "z1", shard: "s1" })).toBe("tickets");
  });

  it("routes every alert in alerts.yml by its severity", () => {
    for (const rule of alertRules()) {
      const expected = rule.labels.severity === "critical" ? "pager" : "tickets";
      expect(routeFor({ alertname: rule.alert, ...rule.labels, zone: "z1", shard: "s1" }), rule.alert).toBe(expected);
    }
  });

  it("sends resolved notifications from every receiver", () => {
    const cfg = readYaml(CONFIG) as { receivers: { name: string; webhook_configs?: { send_resolved?: boolean }[] }[] };
    for (const r of cfg.receivers) {
      expect(r.webhook_configs?.length, r.name).toBeGreaterThan(0);
      for (const w of r.webhook_configs ?? []) expect(w.send_resolved, r.name).toBe(true);
    }
  });
});
