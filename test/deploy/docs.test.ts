// docs/telemetry/README.md must keep up with the code and the alert rules: every metric in the
// shared names table has a row (with its type, unit, labels and seed name), and every alert has
// a runbook section with a first query that names real metrics.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMPONENTS, METRICS, SPAN_NAMES } from "../../src/shared/telemetry/names.ts";
import { FLAGS_ID_KEY } from "../../src/client/flags/index.ts";
import { CLIENT_SPANS } from "../../src/client/telemetry/commands.ts";
import { alertRules, markdownAnchors, markdownSection, ROOT, RUNBOOK_FILE, runbookLabels } from "./deploy-files.ts";
import { metricNames } from "./promql.ts";

const doc = readFileSync(RUNBOOK_FILE, "utf8");
const anchors = markdownAnchors(doc);
/** Span names the code makes: the server's table, and the browser's one span. */
const SERVER_SPANS = new Set<string>(Object.values(SPAN_NAMES));
const ALL_SPANS = [...SERVER_SPANS, CLIENT_SPANS.command];

/** Table rows of the metrics table, keyed by the Prometheus name in their first cell. */
function metricRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  const section = markdownSection(doc, "metrics") ?? "";
  for (const line of section.split("\n")) {
    const m = /^\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|/.exec(line);
    if (m) rows.set(m[1], line.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

describe("docs/telemetry/README.md: metrics", () => {
  const rows = metricRows();

  it("has a table row for every metric in src/shared/telemetry/names.ts, with its type, unit and labels", () => {
    for (const spec of Object.values(METRICS)) {
      const row = rows.get(spec.prom);
      expect(row, spec.prom).toBeDefined();
      const [, type, unit, labels, seed] = row!;
      expect(type, spec.prom).toBe(spec.type);
      expect(unit, spec.prom).toBe(spec.unit);
      for (const l of ["zone", "shard", ...spec.labels]) expect(labels, `${spec.prom} label ${l}`).toContain(l);
      const values = (spec as { labelValues?: Record<string, readonly string[]> }).labelValues ?? {};
      for (const [label, vals] of Object.entries(values)) {
        for (const v of vals) expect(labels, `${spec.prom} ${label}=${v}`).toContain(v);
      }
      if (spec.seed === null) expect(seed, spec.prom).toBe("—");
      else for (const part of spec.seed.split(" / ")) expect(seed, spec.prom).toContain(part.split(" ")[0]);
    }
  });

  it("documents no metric the server does not have", () => {
    const known = new Set<string>(Object.values(METRICS).map((s) => s.prom));
    expect([...rows.keys()].filter((n) => !known.has(n))).toEqual([]);
  });

  it("documents every log component and span name", () => {
    const logs = markdownSection(doc, "logs") ?? "";
    for (const c of COMPONENTS) expect(logs, c).toContain(`| \`${c}\` |`);
    const traces = markdownSection(doc, "traces") ?? "";
    for (const name of ALL_SPANS) expect(traces, name).toContain(`| \`${name}\` |`);
  });

  it("mentions only span names the code has, each on the side (client or server) that makes it", () => {
    // Every dotted name in backticks is a span, a seed metric name, an attribute key or a file.
    const seedNames = Object.values(METRICS).flatMap((s) => (s.seed === null ? [] : s.seed.split(/[\s/(),]+/)));
    // Attribute keys, and the one breadcrumb field the runbook names by its path.
    const others = [CLIENT_SPANS.attrKind, CLIENT_SPANS.attrOutcome, "session.id", "service.name", "mesh.worker_failures",
      // The OpenTelemetry feature-flag event and its attributes, recorded on flags.evaluate by the OpenFeature hooks.
      "feature_flag.evaluation", "feature_flag.key", "feature_flag.result.variant", "feature_flag.variant", "feature_flag.result.value",
      "feature_flag.result.reason", "feature_flag.provider.name", "feature_flag.context.id",
      // The localStorage key of the page's random flag-targeting id.
      FLAGS_ID_KEY];
    const known = new Set<string>([...ALL_SPANS, ...seedNames, ...others]);
    const mentioned = [...doc.matchAll(/`([a-z_]+(?:\.[a-z_]+)+)`/g)].map((m) => m[1]);
    expect(mentioned).toContain(CLIENT_SPANS.command);
    expect(mentioned.filter((n) => !known.has(n) && !/\.(ya?ml|json|ts|js|md)$/.test(n))).toEqual([]);
    const sided = [...doc.matchAll(/`([a-z_.]+)` \((client|server)\)/g)];
    expect(sided.length).toBeGreaterThan(0);
    for (const [text, name, side] of sided) {
      const maker = name === CLIENT_SPANS.command ? "client" : SERVER_SPANS.has(name) ? "server" : "neither";
      expect(maker, text).toBe(side);
    }
  });

  it("has the sections the issue asks for", () => {
    for (const a of ["running-the-full-stack", "field-conventions", "correlation-ids", "what-never-goes-into-a-metric-label",
      "metrics", "logs", "traces", "sampling", "privacy", "shipping-logs-to-loki", "runbook-what-to-look-at"]) {
      expect(anchors.has(a), a).toBe(true);
    }
  });

  it("has no link to a missing anchor of its own", () => {
    const missing = [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]).filter((a) => !anchors.has(a));
    expect(missing).toEqual([]);
  });

  it("names only files that exist in the repository", () => {
    const paths = [...doc.matchAll(/`((?:deploy|src|scripts|test|docs)\/[\w./-]+)`/g)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(5);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });
});

describe("docs/telemetry/README.md: runbook", () => {
  for (const rule of alertRules()) {
    it(`${rule.alert} has a runbook section with meaning, first query and usual causes`, () => {
      const anchor = rule.annotations.runbook_url.split("#")[1];
      expect(anchor).toBe(rule.alert.toLowerCase());
      const section = markdownSection(doc, anchor);
      expect(section, `no "### ${rule.alert}" heading`).toBeDefined();
      expect(section).toContain("**Meaning.**");
      expect(section).toContain("**First query.**");
      expect(section).toContain("**Usual causes");
      const queried = new Set(
        [...section!.matchAll(/```promql\n([\s\S]*?)```|`([^`]*\([^`]*)`/g)].flatMap((m) => metricNames(m[1] ?? m[2])),
      );
      const alerted = metricNames(rule.expr).filter((n) => n !== "up");
      for (const n of alerted) expect(queried.has(n) || section!.includes(n), `${rule.alert}: ${n}`).toBe(true);
    });

    it(`${rule.alert}'s runbook section names the labels the alert carries`, () => {
      const labels = runbookLabels(markdownSection(doc, rule.alert.toLowerCase()) ?? "");
      expect(labels, `no **Labels.** line under ### ${rule.alert}`).toBeDefined();
      expect(labels!.get("alertname")).toBe("");
      expect(labels!.get("severity")).toBe(rule.labels.severity);
      // Every label the expression keeps (its aggregation's "by (...)", le aside) is promised,
      // and nothing else; an expression without one keeps its series' labels: the target's job
      // and instance (all of up == 0), and the zone and shard every game_ series carries.
      const by = /\bby\s*\(([^)]*)\)/.exec(rule.expr)?.[1];
      const seriesLabels = ["job", "instance", ...(metricNames(rule.expr).some((n) => n.startsWith("game_")) ? ["zone", "shard"] : [])];
      const kept = by === undefined ? seriesLabels : by.split(",").map((l) => l.trim()).filter((l) => l !== "le");
      expect([...labels!.keys()].filter((k) => k !== "alertname" && k !== "severity").sort(), rule.alert).toEqual(kept.sort());
    });
  }
});
