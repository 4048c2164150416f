import { afterEach, describe, expect, it } from "vitest";
import { startTracing } from "../../../src/client/telemetry/otel.ts";
import { tracesUrl } from "../../../src/server/http/forward.ts";
import { checkOtlpTraces, createOtlpRelay } from "../../../src/server/http/otlp-relay.ts";
import type { OtlpRelayDeps, RelayOutcome } from "../../../src/server/http/otlp-relay.ts";
import type { StoredSpan } from "../../../src/server/telemetry/trace-store.ts";
import { receiver, serve } from "./helpers.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SESSION = "k3v9q0z2m4x7c1b8n5r6t2wy";
/** The relay's clock in these tests (span times must lie near it). */
const NOW_MS = 1_700_000_000_500;

function otlpBody(spans: object[], session = SESSION): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "voxel-shooter-client" } },
            { key: "session.id", value: { stringValue: session } },
          ],
        },
        scopeSpans: [{ scope: { name: "voxel-shooter-client" }, spans }],
      },
    ],
  });
}

function span(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: TRACE,
    spanId: "00f067aa0ba902b7",
    name: "client.command",
    kind: 3,
    startTimeUnixNano: "1700000000000000000",
    endTimeUnixNano: "1700000000042500000",
    attributes: [
      { key: "command.kind", value: { stringValue: "fire" } },
      { key: "command_id", value: { intValue: 17 } },
    ],
    status: { code: 0 },
    events: [],
    ...over,
  };
}

async function setup(extra: Partial<OtlpRelayDeps> = {}) {
  const stored: StoredSpan[] = [];
  const outcomes: RelayOutcome[] = [];
  let enabled = true;
  const s = await serve(
    createOtlpRelay({ enabled: () => enabled, endpoint: () => undefined, store: (sp) => stored.push(...sp), onOutcome: (o) => outcomes.push(o), now: () => NOW_MS, ...extra }),
  );
  closers.push(s.close);
  const post = (body: string, type = "application/json") => fetch(`${s.url}/v1/traces`, { method: "POST", headers: { "content-type": type }, body });
  return { ...s, stored, outcomes, post, setEnabled: (v: boolean) => (enabled = v) };
}

describe("POST /v1/traces with an OTLP endpoint", () => {
  it("forwards the body unchanged to the endpoint's /v1/traces", async () => {
    const up = await receiver(200);
    closers.push(up.close);
    const t = await setup({ endpoint: () => up.url });
    const body = otlpBody([span()]);
    const res = await t.post(body);
    expect(res.status).toBe(200);
    expect(up.got).toHaveLength(1);
    expect(up.got[0].path).toBe("/v1/traces");
    expect(up.got[0].headers["content-type"]).toBe("application/json");
    // Valid spans are forwarded as received (known OTLP fields only).
    expect(JSON.parse(up.got[0].body.toString("utf8"))).toEqual(JSON.parse(body));
    expect(t.stored).toHaveLength(0);
    // Protobuf cannot be checked here, so it is not relayed either.
    expect((await t.post("\x0a\x00", "application/x-protobuf")).status).toBe(415);
    expect(up.got).toHaveLength(1);
  });

  it("keeps retryable upstream answers retryable and maps the rest to 502", async () => {
    const busy = await receiver(503, { "retry-after": "5" });
    closers.push(busy.close);
    const t = await setup({ endpoint: () => `${busy.url}/v1/traces` });
    const res = await t.post(otlpBody([span()]));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const bad = await receiver(400);
    closers.push(bad.close);
    const u = await setup({ endpoint: () => bad.url });
    expect((await u.post(otlpBody([span()]))).status).toBe(502);
  });
});

