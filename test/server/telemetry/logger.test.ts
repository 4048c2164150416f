import { afterEach, describe, expect, it } from "vitest";
import { parseLogLevel } from "../../../src/server/telemetry/config.ts";
import { logger, tracing } from "../../../src/server/telemetry/facade.ts";
import { initTelemetry } from "../../../src/server/telemetry/index.ts";
import type { TelemetryHandle } from "../../../src/server/telemetry/index.ts";
import { createLogger, sanitizeFields } from "../../../src/server/telemetry/logger.ts";
import { createMetrics } from "../../../src/server/telemetry/metrics.ts";
import { sample } from "../../prometheus-text.ts";
import { captureLines, testConfig, traceparentOf } from "./helpers.ts";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let handle: TelemetryHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

describe("logger", () => {
  it("writes JSON lines with string level, ISO time, component, zone and shard", () => {
    const out = captureLines();
    const log = createLogger(testConfig({ zone: "eu1", shard: "s2" }), { destination: out });
    log.forComponent("net").info({ session_id: "sess-1", bytes: 12 }, "client joined");
    log.forComponent("destruct").error({ impact_id: "imp-9", did: 3, chunk: "1,2,3" }, "carve failed");
    expect(out.lines).toHaveLength(2);
    const [a, b] = out.json();
    expect(a).toMatchObject({ level: "info", component: "net", zone: "eu1", shard: "s2", session_id: "sess-1", msg: "client joined" });
    expect(a.time).toMatch(ISO);
    expect(a).not.toHaveProperty("pid");
    expect(a).not.toHaveProperty("hostname");
    expect(a).not.toHaveProperty("trace_id");
    expect(b).toMatchObject({ level: "error", component: "destruct", impact_id: "imp-9", did: 3, chunk: "1,2,3" });
  });

  it("applies per-component levels", () => {
    const out = captureLines();
    const cfg = testConfig({ logLevel: parseLogLevel("LOG_LEVEL", "warn,net=debug,mesh=error") });
    const log = createLogger(cfg, { destination: out });
    log.forComponent("net").debug({}, "net debug");
    log.forComponent("sim").info({}, "sim info");
    log.forComponent("sim").warn({}, "sim warn");
    log.forComponent("mesh").warn({}, "mesh warn");
    log.forComponent("mesh").error({}, "mesh error");
    log.forComponent("net").child({ session_id: "s" }).debug({}, "net child debug");
    expect(out.json().map((l) => l.msg)).toEqual(["net debug", "sim warn", "mesh error", "net child debug"]);
  });

  it("carries trace_id/span_id of the active span, including across await", async () => {
    const out = captureLines();
    handle = await initTelemetry(testConfig({ metricsAddr: "off" }), { logDestination: out, processMetrics: false });
    const log = logger("destruct");
    let traceparent: string | undefined;
    await tracing.withSpan("voxel.carve", { impact_id: "imp-1" }, async (span) => {
      traceparent = traceparentOf(span);
      log.info({ impact_id: "imp-1" }, "carve queued");
      await new Promise((r) => setTimeout(r, 5));
      tracing.withSpan("chunk.mesh", {}, () => log.info({}, "nested"));
      log.info({}, "after await");
    });
    log.info({}, "outside");
    const lines = out.json().filter((l) => l.component === "destruct");
    const [, traceId, spanId] = (traceparent ?? "").split("-");
    expect(lines[0]).toMatchObject({ msg: "carve queued", trace_id: traceId, span_id: spanId });
    expect(lines[1]).toMatchObject({ msg: "nested", trace_id: traceId });
    expect(lines[1].span_id).not.toBe(spanId);
    expect(lines[2]).toMatchObject({ msg: "after await", trace_id: traceId, span_id: spanId });
    expect(lines[3].msg).toBe("outside");
    expect(lines[3]).not.toHaveProperty("trace_id");
  });

  it("redacts names, IPs, e-mails, tokens and raw payloads", () => {
    const out = captureLines();
    const log = createLogger(testConfig(), { destination: out }).forComponent("net");
    log.warn(
      {
        name: "Alice",
        player_name: "Alice",
        playerName: "Alice",
        ip: "203.0.113.7",
        client_ip: "203.0.113.7",
        remote_address: "203.0.113.7",
        email: "alice@example.com",
        token: "tok_abc",
        authorization: "Bearer abc.def",
        payload: "raw-bytes",
        // Variants only the key-pattern guard catches (pino's redact paths are exact).
        peer_address: "192.0.2.44",
        x_forwarded_for: "192.0.2.45",
        session_token: "stok_123",
        player_email: "carol@corp",
        reason: "contact alice@example.com with Bearer s3cr3t-token",
        note: "x".repeat(2000),
        session_id: "sess-7",
      },
      "suspicious frame from alice@example.com",
    );
    // A child's bindings are sanitized too, and nested objects never get dumped.
    log.child({ email: "bob@example.com", session_id: "sess-8" }).warn(
      { blob: { ip: "198.51.100.1" } as unknown as string },
      "child line",
    );
    const text = out.lines.join("\n");
    const secrets = ["Alice", "203.0.113.7", "alice@example.com", "tok_abc", "abc.def", "raw-bytes", "s3cr3t", "bob@example.com", "198.51.100.1", "192.0.2.44", "192.0.2.45", "stok_123", "carol@corp"];
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
    }
    const [a, b] = out.json();
    expect(a).toMatchObject({ name: "[redacted]", ip: "[redacted]", payload: "[redacted]", session_id: "sess-7" });
    expect((a.note as string).length).toBeLessThan(600);
    expect(b).toMatchObject({ session_id: "sess-8", email: "[redacted]", blob: "[object]" });
  });

  it("masks Error objects like every other field: message and stack (the issue's case)", () => {
    const out = captureLines();
    const log = createLogger(testConfig(), { destination: out });
    const err = new Error("login failed for bob@example.org with Bearer abc.def");
    log.forComponent("http").error({ err } as unknown as Record<string, string>, "request failed");
    const line = out.lines[0];
    expect(line).not.toContain("bob@example.org");
    expect(line).not.toContain("abc.def");
    const [json] = out.json();
    expect(json.err).toMatchObject({ type: "Error", message: "login failed for [redacted] with [redacted]" });
    expect(String((json.err as { stack: string }).stack)).toMatch(/^Error: login failed for \[redacted\]/);
  });

  it("masks before truncating, so a cut never leaves part of a secret", () => {
    const out = captureLines();
    const log = createLogger(testConfig(), { destination: out });
    // The address straddles the 512-character cut.
    const text = `${"x".repeat(500)} carol.longname@example.org and more`;
    log.forComponent("http").warn({ detail: text }, text);
    const [json] = out.json();
    for (const v of [json.detail, json.msg] as string[]) {
      expect(v).not.toContain("carol.longna");
      expect(v).toContain("[redacted]");
      expect(v).toMatch(/…\[truncated \d+\]$/);
    }
  });

  it("sanitizeFields returns the same object when nothing needs changing", () => {
    const f = { session_id: "s", n: 1, ok: true, where: "at /app/node_modules/@opentelemetry/core/x.js:1" };
    expect(sanitizeFields(f)).toBe(f);
  });

  it("warnLimited emits one line per site per interval, reports and counts the dropped ones", async () => {
    const out = captureLines();
    let now = 1_000_000;
    const metrics = createMetrics({ zone: "z0", shard: "s0", processMetrics: false });
    const log = createLogger(testConfig(), {
      destination: out,
      now: () => now,
      onDropped: (c) => metrics.internal.logDropped(c),
    }).forComponent("net");
    for (let i = 0; i < 5; i++) log.warnLimited("bad_frame", { session_id: `s${i}` }, "malformed frame");
    log.warnLimited("other_site", {}, "other");
    expect(out.json().map((l) => [l.msg, l.dropped])).toEqual([["malformed frame", 0], ["other", 0]]);

    now += 5_000;
    log.warnLimited("bad_frame", {}, "malformed frame");
    expect(out.lines).toHaveLength(2);

    now += 5_001;
    log.warnLimited("bad_frame", { session_id: "s9" }, "malformed frame");
    const last = out.json().at(-1);
    expect(last).toMatchObject({ msg: "malformed frame", site: "bad_frame", dropped: 5, session_id: "s9", level: "warn" });

    const text = await metrics.registry.metrics();
    expect(sample(text, "game_log_dropped_total", { component: "net" })).toBe(5);
    expect(sample(text, "game_log_dropped_total", { component: "sim" })).toBe(0);
  });

  it("logs the effective config exactly once, even when info is filtered", async () => {
    const out = captureLines();
    handle = await initTelemetry(
      testConfig({ logLevel: parseLogLevel("LOG_LEVEL", "error"), traceSample: 0.05 }),
      { logDestination: out, processMetrics: false },
    );
    logger("telemetry").info({}, "filtered");
    const lines = out.json().filter((l) => l.msg === "telemetry configured");
    expect(lines).toHaveLength(1);
    expect(out.lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      component: "telemetry",
      log_level: "error",
      json_logs: true,
      otlp_endpoint: "off",
      trace_sample: 0.05,
      client_telemetry: true,
      sentry: "off",
      zone: "z0",
      shard: "s0",
    });
    expect(lines[0].metrics_addr).toBe(handle.metricsServer?.url.replace("http://", ""));
  });

  it("facade loggers made before init start writing after it, and stop after shutdown", async () => {
    const early = logger("sim").child({ session_id: "early" });
    early.info({}, "before init goes nowhere");
    const out = captureLines();
    const h = await initTelemetry(testConfig({ metricsAddr: "off" }), { logDestination: out, processMetrics: false });
    early.info({}, "after init");
    await h.shutdown();
    early.info({}, "after shutdown");
    const msgs = out.json().map((l) => l.msg);
    expect(msgs).toContain("after init");
    expect(msgs).not.toContain("before init goes nowhere");
    expect(msgs).not.toContain("after shutdown");
    expect(out.json().find((l) => l.msg === "after init")).toMatchObject({ component: "sim", session_id: "early" });
  });
});
