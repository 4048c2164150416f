/**
 * A time-scaled copy of deploy/prometheus/alerts.yml for the Alertmanager end-to-end test: only
 * the `for:` durations and the range windows inside expressions (`[5m]`, and subquery `[1h:1m]`)
 * are multiplied by a factor; everything else (thresholds, offsets, labels, annotations) is
 * the file as shipped. scale-rules.test.ts checks that the expressions are otherwise identical.
 */
import { parse, stringify } from "yaml";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 } as const;
const PART = /(\d+)(ms|[smhdwy])/g;
const DURATION = /^(?:\d+(?:ms|[smhdwy]))+$/;
/** A range selector or subquery window: [5m], [1h30m], [1h:1m]. */
export const RANGE_WINDOW = /\[((?:\d+(?:ms|[smhdwy]))+)(?::((?:\d+(?:ms|[smhdwy]))+)?)?\]/g;

/** A Prometheus duration ("1h30m", "250ms") in milliseconds. */
export function durationMs(d: string): number {
  if (!DURATION.test(d)) throw new Error(`not a Prometheus duration: ${d}`);
  let ms = 0;
  for (const m of d.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms;
}

/** Milliseconds as a Prometheus duration in the largest unit that divides it (h, m, s, ms; at least 1ms). */
export function formatDuration(ms: number): string {
  const r = Math.max(ms === 0 ? 0 : 1, Math.round(ms));
  if (r === 0) return "0s";
  for (const unit of ["h", "m", "s"] as const) if (r % UNIT_MS[unit] === 0) return `${r / UNIT_MS[unit]}${unit}`;
  return `${r}ms`;
}

/** `expr` with every range window (and subquery step) multiplied by `factor`. */
export function scaleExpr(expr: string, factor: number): string {
  return expr.replace(RANGE_WINDOW, (_all, range: string, step: string | undefined) => {
    const scaled = formatDuration(durationMs(range) * factor);
    if (step === undefined) return _all.includes(":") ? `[${scaled}:]` : `[${scaled}]`;
    return `[${scaled}:${formatDuration(durationMs(step) * factor)}]`;
  });
}

type RuleDoc = { groups: { name: string; interval?: string; rules: Record<string, unknown>[] }[] };

/** The rule file's YAML with `for:` and range windows scaled by `factor` (e.g. 1/60: minutes become seconds). */
export function scaleRuleFile(yamlText: string, factor: number): string {
  const doc = parse(yamlText) as RuleDoc;
  for (const group of doc.groups) {
    for (const rule of group.rules) {
      if (typeof rule.expr === "string") rule.expr = scaleExpr(rule.expr, factor);
      if (typeof rule.for === "string") rule.for = formatDuration(durationMs(rule.for) * factor);
    }
  }
  return stringify(doc);
}
