/**
 * Helpers for checking PromQL found in the deploy files (alert rules, Grafana panels) against
 * what the game server really exposes: metric-name extraction from an expression, and the set
 * of series names a Prometheus text exposition makes queryable.
 *
 * The extractor is a small tokenizer, not a full PromQL parser: it drops strings, comments,
 * label matchers `{...}`, ranges/subqueries `[...]`, grouping lists (`by (...)`, `on (...)`),
 * function and aggregation names (identifiers followed by `(`), keywords, numbers, durations
 * and Grafana variables (`$zone`, `${shard}`, `$__rate_interval`). What is left are metric names.
 */

/** PromQL words that are never metric names when they stand alone. */
const KEYWORDS = new Set([
  "and", "or", "unless", "atan2", "bool", "offset", "by", "without", "on", "ignoring",
  "group_left", "group_right", "inf", "nan",
]);

/** Keywords that are followed by a parenthesised list of label names, not an expression. */
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

/** Names Prometheus itself makes queryable, whatever the target exposes. */
export const SYNTHETIC_SERIES = new Set([
  "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
  "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE",
]);

type Token = { kind: "ident" | "punct" | "other"; text: string };

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < expr.length && expr[i] !== "\n") i++;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === "\\" && c !== "`" ? 2 : 1;
      tokens.push({ kind: "other", text: expr.slice(i, j + 1) });
      i = j + 1;
    } else if (c === "$") {
      // Grafana variable: $name, ${name}, ${name:format}, [[name]] is handled by '[' skipping.
      let j = i + 1;
      if (expr[j] === "{") {
        while (j < expr.length && expr[j] !== "}") j++;
        j++;
      } else {
        while (j < expr.length && /\w/.test(expr[j])) j++;
      }
      tokens.push({ kind: "other", text: expr.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(expr[i + 1] ?? ""))) {
      // Numbers (1, 0.5, 1e3, 0x1f) and durations (5m, 1h30m): all start with a digit or '.'.
      let j = i + 1;
      while (j < expr.length && /[\w.]/.test(expr[j])) {
        if ((expr[j] === "e" || expr[j] === "E") && /[+-]/.test(expr[j + 1] ?? "")) j++;
        j++;
      }
      tokens.push({ kind: "other", text: expr.slice(i, j) });
      i = j;
    } else if (/[A-Za-z_:]/.test(c)) {
      let j = i + 1;
      while (j < expr.length && /[\w:]/.test(expr[j])) j++;
      tokens.push({ kind: "ident", text: expr.slice(i, j) });
      i = j;
    } else {
      tokens.push({ kind: "punct", text: c });
      i++;
    }
  }
  return tokens;
}

/** Index just past the bracket that closes the one opening at `start`. */
function skipBalanced(tokens: Token[], start: number, open: string, close: string): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    if (tokens[i].text === open) depth++;
    else if (tokens[i].text === close && --depth === 0) return i + 1;
  }
  return tokens.length;
}

/** `__name__="x"` / `__name__=~"a|b"` matchers inside a selector; only exact names count. */
function namesFromMatchers(tokens: Token[], from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to - 2; i++) {
    if (tokens[i].text === "__name__" && tokens[i + 1].text === "=" && tokens[i + 2].kind === "other") {
      const lit = tokens[i + 2].text;
      if (/^["'`]/.test(lit)) out.push(lit.slice(1, -1));
    }
  }
  return out;
}

/** Grafana's `label_values(metric, label)` takes a selector then a label name: drop the label. */
function dropLabelValuesArgs(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    out.push(tokens[i]);
    if (tokens[i].text !== "label_values" || tokens[i + 1]?.text !== "(") continue;
    let depth = 0;
    for (let j = i + 1; j < tokens.length; j++) {
      const t = tokens[j].text;
      if (t === "(" || t === "{" || t === "[") depth++;
      else if (t === ")" || t === "}" || t === "]") depth--;
      if (depth === 0 || (depth === 1 && t === ",")) {
        const close = depth === 0 ? j : skipBalanced(tokens, i + 1, "(", ")") - 1;
        out.push(...tokens.slice(i + 1, j), tokens[close]);
        i = close;
        break;
      }
    }
  }
  return out;
}

/** Metric names referenced by one PromQL expression (Grafana variables allowed), deduplicated. */
export function metricNames(expr: string): string[] {
  const tokens = dropLabelValuesArgs(tokenize(expr));
  const names = new Set<string>();
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    const next = tokens[i + 1];
    if (t.text === "{") {
      const end = skipBalanced(tokens, i, "{", "}");
      for (const n of namesFromMatchers(tokens, i, end)) names.add(n);
      i = end;
    } else if (t.text === "[") {
      i = skipBalanced(tokens, i, "[", "]");
    } else if (t.kind === "ident" && GROUPING.has(t.text.toLowerCase()) && next?.text === "(") {
      i = skipBalanced(tokens, i + 1, "(", ")");
    } else if (t.kind === "ident" && next?.text === "(") {
      i++; // function or aggregation name (rate, sum, histogram_quantile, label_values, ...)
    } else if (t.kind === "ident" && next?.kind === "ident" && /^(by|without)$/i.test(next.text)) {
      i++; // aggregation with its grouping first: `sum by (zone) (...)`
    } else if (t.kind === "ident" && !KEYWORDS.has(t.text.toLowerCase())) {
      names.add(t.text);
      i++;
    } else {
      i++;
    }
  }
  return [...names];
}

/** One label matcher of a selector: `label op "value"`. */
export interface Matcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

/** Metric selectors `name{matchers}` in an expression (bare names get no matchers). */
export function selectors(expr: string): { name: string; matchers: Matcher[] }[] {
  const names = new Set(metricNames(expr));
  const tokens = tokenize(expr);
  const out: { name: string; matchers: Matcher[] }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== "ident" || !names.has(t.text)) continue;
    const matchers: Matcher[] = [];
    if (tokens[i + 1]?.text === "{") {
      const end = skipBalanced(tokens, i + 1, "{", "}");
      for (let j = i + 2; j < end - 1; j++) {
        if (tokens[j].kind !== "ident") continue;
        let k = j + 1;
        let op = "";
        while (k < end && tokens[k].kind === "punct" && /[=!~]/.test(tokens[k].text)) op += tokens[k++].text;
        const lit = tokens[k]?.text ?? "";
        if ((op === "=" || op === "!=" || op === "=~" || op === "!~") && /^["'`]/.test(lit)) {
          matchers.push({ label: tokens[j].text, op, value: JSON.parse(lit.startsWith('"') ? lit : JSON.stringify(lit.slice(1, -1))) as string });
          j = k;
        }
      }
    }
    out.push({ name: t.text, matchers });
  }
  return out;
}

/** The family a series name belongs to, given the families' types (`_bucket`, `_sum`, `_count`). */
export function familyOf(series: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(series)) return series;
  for (const suffix of ["_bucket", "_sum", "_count", "_total", "_created", "_info"]) {
    if (series.endsWith(suffix) && types.has(series.slice(0, -suffix.length))) return series.slice(0, -suffix.length);
  }
  return undefined;
}

/** Names in `names` that are neither exposed series nor Prometheus' own synthetic series. */
export function unknownNames(names: Iterable<string>, exposed: ReadonlySet<string>): string[] {
  return [...names].filter((n) => !exposed.has(n) && !SYNTHETIC_SERIES.has(n));
}
