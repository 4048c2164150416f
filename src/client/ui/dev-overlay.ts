// The developer overlay (F3, or the button in settings). Purely local: it reads figures the
// client keeps anyway and sends nothing, so it works without any consent. It refreshes a few
// times a second from a preallocated snapshot, rewrites only the figures that changed, and
// draws the frame-time graph straight from the frame-time ring (no per-update arrays).

/** Numeric figures, each shown in an element with data-stat="<key>". NaN shows as "–". */
export const OVERLAY_NUMBERS = [
  "fps_p50",
  "fps_p95",
  "fps_p99",
  "fps_low1",
  "frame_ms",
  "cpu_ms",
  "upload_ms",
  "upload_bytes",
  "chunks_drawn",
  "chunks_total",
  "quads",
  "gpu_memory",
  "mesh_queue",
  "mesh_ms_p50",
  "mesh_ms_p95",
  "worker_failures",
  "net_in",
  "net_out",
  "rtt_ms",
  "server_tick_ms",
  "gpu_validation",
  "gpu_out_of_memory",
  "gpu_internal",
  "gpu_device_lost",
  "gpu_upload_failures",
] as const;
export type OverlayNumber = (typeof OVERLAY_NUMBERS)[number];

/** Text figures (consent and delivery state). */
export const OVERLAY_TEXTS = ["consent_performance", "consent_crash", "telemetry"] as const;
export type OverlayText = (typeof OVERLAY_TEXTS)[number];

/** The snapshot the source fills in place on every refresh. */
export type OverlaySnapshot = Record<OverlayNumber, number> & Record<OverlayText, string>;

/** Recent frame times in ms, oldest first (SampleRing satisfies this). */
export interface FrameTimeSeries {
  readonly length: number;
  at(i: number): number;
}

/** Where the overlay gets its figures. */
export interface DevOverlaySource {
  read(out: OverlaySnapshot): void;
  frameTimes: FrameTimeSeries;
}

export interface DevOverlayOptions {
  source: DevOverlaySource;
  /** Refresh period while visible (default 250 ms). */
  refreshMs?: number;
  visible?: boolean;
}

/** Handle returned by installDevOverlay. */
export interface DevOverlay {
  toggle(force?: boolean): void;
  readonly visible: boolean;
  dispose(): void;
}

type Format = "fps" | "ms" | "bytes" | "rate" | "count";

const ROWS: readonly (readonly [string, readonly (readonly [OverlayNumber | OverlayText, string, Format?])[]])[] = [
  ["frame", [["fps_p50", "fps p50", "fps"], ["fps_p95", "p95", "fps"], ["fps_p99", "p99", "fps"], ["fps_low1", "1% low", "fps"], ["frame_ms", "frame ms", "ms"], ["cpu_ms", "cpu ms", "ms"]]],
  ["gpu", [["upload_ms", "upload ms", "ms"], ["upload_bytes", "upload", "bytes"], ["chunks_drawn", "chunks", "count"], ["chunks_total", "of", "count"], ["quads", "quads", "count"], ["gpu_memory", "gpu mem", "bytes"]]],
  ["mesh", [["mesh_queue", "queue", "count"], ["mesh_ms_p50", "mesh ms p50", "ms"], ["mesh_ms_p95", "p95", "ms"], ["worker_failures", "worker fail", "count"]]],
  ["net", [["net_in", "in", "rate"], ["net_out", "out", "rate"], ["rtt_ms", "rtt ms", "ms"], ["server_tick_ms", "server tick ms", "ms"]]],
  ["errors", [["gpu_validation", "validation", "count"], ["gpu_out_of_memory", "oom", "count"], ["gpu_internal", "internal", "count"], ["gpu_device_lost", "lost", "count"], ["gpu_upload_failures", "upload fail", "count"]]],
  ["consent", [["consent_performance", "perf"], ["consent_crash", "crash"], ["telemetry", "sending"]]],
];

const CSS = `
.vs-overlay{position:fixed;top:8px;left:8px;z-index:20;min-width:250px;max-width:340px;padding:6px 8px;background:rgba(10,14,20,.78);
color:#e8edf3;font:11px/1.35 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;border-radius:6px;pointer-events:none}
.vs-overlay[hidden]{display:none}
.vs-overlay canvas{display:block;width:240px;height:56px;margin:2px 0 4px}
.vs-overlay .vs-row{display:flex;flex-wrap:wrap;gap:0 8px}
.vs-overlay .vs-row b{color:#8fb8e0;font-weight:600;min-width:44px}
.vs-overlay .vs-row span{white-space:nowrap}
.vs-overlay [data-stat]{color:#fff}
`;

const GRAPH_W = 240;
const GRAPH_H = 56;
const GRAPH_MAX_MS = 50;

