/**
 * The readable HTML view of /debug/tracez: one table per recent trace, spans indented under
 * their parents with a duration bar. Everything user-derived is HTML-escaped, and nothing a
 * client sent (browser spans come through the OTLP relay) can make the page throw: times
 * and numbers are formatted defensively.
 */
import type { StoredSpan, StoredTrace } from "./trace-store.ts";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element and attribute content. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** An ISO time for epoch ms, or "invalid time" (Date#toISOString throws outside ±8.64e15 ms). */
function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : "invalid time";
}

/** A fixed-point number, or "?" when it is not finite. */
function fixed(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "?";
}

/**
 * Orders spans depth-first under their parents; returns [span, depth] pairs. Every span is
 * listed exactly once, whatever the ids say: client spans may repeat ids or form parent
 * cycles, and such spans are listed at depth 0 after the tree. Iterative, so a long chain
 * cannot overflow the stack.
 */
function tree(spans: readonly StoredSpan[]): [StoredSpan, number][] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    if (s.parent_span_id !== undefined && s.parent_span_id !== s.span_id && ids.has(s.parent_span_id)) {
      const list = children.get(s.parent_span_id) ?? [];
      list.push(s);
      children.set(s.parent_span_id, list);
    } else {
      roots.push(s);
    }
  }
  const out: [StoredSpan, number][] = [];
  const seen = new Set<StoredSpan>();
  const stack: [StoredSpan, number][] = [];
  const visit = (start: StoredSpan): void => {
    stack.push([start, 0]);
    while (stack.length) {
      const [s, depth] = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      out.push([s, depth]);
      const kids = children.get(s.span_id) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
    }
  };
  for (const r of roots) visit(r);
  for (const s of spans) if (!seen.has(s)) visit(s);
  return out;
}

function renderTrace(t: StoredTrace): string {
  const total = Math.max(0.001, t.end_ms - t.start_ms);
  const rows = tree(t.spans).map(([s, depth]) => {
    const left = Math.min(100, Math.max(0, ((s.start_ms - t.start_ms) / total) * 100));
    const width = Math.min(100, Math.max(0.5, (s.duration_ms / total) * 100));
    const attrs = Object.entries(s.attributes)
      .map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(String(v))}`)
      .join(" ");
    const remote = s.parent_remote ? ' <span class="remote">remote parent</span>' : "";
    return `<tr class="${s.status}"><td style="padding-left:${depth * 1.2 + 0.3}em">${escapeHtml(s.name)}${remote}</td>` +
      `<td class="num">${fixed(s.duration_ms, 3)} ms</td>` +
      `<td class="bar"><span style="margin-left:${fixed(left, 2)}%;width:${fixed(width, 2)}%"></span></td>` +
      `<td class="id">${escapeHtml(s.span_id)}</td><td class="attrs">${attrs}</td></tr>`;
  });
  const dropped = t.dropped_spans > 0 ? ` · ${t.dropped_spans} spans dropped` : "";
  return `<section><h2>${escapeHtml(t.root_name ?? "(root not ended)")} <small>${escapeHtml(t.trace_id)} · ` +
    `${t.span_count} spans · ${fixed(t.end_ms - t.start_ms, 3)} ms · ${escapeHtml(isoTime(t.start_ms))}` +
    `${dropped}</small></h2><table><thead><tr><th>span</th><th>duration</th><th>timeline</th><th>span id</th>` +
    `<th>attributes</th></tr></thead><tbody>${rows.join("")}</tbody></table></section>`;
}

/** Renders the tracez HTML page. */
export function renderTracezHtml(traces: readonly StoredTrace[], stats: { traces: number; spans: number }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tracez</title><style>
body{font:13px system-ui,sans-serif;margin:1em 2em;color:#222}h1{font-size:18px}h2{font-size:14px;margin:1.2em 0 .3em}
small{color:#666;font-weight:normal}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;
padding:2px 6px;text-align:left;vertical-align:top}.num{text-align:right;white-space:nowrap}.id{font-family:monospace;
color:#888}.attrs{font-family:monospace;font-size:12px}.bar{width:30%}.bar span{display:block;height:10px;background:#5b8def}
tr.error td:first-child{color:#c00}.remote{font-size:11px;color:#a60}</style></head><body>
<h1>tracez <small>${stats.traces} recent sampled traces, ${stats.spans} spans (in memory) ·
<a href="?format=json">JSON</a></small></h1>${traces.map(renderTrace).join("")}</body></html>`;
}
