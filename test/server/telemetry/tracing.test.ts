import { afterEach, describe, expect, it } from "vitest";
import { tracing } from "../../../src/server/telemetry/facade.ts";
import { initTelemetry } from "../../../src/server/telemetry/index.ts";
import type { StoredTrace, TelemetryConfig, TelemetryHandle } from "../../../src/server/telemetry/index.ts";
import { tracesUrl } from "../../../src/server/http/forward.ts";
import { formatTraceparent } from "../../../src/shared/telemetry/trace-context.ts";
import type { TraceContext } from "../../../src/shared/telemetry/trace-context.ts";
import { sample } from "../../prometheus-text.ts";
import { captureLines, testConfig, traceparentOf } from "./helpers.ts";

let handle: TelemetryHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

async function start(over: Partial<TelemetryConfig> = {}, traceStore?: { maxTraces?: number; maxSpans?: number }): Promise<TelemetryHandle> {
  handle = await initTelemetry(testConfig(over), { logDestination: captureLines(), processMetrics: false, traceStore });
  return handle;
}

async function tracez(h: TelemetryHandle, query = ""): Promise<{ traces: StoredTrace[] }> {
  const res = await fetch(`${h.metricsServer?.url}/debug/tracez${query}`);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as { traces: StoredTrace[] };
}

const REMOTE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const REMOTE_SPAN = "00f067aa0ba902b7";

