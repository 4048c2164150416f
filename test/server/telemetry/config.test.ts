import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadTelemetryConfig } from "../../../src/server/config.ts";
import {
  DEFAULT_TELEMETRY_CONFIG,
  describeEffectiveConfig,
  formatLogLevel,
  levelFor,
  parseLogLevel,
} from "../../../src/server/telemetry/config.ts";
import { errorOf } from "../support.ts";

const dir = mkdtempSync(join(tmpdir(), "telemetry-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

describe("telemetry config", () => {
  it("has the documented defaults", () => {
    const cfg = loadTelemetryConfig({});
    expect(cfg).toEqual(DEFAULT_TELEMETRY_CONFIG);
    expect(cfg.metricsAddr).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(cfg.traceSample).toBe(0.05);
    expect(cfg.clientTelemetry).toBe(true);
    expect(cfg.otlpEndpoint).toBeUndefined();
    expect(cfg.otlpProtocol).toBe("http/protobuf");
    expect(cfg.sentryDsn).toBeUndefined();
    expect([cfg.zone, cfg.shard]).toEqual(["z0", "s0"]);
  });

  it("parses per-component level directives", () => {
    const d = parseLogLevel("LOG_LEVEL", "info, net=debug ,mesh=WARN");
    expect(d.default).toBe("info");
    expect(levelFor(d, "net")).toBe("debug");
    expect(levelFor(d, "mesh")).toBe("warn");
    expect(levelFor(d, "sim")).toBe("info");
    expect(formatLogLevel(d)).toBe("info,net=debug,mesh=warn");
  });

  it("layers defaults, then the file, then env", () => {
    const path = file("layer.json", {
      logLevel: "warn,net=debug",
      jsonLogs: false,
      traceSample: 0.5,
      zone: "eu1",
      otlpEndpoint: "http://collector:4318/",
    });
    const fromFile = loadTelemetryConfig({ TELEMETRY_CONFIG: path });
    expect(formatLogLevel(fromFile.logLevel)).toBe("warn,net=debug");
    expect(fromFile.jsonLogs).toBe(false);
    expect(fromFile.traceSample).toBe(0.5);
    expect(fromFile.zone).toBe("eu1");
    expect(fromFile.shard).toBe("s0");
    expect(fromFile.otlpEndpoint).toBe("http://collector:4318");

    const env = loadTelemetryConfig({
      TELEMETRY_CONFIG: path,
      TRACE_SAMPLE: "0.25",
      JSON_LOGS: "yes",
      OTLP_ENDPOINT: "off",
      SHARD: "7",
      LOG_LEVEL: "",
    });
    expect(env.traceSample).toBe(0.25);
    expect(env.jsonLogs).toBe(true);
    expect(env.otlpEndpoint).toBeUndefined();
    expect(env.shard).toBe("7");
    // Empty env values are "unset": the file's level stays.
    expect(formatLogLevel(env.logLevel)).toBe("warn,net=debug");
  });

  it("takes the file path from argv before TELEMETRY_CONFIG", () => {
    const a = file("a.json", { zone: "from_argv" });
    const b = file("b.json", { zone: "from_env" });
    expect(loadTelemetryConfig({ TELEMETRY_CONFIG: b }, ["--telemetry-config", a]).zone).toBe("from_argv");
    expect(loadTelemetryConfig({ TELEMETRY_CONFIG: b }, [`--telemetry-config=${a}`]).zone).toBe("from_argv");
  });

  it("parses every env override", () => {
    const cfg = loadTelemetryConfig({
      LOG_LEVEL: "debug",
      JSON_LOGS: "0",
      METRICS_ADDR: "[::1]:0",
      OTLP_ENDPOINT: "https://otel.example:4318",
      OTLP_PROTOCOL: "http/json",
      TRACE_SAMPLE: "1",
      CLIENT_TELEMETRY: "off",
      SENTRY_DSN: "https://abc@o1.ingest.sentry.io/42",
      ZONE: "na-west",
      SHARD: "s_3",
    });
    expect(cfg.logLevel.default).toBe("debug");
    expect(cfg.jsonLogs).toBe(false);
    expect(cfg.metricsAddr).toEqual({ host: "::1", port: 0 });
    expect(cfg.otlpEndpoint).toBe("https://otel.example:4318");
    expect(cfg.otlpProtocol).toBe("http/json");
    expect(cfg.traceSample).toBe(1);
    expect(cfg.clientTelemetry).toBe(false);
    expect(cfg.sentryDsn).toBe("https://abc@o1.ingest.sentry.io/42");
    expect(cfg.zone).toBe("na-west");
    expect(cfg.shard).toBe("s_3");
    expect(loadTelemetryConfig({ METRICS_ADDR: "off" }).metricsAddr).toBe("off");
  });

  const bad: [Record<string, string>, string, RegExp][] = [
    [{ TRACE_SAMPLE: "abc" }, "TRACE_SAMPLE", /^TRACE_SAMPLE: must be a number in 0\.\.1, got "abc"$/],
    [{ TRACE_SAMPLE: "1.5" }, "TRACE_SAMPLE", /0\.\.1/],
    [{ TRACE_SAMPLE: "-0.1" }, "TRACE_SAMPLE", /0\.\.1/],
    [{ LOG_LEVEL: "info,foo=debug" }, "LOG_LEVEL", /^LOG_LEVEL: unknown component "foo"/],
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL", /^LOG_LEVEL: unknown level "verbose"/],
    [{ LOG_LEVEL: "info,net=loud" }, "LOG_LEVEL", /unknown level "loud"/],
    [{ LOG_LEVEL: "info,,net=debug" }, "LOG_LEVEL", /empty directive/],
    [{ JSON_LOGS: "maybe" }, "JSON_LOGS", /^JSON_LOGS: must be true or false/],
    [{ CLIENT_TELEMETRY: "2" }, "CLIENT_TELEMETRY", /^CLIENT_TELEMETRY: must be true or false/],
    [{ METRICS_ADDR: "9464" }, "METRICS_ADDR", /^METRICS_ADDR: must be "host:port"/],
    [{ METRICS_ADDR: "localhost:99999" }, "METRICS_ADDR", /port 0\.\.65535/],
    [{ METRICS_ADDR: "bad host:1" }, "METRICS_ADDR", /host:port/],
    [{ OTLP_ENDPOINT: "not a url" }, "OTLP_ENDPOINT", /^OTLP_ENDPOINT: must be an http\(s\) URL/],
    [{ OTLP_ENDPOINT: "grpc://collector:4317" }, "OTLP_ENDPOINT", /must use http or https/],
    [{ OTLP_ENDPOINT: "http://collector:4318?x=1" }, "OTLP_ENDPOINT", /query or fragment/],
    [{ OTLP_PROTOCOL: "grpc" }, "OTLP_PROTOCOL", /^OTLP_PROTOCOL: must be one of http\/protobuf, http\/json/],
    [{ SENTRY_DSN: "https://o1.ingest.sentry.io/42" }, "SENTRY_DSN", /^SENTRY_DSN: must be a Sentry DSN/],
    [{ ZONE: "EU West" }, "ZONE", /^ZONE: must match \[a-z0-9_-\]\{1,32\}/],
    [{ SHARD: "x".repeat(33) }, "SHARD", /^SHARD: must match/],
    [{ TELEMETRY_CONFIG: "/nonexistent/telemetry.json" }, "TELEMETRY_CONFIG", /cannot read config file.*ENOENT/],
  ];
  for (const [env, setting, message] of bad) {
    it(`rejects ${JSON.stringify(env)} naming ${setting}`, () => {
      const err = errorOf(() => loadTelemetryConfig(env));
      expect(err.setting).toBe(setting);
      expect(err.message).toMatch(message);
    });
  }

  it("names the file and key for bad file values, unknown keys and bad JSON", () => {
    const badValue = file("bad-value.json", { traceSample: "lots" });
    expect(errorOf(() => loadTelemetryConfig({ TELEMETRY_CONFIG: badValue })).message).toBe(
      `${badValue}: traceSample: must be a number in 0..1, got "lots"`,
    );
    const typo = file("typo.json", { tracesample: 0.1 });
    expect(errorOf(() => loadTelemetryConfig({ TELEMETRY_CONFIG: typo })).message).toMatch(
      new RegExp(`^${typo}: tracesample: unknown setting`),
    );
    const notJson = file("not.json", "{ nope");
    expect(errorOf(() => loadTelemetryConfig({ TELEMETRY_CONFIG: notJson })).message).toMatch(/^TELEMETRY_CONFIG: .*not valid JSON/);
    const array = file("array.json", [1]);
    expect(errorOf(() => loadTelemetryConfig({ TELEMETRY_CONFIG: array })).message).toMatch(/must hold a JSON object/);
    expect(errorOf(() => loadTelemetryConfig({}, ["--telemetry-config"])).setting).toBe("--telemetry-config");
  });

  it("never echoes secrets in errors", () => {
    const dsn = errorOf(() => loadTelemetryConfig({ SENTRY_DSN: "https://supersecret@host" }));
    expect(dsn.message).not.toContain("supersecret");
    const otlp = errorOf(() => loadTelemetryConfig({ OTLP_ENDPOINT: "ftp://user:hunter2@x" }));
    expect(otlp.message).not.toContain("hunter2");
  });

  it("describes the effective config with secrets redacted", () => {
    const cfg = loadTelemetryConfig({
      LOG_LEVEL: "info,net=debug",
      OTLP_ENDPOINT: "https://user:pw@collector.example:4318/base",
      SENTRY_DSN: "https://key123@o1.ingest.sentry.io/42",
    });
    const d = describeEffectiveConfig(cfg);
    expect(d).toEqual({
      log_level: "info,net=debug",
      json_logs: true,
      metrics_addr: "127.0.0.1:9464",
      otlp_endpoint: "https://collector.example:4318/base",
      otlp_protocol: "http/protobuf",
      trace_sample: 0.05,
      client_telemetry: true,
      sentry: "on",
    });
    expect(JSON.stringify(d)).not.toMatch(/key123|pw@|user:/);
    expect(describeEffectiveConfig(loadTelemetryConfig({ METRICS_ADDR: "off" }))).toMatchObject({
      metrics_addr: "off", otlp_endpoint: "off", sentry: "off",
    });
  });
});
