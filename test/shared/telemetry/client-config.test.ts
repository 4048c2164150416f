import { describe, expect, it } from "vitest";
import {
  CLIENT_CONFIG_OFF,
  envelopeUrl,
  parseClientConfig,
  parseDsn,
  PLACEHOLDER_SENTRY_DSN,
  sameDsn,
} from "../../../src/shared/telemetry/client-config.ts";

const GOOD = {
  v: 1,
  ingest: true,
  trace_sample_ratio: 0.05,
  sentry: { dsn: "https://abc123@o1.ingest.sentry.io/42", sample_rate: 1, environment: "production" },
  build: "0.1.0",
};

describe("parseClientConfig", () => {
  it("accepts a well-formed answer", () => {
    expect(parseClientConfig(GOOD)).toEqual(GOOD);
  });

  it("reads anything malformed or off as off", () => {
    expect(parseClientConfig(null)).toBe(CLIENT_CONFIG_OFF);
    expect(parseClientConfig({ ...GOOD, ingest: false })).toBe(CLIENT_CONFIG_OFF);
    expect(parseClientConfig({ ...GOOD, v: 2 })).toBe(CLIENT_CONFIG_OFF);
    expect(parseClientConfig({ ...GOOD, trace_sample_ratio: 2 })).toBe(CLIENT_CONFIG_OFF);
    expect(parseClientConfig({ ...GOOD, ingest: "yes" })).toBe(CLIENT_CONFIG_OFF);
  });

  it("drops a bad sentry block but keeps the rest", () => {
    const cfg = parseClientConfig({ ...GOOD, sentry: { ...GOOD.sentry, dsn: "not a dsn" } });
    expect(cfg.ingest).toBe(true);
    expect(cfg.sentry).toBeNull();
    expect(parseClientConfig({ ...GOOD, build: "Not A Token!" }).build).toBe("");
  });
});

describe("DSN helpers", () => {
  it("parses public DSNs and builds the envelope endpoint", () => {
    const d = parseDsn("https://abc123@o1.ingest.sentry.io/42");
    expect(d).toEqual({ protocol: "https:", publicKey: "abc123", host: "o1.ingest.sentry.io", pathPrefix: "", projectId: "42" });
    expect(envelopeUrl(d!)).toBe("https://o1.ingest.sentry.io/api/42/envelope/");
    const self = parseDsn("http://k@127.0.0.1:9000/sentry/7");
    expect(envelopeUrl(self!)).toBe("http://127.0.0.1:9000/sentry/api/7/envelope/");
  });

  it("rejects malformed or secret-bearing DSNs", () => {
    expect(parseDsn("nope")).toBeNull();
    expect(parseDsn("https://o1.ingest.sentry.io/42")).toBeNull();
    expect(parseDsn("https://key:secret@o1.ingest.sentry.io/42")).toBeNull();
    expect(parseDsn("https://key@o1.ingest.sentry.io/abc")).toBeNull();
    expect(parseDsn("ftp://key@host/1")).toBeNull();
    expect(parseDsn(PLACEHOLDER_SENTRY_DSN)).not.toBeNull();
  });

  it("compares DSNs by key, host, path and project", () => {
    expect(sameDsn("https://a@h.io/1", "https://a@h.io/1")).toBe(true);
    expect(sameDsn("https://a@h.io/1", "https://b@h.io/1")).toBe(false);
    expect(sameDsn("https://a@h.io/1", "https://a@evil.io/1")).toBe(false);
    expect(sameDsn("https://a@h.io/1", "https://a@h.io/2")).toBe(false);
    expect(sameDsn("", "https://a@h.io/1")).toBe(false);
  });
});
