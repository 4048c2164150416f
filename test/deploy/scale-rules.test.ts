// The time-scaled copy of the alert rules the Alertmanager end-to-end test loads differs from
// deploy/prometheus/alerts.yml only in `for:` and range windows, each scaled exactly; the
// expressions are otherwise identical, character for character. promtool accepts the copy.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALERTS_FILE } from "./deploy-files.ts";
import { durationMs, formatDuration, RANGE_WINDOW, scaleExpr, scaleRuleFile } from "./scale-rules.ts";

type Rule = { alert?: string; record?: string; expr: string; for?: string; labels?: unknown; annotations?: unknown };
type Doc = { groups: { name: string; rules: Rule[] }[] };

const FACTOR = 1 / 60;
const original = readFileSync(ALERTS_FILE, "utf8");
const scaled = scaleRuleFile(original, FACTOR);
const rulesOf = (text: string): Rule[] => (parse(text) as Doc).groups.flatMap((g) => g.rules);

/** The expression with each window replaced by a marker: what must not change. */
const skeleton = (expr: string): string => expr.replace(RANGE_WINDOW, "[•]");
const windows = (expr: string): string[] => [...expr.matchAll(RANGE_WINDOW)].map((m) => m[0]);

describe("scaled alert rules", () => {
  it("parses durations and formats them back", () => {
    expect(durationMs("5m")).toBe(300_000);
    expect(durationMs("1h30m")).toBe(5_400_000);
    expect(durationMs("250ms")).toBe(250);
    expect(formatDuration(300_000 / 60)).toBe("5s");
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(1500)).toBe("1500ms");
    expect(() => durationMs("5 m")).toThrow(/not a Prometheus duration/);
    expect(scaleExpr("rate(x[5m])", FACTOR)).toBe("rate(x[5s])");
    expect(scaleExpr("max_over_time(rate(x[5m])[1h:1m])", FACTOR)).toBe("max_over_time(rate(x[5s])[1m:1s])");
    expect(scaleExpr("rate(x[1h] offset 5m)", FACTOR)).toBe("rate(x[1m] offset 5m)");
  });

  it("keeps every rule, in order, with identical expressions apart from scaled windows", () => {
    const before = rulesOf(original);
    const after = rulesOf(scaled);
    expect(after.map((r) => r.alert ?? r.record)).toEqual(before.map((r) => r.alert ?? r.record));
    for (let i = 0; i < before.length; i++) {
      const b = before[i];
      const a = after[i];
      expect(skeleton(a.expr), b.alert).toBe(skeleton(b.expr));
      const wb = windows(b.expr);
      const wa = windows(a.expr);
      expect(wa.length, b.alert).toBe(wb.length);
      for (let k = 0; k < wb.length; k++) {
        const [rb, sb] = wb[k].slice(1, -1).split(":");
        const [ra, sa] = wa[k].slice(1, -1).split(":");
        expect(durationMs(ra), `${b.alert} ${wb[k]}`).toBe(Math.round(durationMs(rb) * FACTOR));
        if (sb) expect(durationMs(sa), `${b.alert} ${wb[k]}`).toBe(Math.round(durationMs(sb) * FACTOR));
      }
      expect(a.labels, b.alert).toEqual(b.labels);
      expect(a.annotations, b.alert).toEqual(b.annotations);
      if (b.for === undefined) expect(a.for).toBeUndefined();
      else expect(durationMs(a.for!), b.alert).toBe(Math.round(durationMs(b.for) * FACTOR));
    }
    // The shipped file really has windows and for: clauses to scale.
    expect(before.some((r) => windows(r.expr).length > 0)).toBe(true);
    expect(before.some((r) => r.for !== undefined && durationMs(r.for) > 0)).toBe(true);
  });

  it("is a rule file promtool accepts", () => {
    const dir = mkdtempSync(join(tmpdir(), "scaled-rules-"));
    try {
      const file = join(dir, "alerts.yml");
      writeFileSync(file, scaled);
      const out = execFileSync("promtool", ["check", "rules", file], { encoding: "utf8" });
      expect(out).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