describe("POST /v1/traces into the embedded trace store", () => {
  it("decodes OTLP JSON into stored spans", async () => {
    const t = await setup();
    const res = await t.post(otlpBody([span(), span({ spanId: "1111111111111111", parentSpanId: "00f067aa0ba902b7", name: "child", status: { code: 2, message: "timeout" } })]));
    expect(res.status).toBe(200);
    expect(t.stored).toHaveLength(2);
    expect(t.stored[0]).toEqual({
      trace_id: TRACE,
      span_id: "00f067aa0ba902b7",
      parent_span_id: undefined,
      parent_remote: false,
      name: "client.command",
      start_ms: 1_700_000_000_000,
      duration_ms: 42.5,
      status: "unset",
      status_message: undefined,
      attributes: { "command.kind": "fire", command_id: 17, "service.name": "voxel-shooter-client" },
      events: [],
    });
    expect(t.stored[1]).toMatchObject({ parent_span_id: "00f067aa0ba902b7", status: "error", status_message: "timeout" });
    expect(t.outcomes).toEqual(["stored"]);
  });

  it("drops invalid spans and reports a partial success", async () => {
    const t = await setup({ maxSpans: 2 });
    const res = await t.post(otlpBody([span({ traceId: "xyz" }), span({ spanId: "0000000000000000" }), span(), span({ spanId: "2222222222222222" }), span({ spanId: "3333333333333333" })]));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ partialSuccess: { rejectedSpans: "3" } });
    expect(t.stored).toHaveLength(2);
  });

  it("rejects malformed, non-OTLP, protobuf (nothing to decode it with), oversized and 'off'", async () => {
    const t = await setup({ maxBodyBytes: 2048 });
    expect((await t.post("{")).status).toBe(400);
    expect((await t.post(JSON.stringify({ hello: 1 }))).status).toBe(400);
    expect((await t.post("\x0a\x00", "application/x-protobuf")).status).toBe(415);
    expect((await t.post(otlpBody(Array.from({ length: 20 }, () => span())))).status).toBe(413);
    t.setEnabled(false);
    expect((await t.post(otlpBody([span()]))).status).toBe(404);
    expect(t.stored).toHaveLength(0);
    expect(t.outcomes).toEqual(["malformed", "invalid", "unsupported", "oversized", "off"]);
  });
});

describe("client tracing through the relay", () => {
  it("exports a fire command span whose trace id is the traceparent's; nothing after shutdown", async () => {
    // The real browser exporter's output passes the relay's checks (real clock: its span times are now).
    const t = await setup({ now: Date.now });
    const tracer = startTracing({ url: `${t.url}/v1/traces`, sampleRatio: 1, serviceVersion: "0.1.0", environment: "test", sessionId: "s".repeat(24) });
    const traceparent = tracer.begin(17, "fire");
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    tracer.end(17, "confirmed");
    await tracer.flush();
    expect(t.stored).toHaveLength(1);
    const [, traceId, spanId] = traceparent.split("-");
    expect(t.stored[0]).toMatchObject({
      trace_id: traceId,
      span_id: spanId,
      name: "client.command",
      attributes: { "command.kind": "fire", command_id: 17, "command.outcome": "confirmed", "service.name": "voxel-shooter-client" },
    });

    // Withdrawal: a span ended just before shutdown is discarded, not flushed.
    tracer.begin(18, "fire");
    tracer.end(18, "confirmed");
    await tracer.shutdown();
    tracer.begin(19, "fire");
    tracer.end(19, "confirmed");
    await tracer.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.stored).toHaveLength(1);
  });

  it("propagates an unsampled decision (flags 00) and exports nothing at ratio 0", async () => {
    const t = await setup();
    const tracer = startTracing({ url: `${t.url}/v1/traces`, sampleRatio: 0, serviceVersion: "0.1.0", environment: "test", sessionId: "s".repeat(24) });
    const tp = tracer.begin(1, "fire");
    expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    tracer.end(1, "confirmed");
    await tracer.flush();
    expect(t.stored).toHaveLength(0);
    await tracer.shutdown();
  });
});

describe("helpers", () => {
  it("builds the traces URL from a base endpoint", () => {
    expect(tracesUrl("http://collector:4318")).toBe("http://collector:4318/v1/traces");
    expect(tracesUrl("http://collector:4318/")).toBe("http://collector:4318/v1/traces");
    expect(tracesUrl("http://collector:4318/v1/traces")).toBe("http://collector:4318/v1/traces");
  });

  it("refuses bodies that are not OTLP, and accepts an empty export", () => {
    const w = { maxSpans: 10, maxAgeMs: 60_000, maxFutureMs: 60_000, maxDurationMs: 60_000 };
    expect(checkOtlpTraces(null, w, NOW_MS)).toMatchObject({ ok: false, outcome: "invalid" });
    expect(checkOtlpTraces({ resourceSpans: {} }, w, NOW_MS)).toMatchObject({ ok: false, outcome: "invalid" });
    expect(checkOtlpTraces({ resourceSpans: [] }, w, NOW_MS)).toMatchObject({ ok: true, spans: [] });
  });
});