/** Mounts the overlay (hidden unless options.visible) and binds F3; returns its handle. */
export function installDevOverlay(ctx: { mount: HTMLElement }, options: DevOverlayOptions): DevOverlay {
  const doc = ctx.mount.ownerDocument;
  const win = doc.defaultView;
  const removeStyle = injectStyle(doc, "dev-overlay", CSS);
  const root = doc.createElement("div");
  root.className = "vs-overlay";
  root.dataset.testid = "dev-overlay";
  root.setAttribute("aria-live", "off");
  root.hidden = true;

  const canvas = doc.createElement("canvas");
  canvas.width = GRAPH_W;
  canvas.height = GRAPH_H;
  canvas.dataset.graph = "frame_ms";
  canvas.setAttribute("aria-label", "Frame time graph");
  root.appendChild(canvas);
  const g = canvas.getContext("2d");

  const cells: { key: OverlayNumber | OverlayText; el: HTMLElement; fmt: Format | undefined; last: number | string }[] = [];
  for (const [title, stats] of ROWS) {
    const row = doc.createElement("div");
    row.className = "vs-row";
    const b = doc.createElement("b");
    b.textContent = title;
    row.appendChild(b);
    for (const [key, label, fmt] of stats) {
      const span = doc.createElement("span");
      span.append(`${label} `);
      const value = doc.createElement("span");
      value.dataset.stat = key;
      value.textContent = "–";
      span.appendChild(value);
      row.appendChild(span);
      cells.push({ key, el: value, fmt, last: Number.NaN });
    }
    root.appendChild(row);
  }
  ctx.mount.appendChild(root);

  const snapshot = emptySnapshot();
  const refreshMs = options.refreshMs ?? 250;
  let timer: ReturnType<typeof setInterval> | null = null;

  const refresh = (): void => {
    options.source.read(snapshot);
    for (const c of cells) {
      const v = snapshot[c.key];
      if (v === c.last || (typeof v === "number" && Number.isNaN(v) && typeof c.last === "number" && Number.isNaN(c.last))) continue;
      c.last = v;
      c.el.textContent = typeof v === "string" ? v : formatNumber(v, c.fmt ?? "count");
    }
    if (g) drawGraph(g, options.source.frameTimes);
  };

  const toggle = (force?: boolean): void => {
    const show = force ?? root.hidden;
    root.hidden = !show;
    if (show && timer === null) {
      refresh();
      timer = setInterval(refresh, refreshMs);
    } else if (!show && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };

  const onKey = (e: KeyboardEvent): void => {
    if (e.key !== "F3" || e.repeat) return;
    // F3 is the browser's "find next"; the overlay takes it while the game runs.
    e.preventDefault();
    toggle();
  };
  win?.addEventListener("keydown", onKey);
  if (options.visible) toggle(true);

  return {
    toggle,
    get visible() {
      return !root.hidden;
    },
    dispose() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      win?.removeEventListener("keydown", onKey);
      root.remove();
      removeStyle();
    },
  };
}

/** A snapshot with every figure unknown. */
export function emptySnapshot(): OverlaySnapshot {
  const s = {} as OverlaySnapshot;
  for (const k of OVERLAY_NUMBERS) s[k] = Number.NaN;
  for (const k of OVERLAY_TEXTS) s[k] = "–";
  return s;
}

/** Formats a figure for display. */
export function formatNumber(v: number, fmt: Format): string {
  if (!Number.isFinite(v)) return "–";
  switch (fmt) {
    case "fps":
      return v.toFixed(0);
    case "ms":
      return v < 10 ? v.toFixed(2) : v.toFixed(1);
    case "bytes":
      return formatBytes(v);
    case "rate":
      return `${formatBytes(v)}/s`;
    case "count":
      return Math.round(v).toString();
  }
}

function formatBytes(v: number): string {
  if (v < 1024) return `${Math.round(v)} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  if (v < 1024 * 1024 * 1024) return `${(v / (1024 * 1024)).toFixed(1)} MiB`;
  return `${(v / (1024 * 1024 * 1024)).toFixed(2)} GiB`;
}

/** Bars of the most recent frame times, newest at the right, with 60 Hz and 30 Hz guides. */
function drawGraph(g: CanvasRenderingContext2D, series: FrameTimeSeries): void {
  g.clearRect(0, 0, GRAPH_W, GRAPH_H);
  const n = Math.min(series.length, GRAPH_W);
  const start = series.length - n;
  for (let i = 0; i < n; i++) {
    const ms = series.at(start + i);
    const h = Math.min(GRAPH_H, (ms / GRAPH_MAX_MS) * GRAPH_H);
    g.fillStyle = ms > 33.4 ? "#ff6b6b" : ms > 16.8 ? "#ffd166" : "#7bd389";
    g.fillRect(GRAPH_W - n + i, GRAPH_H - h, 1, h);
  }
  g.fillStyle = "rgba(255,255,255,.35)";
  g.fillRect(0, GRAPH_H - Math.round((16.7 / GRAPH_MAX_MS) * GRAPH_H), GRAPH_W, 1);
  g.fillRect(0, GRAPH_H - Math.round((33.3 / GRAPH_MAX_MS) * GRAPH_H), GRAPH_W, 1);
}

/** Stylesheets added by injectStyle, by document and id, with their reference counts. */
const SHEETS = new WeakMap<Document, Map<string, { sheet: CSSStyleSheet; refs: number }>>();

/**
 * Adds a stylesheet once per document (reference-counted); returns its remover. The sheet is
 * a constructed CSSStyleSheet in document.adoptedStyleSheets, not a <style> element: the
 * page's Content-Security-Policy (style-src 'self') refuses inline <style>, not the CSSOM.
 */
export function injectStyle(doc: Document, id: string, css: string): () => void {
  let sheets = SHEETS.get(doc);
  if (!sheets) SHEETS.set(doc, (sheets = new Map()));
  let entry = sheets.get(id);
  if (!entry) {
    const sheet = new (doc.defaultView ?? window).CSSStyleSheet();
    sheet.replaceSync(css);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    entry = { sheet, refs: 0 };
    sheets.set(id, entry);
  }
  entry.refs++;
  const held = entry;
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    if (--held.refs > 0) return;
    sheets.delete(id);
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== held.sheet);
  };
}
