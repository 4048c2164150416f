import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrashInbox, parseEnvelope } from "../../../src/server/telemetry/crash-inbox.ts";
import { initTelemetry } from "../../../src/server/telemetry/index.ts";
import type { StoredCrash, TelemetryHandle } from "../../../src/server/telemetry/index.ts";
import { captureLines, testConfig } from "./helpers.ts";

function envelope(eventId: string, extra: Record<string, unknown> = {}): string {
  const header = JSON.stringify({ event_id: eventId, sent_at: "2026-01-01T00:00:00Z", dsn: "https://k@h/1" });
  const event = JSON.stringify({
    event_id: eventId,
    level: "fatal",
    exception: { values: [{ type: "GPUDeviceLostError", value: "device lost" }] },
    user: { ip_address: "198.51.100.4", email: "x@example.com" },
    request: { url: "https://game/", headers: { cookie: "sid=1", "user-agent": "UA" } },
    ...extra,
  });
  return `${header}\n${JSON.stringify({ type: "event" })}\n${event}\n`;
}

describe("crash inbox", () => {
  it("parses envelopes, including length-prefixed binary items", () => {
    const attachment = "line1\nline2";
    const raw = `{"event_id":"a"}\n{"type":"attachment","length":${Buffer.byteLength(attachment)}}\n${attachment}\n{"type":"event"}\n{"message":"m"}`;
    const env = parseEnvelope(raw);
    expect(env?.header).toEqual({ event_id: "a" });
    expect(env?.items.map((i) => i.header.type)).toEqual(["attachment", "event"]);
    expect(env?.items[0].payload).toEqual({ bytes: 11 });
    expect(env?.items[1].payload).toEqual({ message: "m" });
    expect(parseEnvelope("not json")).toBeUndefined();
    expect(parseEnvelope('{"a":1}\n{"type":"x","length":999}\nshort')).toBeUndefined();
  });

  it("is bounded, newest first, and strips user identity and request headers", () => {
    const inbox = new CrashInbox({ capacity: 3 });
    for (let i = 0; i < 5; i++) expect(inbox.addRaw(envelope(`e${i}`))).toBe(true);
    expect(inbox.size).toBe(3);
    const list = inbox.list();
    expect(list.map((c) => c.header.event_id)).toEqual(["e4", "e3", "e2"]);
    expect(list[0].seq).toBe(5);
    const text = JSON.stringify(list);
    expect(text).not.toMatch(/198\.51\.100\.4|x@example\.com|sid=1/);
    expect(text).toContain("device lost");
    expect(inbox.stats()).toEqual({ stored: 3, received: 5, rejected: 0, capacity: 3 });
  });

  it("rejects oversized and malformed envelopes, counting them", () => {
    const inbox = new CrashInbox({ maxBytes: 100 });
    expect(inbox.addRaw(envelope("big", { pad: "x".repeat(200) }))).toBe(false);
    expect(inbox.addRaw("}{")).toBe(false);
    expect(inbox.stats()).toMatchObject({ stored: 0, rejected: 2 });
  });
});

describe("/debug/crashes", () => {
  let h: TelemetryHandle;
  beforeAll(async () => {
    h = await initTelemetry(testConfig(), { logDestination: captureLines(), processMetrics: false, crashInbox: { capacity: 2 } });
  });
  afterAll(() => h.shutdown());

  it("serves the inbox as JSON", async () => {
    h.crashInbox.addRaw(envelope("c1"));
    h.crashInbox.addRaw(envelope("c2"));
    h.crashInbox.addRaw(envelope("c3"));
    const res = await fetch(`${h.metricsServer?.url}/debug/crashes`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { stored: number; received: number; crashes: StoredCrash[] };
    expect(body.stored).toBe(2);
    expect(body.received).toBe(3);
    expect(body.crashes.map((c) => c.header.event_id)).toEqual(["c3", "c2"]);
  });
});
