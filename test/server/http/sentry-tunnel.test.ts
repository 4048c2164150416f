import { afterEach, describe, expect, it } from "vitest";
import { createSentryTunnel, scrubEnvelope } from "../../../src/server/http/sentry-tunnel.ts";
import type { SentryTunnelDeps, TunnelOutcome } from "../../../src/server/http/sentry-tunnel.ts";
import { PLACEHOLDER_SENTRY_DSN } from "../../../src/shared/telemetry/client-config.ts";
import { CrashInbox, parseEnvelope } from "../../../src/server/telemetry/crash-inbox.ts";
import { receiver, serve } from "./helpers.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** An envelope shaped like @sentry/browser's, full of things that must not be kept. */
function envelope(dsn: string): string {
  const header = { event_id: "9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", sent_at: "2025-01-01T00:00:00.000Z", dsn, sdk: { name: "sentry.javascript.browser", version: "11.12.0" } };
  const event = {
    event_id: header.event_id,
    level: "error",
    platform: "javascript",
    exception: { values: [{ type: "Error", value: "socket to 198.51.100.23 failed" }] },
    user: { ip_address: "198.51.100.23", email: "bob@example.com", id: "7" },
    request: { url: "https://game.example/play?name=bob", headers: { "User-Agent": "Mozilla/5.0", Cookie: "sid=2" }, cookies: { sid: "2" }, query_string: "name=bob" },
    contexts: { trace: { trace_id: "a".repeat(32), span_id: "b".repeat(16) } },
    breadcrumbs: [{ category: "fetch", data: { url: "/x?ip=2001:db8::7", method: "GET" } }],
    extra: { note: "anything" },
    server_name: "bob-pc",
    sdk: { name: "sentry.javascript.browser", version: "11.12.0", settings: { infer_ip: "auto" } },
  };
  const payload = JSON.stringify(event);
  return `${JSON.stringify(header)}\n${JSON.stringify({ type: "event", length: Buffer.byteLength(payload) })}\n${payload}\n${JSON.stringify({ type: "attachment", length: 5 })}\nHELLO\n`;
}

async function setup(extra: Partial<SentryTunnelDeps> = {}) {
  const inbox = new CrashInbox();
  const outcomes: TunnelOutcome[] = [];
  let enabled = true;
  const s = await serve(createSentryTunnel({ enabled: () => enabled, dsn: () => undefined, inbox, onOutcome: (o) => outcomes.push(o), ...extra }));
  closers.push(s.close);
  const post = (body: string, type = "text/plain;charset=UTF-8") => fetch(`${s.url}/telemetry/sentry`, { method: "POST", headers: { "content-type": type }, body });
  return { ...s, inbox, outcomes, post, setEnabled: (v: boolean) => (enabled = v) };
}

const PERSONAL = ["198.51.100.23", "2001:db8", "bob@example.com", "Mozilla", "sid=2", "name=bob", "bob-pc", "anything", "HELLO"];

describe("POST /telemetry/sentry without a configured DSN", () => {
  it("stores the envelope in the crash inbox without personal data", async () => {
    const t = await setup();
    const res = await t.post(envelope(PLACEHOLDER_SENTRY_DSN));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e" });
    expect(t.inbox.size).toBe(1);
    const stored = t.inbox.list()[0];
    const text = JSON.stringify(stored);
    for (const p of PERSONAL) expect(text).not.toContain(p);
    expect(stored.items).toHaveLength(1); // the attachment is dropped
    const ev = stored.items[0].payload as Record<string, unknown>;
    expect(ev.user).toBeUndefined();
    expect(ev.request).toEqual({ url: "https://game.example/play" });
    expect(ev.exception).toEqual({ values: [{ type: "Error", value: "socket to [ip] failed" }] });
    expect((ev.sdk as { settings: unknown }).settings).toEqual({ infer_ip: "never" });
    expect(t.outcomes).toEqual(["stored"]);
  });

  it("refuses envelopes for another DSN (no open relay)", async () => {
    const t = await setup();
    const res = await t.post(envelope("https://someone@o9.ingest.sentry.io/99"));
    expect(res.status).toBe(403);
    expect(t.inbox.size).toBe(0);
    expect(t.outcomes).toEqual(["dsn_mismatch"]);
  });

  it("rejects malformed and oversized envelopes, and answers 404 when off", async () => {
    const t = await setup({ maxBodyBytes: 4096 });
    expect((await t.post("not an envelope")).status).toBe(400);
    expect((await t.post(envelope(PLACEHOLDER_SENTRY_DSN) + "x".repeat(5000))).status).toBe(413);
    t.setEnabled(false);
    expect((await t.post(envelope(PLACEHOLDER_SENTRY_DSN))).status).toBe(404);
    expect((await fetch(`${t.url}/telemetry/sentry`)).status).toBe(405);
    expect(t.inbox.size).toBe(0);
    expect(t.outcomes).toEqual(["malformed", "oversized", "off"]);
  });
});

describe("POST /telemetry/sentry with a configured DSN", () => {
  it("forwards the scrubbed envelope to the DSN host's envelope endpoint", async () => {
    const up = await receiver(200);
    closers.push(up.close);
    const dsn = `${up.url.replace("://", "://publickey123@")}/5`;
    const t = await setup({ dsn: () => dsn });
    const res = await t.post(envelope(dsn));
    expect(res.status).toBe(200);
    expect(up.got).toHaveLength(1);
    const got = up.got[0];
    expect(got.path).toBe("/api/5/envelope/");
    expect(got.headers["content-type"]).toBe("application/x-sentry-envelope");
    expect(got.headers["x-forwarded-for"]).toBeUndefined();
    const body = got.body.toString("utf8");
    for (const p of PERSONAL) expect(body).not.toContain(p);
    const parsed = parseEnvelope(got.body)!;
    expect(parsed.header.dsn).toBe(dsn);
    expect(parsed.items.map((i) => i.header.type)).toEqual(["event"]);
    expect(t.inbox.size).toBe(0);
    expect(t.outcomes).toEqual(["forwarded"]);
  });

  it("passes upstream rate limiting back to the browser", async () => {
    const up = await receiver(429, { "retry-after": "60" });
    closers.push(up.close);
    const dsn = `${up.url.replace("://", "://k@")}/5`;
    const t = await setup({ dsn: () => dsn });
    const res = await t.post(envelope(dsn));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
  });

  it("answers 502 when the Sentry host cannot be reached", async () => {
    const t = await setup({ dsn: () => "http://k@127.0.0.1:9/5", timeoutMs: 2_000 });
    const res = await t.post(envelope("http://k@127.0.0.1:9/5"));
    expect(res.status).toBe(502);
    expect(t.outcomes).toEqual(["upstream_error"]);
  });
});

describe("scrubEnvelope", () => {
  it("keeps the DSN intact even when its host is an IP address", () => {
    const env = scrubEnvelope({ header: { dsn: "http://k@10.0.0.5:9000/1", note: "from 10.0.0.9" }, items: [] });
    expect(env.header).toEqual({ dsn: "http://k@10.0.0.5:9000/1", note: "from [ip]" });
  });
});
