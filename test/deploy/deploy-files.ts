/**
 * Readers for the files under deploy/: the alert rules and every PromQL expression in them and
 * in the Grafana dashboards, so tests can check them against the live server and the docs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";

export const ROOT = resolve(import.meta.dirname, "../..");
export const DEPLOY = join(ROOT, "deploy");
export const ALERTS_FILE = join(DEPLOY, "prometheus", "alerts.yml");
const DASHBOARDS_DIR = join(DEPLOY, "grafana", "dashboards");
export const RUNBOOK_FILE = join(ROOT, "docs", "telemetry", "README.md");

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  group: string;
}

/** Parses a YAML file under the repository root. */
export function readYaml(path: string): unknown {
  return parse(readFileSync(path, "utf8"));
}

/** Every alerting rule in deploy/prometheus/alerts.yml, with its group name. */
export function alertRules(): AlertRule[] {
  const doc = readYaml(ALERTS_FILE) as { groups: { name: string; rules: Omit<AlertRule, "group">[] }[] };
  return doc.groups.flatMap((g) => g.rules.filter((r) => r.alert !== undefined).map((r) => ({ ...r, group: g.name })));
}

/** A PromQL expression and where it came from (for failure messages). */
export interface SourcedExpr {
  source: string;
  expr: string;
}

/** Every dashboard JSON under deploy/grafana/dashboards, parsed. */
export function dashboards(): { file: string; json: Record<string, unknown> }[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ file: f, json: JSON.parse(readFileSync(join(DASHBOARDS_DIR, f), "utf8")) as Record<string, unknown> }));
}

/** Walks a dashboard: panel target `expr`s (rows' nested panels too) and query-variable queries. */
export function dashboardExprs(file: string, json: Record<string, unknown>): SourcedExpr[] {
  const out: SourcedExpr[] = [];
  type Panel = { title?: string; targets?: { expr?: string }[]; panels?: Panel[] };
  const walk = (panels: Panel[] | undefined): void => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (typeof t.expr === "string") out.push({ source: `${file}: ${p.title}`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(json.panels as Panel[]);
  type Variable = { name: string; type: string; query?: string | { query?: string } };
  for (const v of (json.templating as { list?: Variable[] } | undefined)?.list ?? []) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : v.query?.query;
    if (q) out.push({ source: `${file}: variable ${v.name}`, expr: q });
  }
  return out;
}

/** Every PromQL expression in the alert rules and the dashboards. */
export function allExprs(): SourcedExpr[] {
  return [
    ...alertRules().map((r) => ({ source: `alerts.yml: ${r.alert}`, expr: r.expr })),
    ...dashboards().flatMap((d) => dashboardExprs(d.file, d.json)),
  ];
}

/** GitHub's heading anchor for a Markdown heading text. */
function headingAnchor(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Anchors of every heading in a Markdown document. */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) anchors.add(headingAnchor(m[1]));
  }
  return anchors;
}

/** The Markdown section under the heading whose anchor is `anchor` (up to the next heading of the same or higher level). */
export function markdownSection(markdown: string, anchor: string): string | undefined {
  const lines = markdown.split("\n");
  let start = -1;
  let level = 0;
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*```/.test(lines[i])) inFence = !inFence;
    if (inFence) continue;
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(lines[i]);
    if (!m) continue;
    if (start >= 0 && m[1].length <= level) return lines.slice(start, i).join("\n");
    if (start < 0 && headingAnchor(m[2]) === anchor) {
      start = i;
      level = m[1].length;
    }
  }
  return start >= 0 ? lines.slice(start).join("\n") : undefined;
}

/**
 * The labels a runbook section promises its alert carries: the backticked names on its
 * "**Labels.**" line (parenthesised remarks skipped), as name -> value ("" when any value).
 */
export function runbookLabels(section: string): Map<string, string> | undefined {
  const line = /^\*\*Labels\.\*\*(.*)$/m.exec(section)?.[1];
  if (line === undefined) return undefined;
  const out = new Map<string, string>();
  for (const m of line.replace(/\([^)]*\)/g, "").matchAll(/`([a-z_]+)(?:=([^`]*))?`/g)) out.set(m[1], m[2] ?? "");
  return out;
}