describe("tracing", () => {
  it("shows spans with attributes and parent/child links at /debug/tracez", async () => {
    const h = await start({ zone: "eu1", shard: "s2" });
    tracing.withSpan("voxel.carve", { impact_id: "imp-1", did: 7, skipped: undefined }, () => {
      tracing.withSpan("chunk.mesh", { chunk: "1,2,3" }, (span) => span.setAttributes({ quads: 120 }));
      tracing.withSpan("collider.rebuild", { chunk: "1,2,3" }, () => {});
    });
    const { traces } = await tracez(h);
    expect(traces).toHaveLength(1);
    const t = traces[0];
    expect(t.root_name).toBe("voxel.carve");
    expect(t.span_count).toBe(3);
    const carve = t.spans.find((s) => s.name === "voxel.carve");
    const mesh = t.spans.find((s) => s.name === "chunk.mesh");
    const collider = t.spans.find((s) => s.name === "collider.rebuild");
    expect(carve?.parent_span_id).toBeUndefined();
    expect(mesh?.parent_span_id).toBe(carve?.span_id);
    expect(collider?.parent_span_id).toBe(carve?.span_id);
    expect(carve?.attributes).toEqual({ zone: "eu1", shard: "s2", impact_id: "imp-1", did: 7 });
    expect(mesh?.attributes).toMatchObject({ zone: "eu1", shard: "s2", chunk: "1,2,3", quads: 120 });
    expect(new Set(t.spans.map((s) => s.trace_id))).toEqual(new Set([t.trace_id]));
  });

  it("renders tracez as escaped HTML via ?format=html or Accept", async () => {
    const h = await start();
    tracing.withSpan("voxel.carve", { chunk: "<script>x</script>" }, () => {});
    const byQuery = await fetch(`${h.metricsServer?.url}/debug/tracez?format=html`);
    expect(byQuery.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await byQuery.text();
    expect(html).toContain("voxel.carve");
    expect(html).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(html).not.toContain("<script>x</script>");
    const byAccept = await fetch(`${h.metricsServer?.url}/debug/tracez`, { headers: { accept: "text/html,*/*" } });
    expect(byAccept.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("filters tracez by trace_id and 404s unknown ids", async () => {
    const h = await start();
    let id = "";
    tracing.withSpan("server.tick", {}, (s) => {
      id = (traceparentOf(s) ?? "").split("-")[1];
    });
    tracing.withSpan("server.tick", {}, () => {});
    const { traces } = await tracez(h, `?trace_id=${id}`);
    expect(traces.map((t) => t.trace_id)).toEqual([id]);
    expect((await fetch(`${h.metricsServer?.url}/debug/tracez?trace_id=${"f".repeat(32)}`)).status).toBe(404);
  });

  it("continues a client's traceparent (same trace id, remote parent)", async () => {
    const h = await start({ traceSample: 0 });
    const parent = `00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`;
    let carveContext: TraceContext | undefined;
    tracing.withSpan("player.command", { command_id: "c1" }, () => {
      tracing.withSpan("voxel.carve", { impact_id: "imp-2" }, (s) => {
        carveContext = s.context();
      });
    }, tracing.extract(parent));
    // Later work (another tick) parents under the stored impact's context.
    const mesh = tracing.startSpan("chunk.mesh", { impact_id: "imp-2" }, carveContext);
    const carveTraceparent = carveContext && formatTraceparent(carveContext);
    mesh.end();

    const t = h.traceStore.get(REMOTE_TRACE);
    expect(t?.span_count).toBe(3);
    const command = t?.spans.find((s) => s.name === "player.command");
    const carve = t?.spans.find((s) => s.name === "voxel.carve");
    const meshSpan = t?.spans.find((s) => s.name === "chunk.mesh");
    expect(command?.parent_span_id).toBe(REMOTE_SPAN);
    expect(command?.parent_remote).toBe(true);
    expect(carve?.parent_span_id).toBe(command?.span_id);
    expect(meshSpan?.parent_span_id).toBe(carve?.span_id);
    expect(carveTraceparent).toBe(`00-${REMOTE_TRACE}-${carve?.span_id}-01`);
    expect(t?.root_name).toBe("player.command");
  });

  it("follows the parent's sampling decision (ParentBased) and the ratio for roots", async () => {
    const h = await start({ traceSample: 0 });
    tracing.withSpan("server.tick", {}, () => {});
    const unsampled = `00-${"a".repeat(32)}-${REMOTE_SPAN}-00`;
    let childTp: string | undefined;
    tracing.withSpan("player.command", {}, (s) => {
      childTp = traceparentOf(s);
    }, tracing.extract(unsampled));
    expect(h.traceStore.list()).toHaveLength(0);
    // Unsampled spans still propagate ids so downstream work stays in the same (unsampled) trace.
    expect(childTp).toMatch(new RegExp(`^00-${"a".repeat(32)}-[0-9a-f]{16}-00$`));
  });

  it("ignores and counts invalid traceparents, starting a new trace", async () => {
    const h = await start();
    const bad = ["garbage", `00-${"0".repeat(32)}-${REMOTE_SPAN}-01`, `00-${REMOTE_TRACE}-${REMOTE_SPAN}-01-extra`, "x".repeat(5000)];
    for (const p of bad) tracing.withSpan("player.command", {}, () => {}, tracing.extract(p));
    tracing.withSpan("player.command", {}, () => {}, tracing.extract(undefined)); // absent = no parent, not invalid
    const traces = h.traceStore.list();
    expect(traces).toHaveLength(5);
    for (const t of traces) {
      expect(t.trace_id).not.toBe(REMOTE_TRACE);
      expect(t.spans[0].parent_span_id).toBeUndefined();
    }
    const text = await h.registry.metrics();
    expect(sample(text, "game_trace_parent_invalid_total", { reason: "format" })).toBe(2);
    expect(sample(text, "game_trace_parent_invalid_total", { reason: "trace_id" })).toBe(1);
    expect(sample(text, "game_trace_parent_invalid_total", { reason: "version" })).toBe(1);
    expect(sample(text, "game_trace_parent_invalid_total", { reason: "parent_id" })).toBe(0);
  });

  it("startSpan takes explicit start and end times (work timed in another thread)", async () => {
    const h = await start();
    const t0 = Date.now() - 50;
    const span = tracing.startSpan("chunk.mesh", { chunk: "0,0,0" }, undefined, t0);
    span.end(t0 + 42);
    const s = h.traceStore.list()[0].spans[0];
    expect(s.start_ms).toBeCloseTo(t0, 0);
    expect(s.duration_ms).toBeCloseTo(42, 0);
  });

  it("records errors, rethrows, and ends spans for sync and async failures", async () => {
    const h = await start();
    expect(() => tracing.withSpan("voxel.carve", {}, () => {
      throw new Error("boom");
    })).toThrow("boom");
    await expect(tracing.withSpan("chunk.mesh", {}, async () => {
      await Promise.resolve();
      throw new Error("async boom");
    })).rejects.toThrow("async boom");
    const spans = h.traceStore.list().flatMap((t) => t.spans);
    expect(spans.map((s) => [s.name, s.status, s.status_message]).sort()).toEqual([
      ["chunk.mesh", "error", "async boom"],
      ["voxel.carve", "error", "boom"],
    ]);
    expect(spans.every((s) => s.events.some((e) => e.name === "exception"))).toBe(true);
  });

  it("keeps the trace store bounded to the most recent traces", async () => {
    const h = await start({}, { maxTraces: 3, maxSpans: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      tracing.withSpan("server.tick", { tick: i }, (s) => {
        ids.push((traceparentOf(s) ?? "").split("-")[1]);
      });
    }
    const kept = h.traceStore.list().map((t) => t.trace_id);
    expect(kept).toEqual(ids.slice(-3).reverse());
    expect(h.traceStore.stats()).toMatchObject({ traces: 3, spans: 3 });
  });

  it("builds OTLP URLs and traceparent strings", () => {
    expect(tracesUrl("http://c:4318")).toBe("http://c:4318/v1/traces");
    expect(tracesUrl("http://c:4318/")).toBe("http://c:4318/v1/traces");
    expect(tracesUrl("http://c:4318/v1/traces")).toBe("http://c:4318/v1/traces");
    expect(formatTraceparent({ traceId: REMOTE_TRACE, spanId: REMOTE_SPAN, traceFlags: 1 })).toBe(`00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`);
    expect(formatTraceparent({ traceId: REMOTE_TRACE, spanId: REMOTE_SPAN, traceFlags: 0 })).toBe(`00-${REMOTE_TRACE}-${REMOTE_SPAN}-00`);
  });
});

describe("trace store", () => {
  it("accepts decoded span records (browser spans) into the same trace as server spans", async () => {
    const h = await start();
    const clientSpan = "1111111111111111";
    h.traceStore.addSpans([{
      trace_id: REMOTE_TRACE, span_id: clientSpan, parent_span_id: undefined, parent_remote: false, name: "client.fire",
      start_ms: Date.now() - 5, duration_ms: 1, status: "unset", status_message: undefined, attributes: { "service.name": "voxel-client" }, events: [],
    }]);
    tracing.withSpan("player.command", {}, () => {}, tracing.extract(`00-${REMOTE_TRACE}-${clientSpan}-01`));
    const t = h.traceStore.get(REMOTE_TRACE);
    expect(t?.span_count).toBe(2);
    expect(t?.root_name).toBe("client.fire");
    expect(t?.spans.find((s) => s.name === "player.command")?.parent_span_id).toBe(clientSpan);
  });
});

describe("sampling fast paths", () => {
  it("a root span that loses the ratio draw records nothing, and the work it passes its context to records nothing either", async () => {
    const h = await start({ traceSample: 0 });
    let inner: string | undefined = "unset";
    tracing.withSpan("player.command", { command_id: 1 }, (span) => {
      inner = traceparentOf(span);
      // A child opened inside an unsampled root is itself a root: also dropped at ratio 0.
      tracing.withSpan("voxel.carve", {}, () => {});
    });
    // Its context: a trace id and span id, not sampled.
    expect(inner).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const root = tracing.startSpan("player.command", {});
    expect(traceparentOf(root)).toMatch(/-00$/);
    expect((await tracez(h)).traces).toHaveLength(0);
  });

  it("work caused by an unsampled root does not draw again as a new root (ratio 0.5)", async () => {
    const h = await start({ traceSample: 0.5 });
    let recordedRoots = 0;
    for (let i = 0; i < 40; i++) {
      const command = tracing.startSpan("player.command", { command_id: i });
      const ctx = command.context();
      command.end();
      const sampled = traceparentOf(command)?.endsWith("-01") === true;
      if (sampled) recordedRoots++;
      // The carve, mesh and collider of that shot: children of its context, whatever it was.
      tracing.withSpan("voxel.carve", {}, (carve) => {
        tracing.startSpan("chunk.mesh", {}, carve.context()).end();
        expect(traceparentOf(carve)?.endsWith("-01")).toBe(sampled);
      }, ctx);
    }
    expect(recordedRoots).toBeGreaterThan(8);
    expect(recordedRoots).toBeLessThan(32);
    // Only the sampled commands' stories were recorded: each a trace of exactly three spans.
    const { traces } = await tracez(h);
    expect(traces).toHaveLength(recordedRoots);
    expect(traces.every((t) => t.span_count === 3)).toBe(true);
  });

  it("a child of an unsampled remote parent passes the parent on unchanged and records nothing", async () => {
    const h = await start({ traceSample: 0 });
    const parent = `00-${REMOTE_TRACE}-${REMOTE_SPAN}-00`;
    const span = tracing.startSpan("projectile.integrate", { impact_id: 3 }, tracing.extract(parent));
    expect(traceparentOf(span)).toBe(parent);
    span.end();
    tracing.withSpan("voxel.carve", {}, (s) => expect(traceparentOf(s)).toBe(parent), span.context());
    expect((await tracez(h)).traces).toHaveLength(0);
  });

  it("a child of a sampled remote parent is recorded in the parent's trace even at ratio 0 (within the session budget)", async () => {
    const h = await start({ traceSample: 0 });
    tracing.withSpan("player.command", { command_id: 2 }, () => {}, tracing.extract(`00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`));
    const { traces } = await tracez(h);
    expect(traces).toHaveLength(1);
    expect(traces[0].trace_id).toBe(REMOTE_TRACE);
    expect(traces[0].spans[0].parent_span_id).toBe(REMOTE_SPAN);
  });

  it("keeps roots at the configured ratio (once, not squared)", async () => {
    const h = await start({ traceSample: 0.5 }, { maxTraces: 1000, maxSpans: 5000 });
    for (let i = 0; i < 400; i++) tracing.withSpan("player.command", { command_id: i }, () => {});
    // Binomial(400, 0.5): mean 200, sd 10. A second ratio draw would give about 100.
    const kept = (await tracez(h, "?limit=1000")).traces.length;
    expect(kept).toBeGreaterThan(150);
    expect(kept).toBeLessThan(250);
  });

  it("at ratio 1 every root is recorded", async () => {
    const h = await start({ traceSample: 1 });
    for (let i = 0; i < 20; i++) tracing.withSpan("player.command", { command_id: i }, () => {});
    expect((await tracez(h)).traces).toHaveLength(20);
  });
});
