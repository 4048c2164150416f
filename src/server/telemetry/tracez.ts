/**
 * The readable HTML view of /debug/tracez: one table per recent trace, spans indented under
 * their parents with a duration bar. Everything user-derived is HTML-escaped.
 */
import type { StoredSpan, StoredTrace } from "./trace-store.ts";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML element and attribute content. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Orders spans depth-first under their parents; returns [span, depth] pairs. */
function tree(spans: readonly StoredSpan[]): [StoredSpan, number][] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    if (s.parent_span_id !== undefined && ids.has(s.parent_span_id)) {
      const list = children.get(s.parent_span_id) ?? [];
      list.push(s);
      children.set(s.parent_span_id, list);
    } else {
      roots.push(s);
    }
  }
  const out: [StoredSpan, number][] = [];
  const walk = (s: StoredSpan, depth: number): void => {
    out.push([s, depth]);
    for (const c of children.get(s.span_id) ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

function renderTrace(t: StoredTrace): string {
  const total = Math.max(0.001, t.end_ms - t.start_ms);
  const rows = tree(t.spans).map(([s, depth]) => {
    const left = ((s.start_ms - t.start_ms) / total) * 100;
    const width = Math.max(0.5, (s.duration_ms / total) * 100);
    const attrs = Object.entries(s.attributes)
      .map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(String(v))}`)
      .join(" ");
    const remote = s.parent_remote ? ' <span class="remote">remote parent</span>' : "";
    return `<tr class="${s.status}"><td style="padding-left:${depth * 1.2 + 0.3}em">${escapeHtml(s.name)}${remote}</td>` +
      `<td class="num">${s.duration_ms.toFixed(3)} ms</td>` +
      `<td class="bar"><span style="margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></td>` +
      `<td class="id">${escapeHtml(s.span_id)}</td><td class="attrs">${attrs}</td></tr>`;
  });
  const dropped = t.dropped_spans > 0 ? ` · ${t.dropped_spans} spans dropped` : "";
  return `<section><h2>${escapeHtml(t.root_name ?? "(root not ended)")} <small>${escapeHtml(t.trace_id)} · ` +
    `${t.span_count} spans · ${(t.end_ms - t.start_ms).toFixed(3)} ms · ${escapeHtml(new Date(t.start_ms).toISOString())}` +
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
