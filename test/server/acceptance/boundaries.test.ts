// Issue 10: every input that crosses a trust boundary, tried as a user or an attacker would,
// against the real server (startGame: game port with the client-telemetry routes, metrics
// listener with the debug pages) at TRACE_SAMPLE=0. One table per boundary: the fire envelope's
// traceparent, breadcrumb batches, the OTLP relay, the Sentry tunnel and HTTP headers. Each row
// checks the status, the counter and its reason, that nothing is stored that should not be,
// and that /debug/tracez (JSON and HTML) and /debug/crashes still answer 200.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../../../src/server/bots/bot.ts";
import { PLACEHOLDER_SENTRY_DSN } from "../../../src/shared/telemetry/client-config.ts";
import { parseExposition, total } from "../../prometheus-text.ts";
import { validBatch, validWindow } from "../../shared/telemetry/fixtures.ts";
import { cleanup, connectBots, randomTraceparent, startAcceptanceGame } from "./harness.ts";
import type { AcceptanceGame } from "./harness.ts";

let g: AcceptanceGame;
let bot: Bot;

beforeAll(async () => {
  g = await startAcceptanceGame({ TRACE_SAMPLE: "0", ZONE: "z9", SHARD: "s9" }, { server: { npcCount: 0, weaponCooldownMs: 10 } });
  [bot] = await connectBots(g.game.url.replace(/^http/, "ws") + "/ws", 1);
}, 60_000);
afterAll(() => cleanup());

/** A POST on a fresh connection (no pooling, so per-connection limits never mix rows), with exactly these headers. */
function post(path: string, headers: Record<string, string>, body: string | Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, g.game.url);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const json = (body: unknown): [Record<string, string>, string] => {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return [{ "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }, text];
};

/** The sum of the samples named `name` whose labels include `labels`. */
async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return total(parseExposition(await g.scrape()), name, labels);
}

/** The debug pages answer 200 (JSON and HTML tracez, crashes); returns what they hold. */
async function debugPages(): Promise<{ tracez: string; html: string; crashes: string }> {
  const get = async (q: string): Promise<string> => {
    const res = await fetch(`${g.metricsUrl}${q}`);
    expect(res.status, q).toBe(200);
    return res.text();
  };
  return { tracez: await get("/debug/tracez?limit=1000"), html: await get("/debug/tracez?format=html&limit=1000"), crashes: await get("/debug/crashes") };
}

const hex = (n: number): string => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]).join("");

describe("fire envelope: the traceparent", () => {
  // reason: the game_trace_parent_invalid_total reason (null: a valid parent); "frame": the
  // value breaks the envelope's own field rule (printable ASCII, at most 55 characters, see
  // protocol/messages.ts), so the whole frame is refused as malformed_frame, as it always was
  // (a longer value never leaves the shared encoder; test/shared/protocol covers the decoder).
  type Row = { name: string; tp: () => string; reason: "format" | "version" | "trace_id" | "parent_id" | "frame" | null; recorded: boolean };
  const rows: Row[] = [
    { name: "valid, sampled by the client (within the session's budget)", tp: () => randomTraceparent().header, reason: null, recorded: true },
    { name: "valid, not sampled", tp: () => `00-${hex(32)}-${hex(16)}-00`, reason: null, recorded: false },
    { name: "a later version", tp: () => `cc-${hex(32)}-${hex(16)}-01`, reason: null, recorded: true },
    { name: "all-zero trace id, sampled (the issue's case)", tp: () => `00-${"0".repeat(32)}-00f067aa0ba902b7-01`, reason: "trace_id", recorded: false },
    { name: "version ff", tp: () => `ff-${hex(32)}-${hex(16)}-01`, reason: "version", recorded: false },
    { name: "all-zero parent id", tp: () => `00-${hex(32)}-${"0".repeat(16)}-01`, reason: "parent_id", recorded: false },
    { name: "uppercase hex", tp: () => `00-${hex(32).toUpperCase()}-${hex(16)}-01`, reason: "format", recorded: false },
    { name: "garbage with personal data", tp: () => "00-name=alice;token=tok_123", reason: "format", recorded: false },
    { name: "short garbage", tp: () => "x", reason: "format", recorded: false },
    { name: "control bytes (not printable ASCII)", tp: () => `00-${hex(31)}\u0001-${hex(16)}-01`, reason: "frame", recorded: false },
  ];

  for (const row of rows) {
    const outcome = row.reason === null ? "continued" : row.reason === "frame" ? "the frame is refused" : `counted as ${row.reason}, treated as no parent`;
    it(`${row.name}: ${outcome}`, async () => {
      const reasons = ["format", "version", "trace_id", "parent_id"];
      const before = await Promise.all(reasons.map((r) => metric("game_trace_parent_invalid_total", { reason: r })));
      const malformedBefore = await metric("game_errors_total", { class: "malformed_frame" });
      const tp = row.tp();
      bot.fire(0, 0, -1, { traceparent: tp });
      await g.game.waitForTicks(4);
      const after = await Promise.all(reasons.map((r) => metric("game_trace_parent_invalid_total", { reason: r })));
      expect(after.map((v, i) => v - before[i]), "invalid by reason").toEqual(reasons.map((r) => (r === row.reason ? 1 : 0)));
      // Otherwise the frame itself is fine: the fire command was taken, only its parent ignored.
      expect(await metric("game_errors_total", { class: "malformed_frame" })).toBe(malformedBefore + (row.reason === "frame" ? 1 : 0));
      expect(bot.closed).toBeNull();
      const pages = await debugPages();
      const traceId = tp.slice(3, 35);
      expect(pages.tracez.includes(`"trace_id":"${traceId}"`), "the client's trace recorded").toBe(row.recorded);
      // TRACE_SAMPLE=0: an ignored parent is a root at ratio 0, so nothing new is recorded for it.
      expect(pages.tracez).not.toContain(`"trace_id":"${"0".repeat(32)}"`);
    });
  }
});

describe("breadcrumbs: POST /telemetry/v1/breadcrumbs", () => {
  let n = 0;
  const session = (): string => `zz${String(++n).padStart(22, "0")}`;
  const dup = validBatch({ session: "dupdupdupdupdupdupdupdup" });
  type Row = { name: string; req: () => [Record<string, string>, string]; status: number; result: string; reason?: string; frames: "more" | "same" | "bounded" };
  const rows: Row[] = [
    { name: "a valid batch", req: () => json(validBatch({ session: session() })), status: 202, result: "accepted", frames: "more" },
    { name: "the same batch again (a retry)", req: () => json(dup), status: 202, result: "accepted", frames: "more" },
    { name: "a duplicate by idempotency key", req: () => json(dup), status: 200, result: "duplicate", frames: "same" },
    { name: "malformed JSON", req: () => json("{nope"), status: 400, result: "rejected", reason: "malformed", frames: "same" },
    { name: "an unknown key carrying a name", req: () => json({ ...validBatch({ session: session() }), player_name: "alice" }), status: 400, result: "rejected", reason: "invalid", frames: "same" },
    { name: "a __proto__ key", req: () => json(`{"__proto__":{"polluted":1},${JSON.stringify(validBatch({ session: session() })).slice(1)}`), status: 400, result: "rejected", reason: "invalid", frames: "same" },
    { name: "an absurd fps figure", req: () => json(validBatch({ session: session(), windows: [validWindow({ fps: { p50: 1e9, p95: 1e9, p99: 1e9, low1: 1e9 } })] })), status: 400, result: "rejected", reason: "invalid", frames: "same" },
    {
      name: "24 million frames in one batch (an attempt to outweigh every other client)",
      req: () => {
        // 40 windows of 10 minutes at 1000 fps: the most the schema allows, 24 million frames.
        const w = validWindow();
        const frame_ms = w.frame_ms.map(() => 0);
        frame_ms[0] = 600_000;
        const windows = Array.from({ length: 40 }, (_, i) => ({ ...w, start_ms: w.start_ms + i * 600_000, dur_ms: 600_000, frames: 600_000, frame_ms, frame_ms_sum: 600_000 }));
        return json(validBatch({ session: session(), windows }));
      },
      status: 202, result: "accepted", frames: "bounded",
    },
    { name: "text/plain", req: () => [{ "content-type": "text/plain", "content-length": "2" }, "{}"], status: 415, result: "rejected", reason: "unsupported", frames: "same" },
    { name: "70 KB", req: () => json({ ...validBatch({ session: session() }), pad: "x".repeat(70 * 1024) }), status: 413, result: "rejected", reason: "oversized", frames: "same" },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.status}, ${row.result}${row.reason ? `/${row.reason}` : ""}`, async () => {
      const labels = { route: "breadcrumbs", result: row.result };
      const before = await metric("game_client_requests_total", labels);
      const reasonBefore = row.reason ? await metric("game_client_rejected_total", { route: "breadcrumbs", reason: row.reason }) : 0;
      const framesBefore = await metric("game_client_frame_time_seconds_count");
      const [headers, body] = row.req();
      const res = await post("/telemetry/v1/breadcrumbs", headers, body);
      expect(res.status).toBe(row.status);
      expect(res.body).not.toContain("alice");
      expect(await metric("game_client_requests_total", labels)).toBe(before + 1);
      if (row.reason) expect(await metric("game_client_rejected_total", { route: "breadcrumbs", reason: row.reason })).toBe(reasonBefore + 1);
      const frames = (await metric("game_client_frame_time_seconds_count")) - framesBefore;
      if (row.frames === "same") expect(frames).toBe(0);
      else if (row.frames === "more") expect(frames).toBe(1800);
      // One session weighs at most 8192 frame times per batch, however many it claims.
      else expect(frames).toBeLessThanOrEqual(8192);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await debugPages();
    });
  }
});

describe("OTLP relay: POST /v1/traces", () => {
  let sessions = 0;
  /** A fresh client session per request, so the per-session limit (tested on its own below) stays out of the rows. */
  const fresh = (): string => `relay${String(++sessions).padStart(19, "0")}`;
  const nowNs = (offsetMs = 0): string => String(BigInt(Date.now() + offsetMs) * 1_000_000n);
  const span = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    traceId: hex(32), spanId: hex(16), name: "client.command", kind: 3, startTimeUnixNano: nowNs(-50), endTimeUnixNano: nowNs(-10),
    attributes: [{ key: "command.kind", value: { stringValue: "fire" } }], ...over,
  });
  const resource = (session: string | null) => ({
    attributes: [{ key: "service.name", value: { stringValue: "voxel-shooter-client" } }, ...(session ? [{ key: "session.id", value: { stringValue: session } }] : [])],
  });
  const body = (spans: object[], ids: (string | null)[] = [fresh()]) =>
    json({ resourceSpans: ids.map((s) => ({ resource: resource(s), scopeSpans: [{ scope: { name: "c" }, spans }] })) });
  const deep = (d: number): object => (d === 0 ? { stringValue: "x" } : { kvlistValue: { values: [{ key: "k", value: deep(d - 1) }] } });
  const cycleTrace = hex(32);

  type Row = { name: string; req: () => [Record<string, string>, string]; status: number; result: string; reason?: string; spanReason?: string; stored?: (tracez: string) => boolean };
  const valid = span();
  const upper = span({ traceId: hex(32).toUpperCase() });
  const script = span({ name: "<script>alert(1)</script>" });
  const rows: Row[] = [
    { name: "a valid span", req: () => body([valid]), status: 200, result: "accepted", stored: (t) => t.includes(valid.traceId as string) },
    { name: "uppercase ids (allowed by OTLP/JSON, stored lowercase)", req: () => body([upper]), status: 200, result: "accepted", stored: (t) => t.includes((upper.traceId as string).toLowerCase()) },
    { name: "markup in a span name", req: () => body([script]), status: 200, result: "accepted", stored: (t) => t.includes(script.traceId as string) },
    { name: "duplicate span ids forming a parent cycle", req: () => body([span({ traceId: cycleTrace, spanId: "1111111111111111", parentSpanId: "2222222222222222" }), span({ traceId: cycleTrace, spanId: "2222222222222222", parentSpanId: "1111111111111111" }), span({ traceId: cycleTrace, spanId: "1111111111111111" })]), status: 200, result: "accepted", stored: (t) => t.includes(cycleTrace) },
    { name: "an all-zero trace id", req: () => body([span({ traceId: "0".repeat(32) })]), status: 200, result: "accepted", spanReason: "trace_id", stored: (t) => !t.includes("0".repeat(32)) },
    { name: "a start time in 2100", req: () => body([span({ startTimeUnixNano: "4102444800000000000", endTimeUnixNano: "4102444800000000001" })]), status: 200, result: "accepted", spanReason: "time" },
    { name: "a start time beyond any Date", req: () => body([span({ startTimeUnixNano: "18446744073709551615", endTimeUnixNano: "18446744073709551615" })]), status: 200, result: "accepted", spanReason: "time" },
    { name: "an end before the start", req: () => body([span({ startTimeUnixNano: nowNs(-10), endTimeUnixNano: nowNs(-50) })]), status: 200, result: "accepted", spanReason: "time" },
    { name: "a non-integer time", req: () => body([span({ startTimeUnixNano: 1.5 })]), status: 200, result: "accepted", spanReason: "time" },
    { name: "a 10,000-char name", req: () => body([span({ name: "n".repeat(10_000) })]), status: 200, result: "accepted", spanReason: "name" },
    { name: "100 attributes", req: () => body([span({ attributes: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } })) })]), status: 200, result: "accepted", spanReason: "attributes" },
    { name: "a 100 KB attribute value", req: () => body([span({ attributes: [{ key: "k", value: { stringValue: "v".repeat(100_000) } }] })]), status: 200, result: "accepted", spanReason: "attributes" },
    { name: "an attribute nested 50 deep", req: () => body([span({ attributes: [{ key: "k", value: deep(50) }] })]), status: 200, result: "accepted", spanReason: "attributes" },
    { name: "a parent span id of the wrong length", req: () => body([span({ parentSpanId: "abc" })]), status: 200, result: "accepted", spanReason: "parent_span_id" },
    { name: "no session id", req: () => body([span()], [null]), status: 400, result: "rejected", reason: "session" },
    { name: "two session ids in one request", req: () => body([span()], [fresh(), fresh()]), status: 400, result: "rejected", reason: "session" },
    { name: "JSON that is not OTLP", req: () => json({ hello: 1 }), status: 400, result: "rejected", reason: "invalid" },
    { name: "malformed JSON", req: () => json("{"), status: 400, result: "rejected", reason: "malformed" },
    { name: "protobuf (not checkable here)", req: () => [{ "content-type": "application/x-protobuf", "content-length": "2" }, "\n\0"], status: 415, result: "rejected", reason: "unsupported" },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.status}${row.spanReason ? `, span refused as ${row.spanReason}` : ""}${row.reason ? `, ${row.reason}` : ""}`, async () => {
      const before = await metric("game_client_requests_total", { route: "traces", result: row.result });
      const reasonBefore = row.reason ? await metric("game_client_rejected_total", { route: "traces", reason: row.reason }) : 0;
      const spanBefore = row.spanReason ? await metric("game_client_spans_rejected_total", { reason: row.spanReason }) : 0;
      const spansBefore = JSON.parse((await debugPages()).tracez).spans as number;
      const [headers, text] = row.req();
      const res = await post("/v1/traces", headers, text);
      expect(res.status).toBe(row.status);
      expect(await metric("game_client_requests_total", { route: "traces", result: row.result })).toBe(before + 1);
      if (row.reason) expect(await metric("game_client_rejected_total", { route: "traces", reason: row.reason })).toBe(reasonBefore + 1);
      if (row.spanReason) {
        expect(await metric("game_client_spans_rejected_total", { reason: row.spanReason })).toBe(spanBefore + 1);
        expect(JSON.parse(res.body)).toMatchObject({ partialSuccess: { rejectedSpans: "1" } });
      }
      const pages = await debugPages();
      if (row.stored) expect(row.stored(pages.tracez)).toBe(true);
      else expect(JSON.parse(pages.tracez).spans as number).toBe(spansBefore);
      expect(pages.html).not.toContain("<script>alert");
    });
  }

  it("rate-limits one client session (429 with Retry-After, counted), not the others", async () => {
    const flooder = fresh();
    const before = await metric("game_client_rejected_total", { route: "traces", reason: "rate_limited" });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const [headers, text] = body([span()], [flooder]);
      statuses.push((await post("/v1/traces", headers, text)).status);
    }
    const [h, t] = body([span()], [flooder]);
    const retry = await new Promise<string | undefined>((resolve, reject) => {
      const url = new URL("/v1/traces", g.game.url);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: h, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.headers["retry-after"]));
      });
      req.on("error", reject);
      req.end(t);
    });
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(Number(retry)).toBeGreaterThanOrEqual(1);
    expect(await metric("game_client_rejected_total", { route: "traces", reason: "rate_limited" })).toBe(before + 3);
    const [h2, t2] = body([span()]);
    expect((await post("/v1/traces", h2, t2)).status).toBe(200);
  });
});

describe("Sentry tunnel: POST /telemetry/sentry", () => {
  const envelope = (header: object, items: [object, string][]): string =>
    [JSON.stringify(header), ...items.flatMap(([h, p]) => [JSON.stringify(h), p])].join("\n") + "\n";
  const eventId = (): string => hex(32);
  const personal = (id: string) => ({
    event_id: id,
    level: "error",
    message: "login failed for carol@example.org with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjIn0.sig",
    exception: { values: [{ type: "Error", value: "token=tok_secret_77 for carol@example.org", stacktrace: { frames: [{ filename: "https://game.example/a.js?user=carol" }] } }] },
    breadcrumbs: [{ category: "fetch", message: "carol@example.org", data: { url: "/api?email=carol@example.org", method: "GET", reason: "carol@example.org" } }],
    request: { url: "https://game.example/play?token=tok_query_77", headers: { Cookie: "sid=1" } },
    user: { email: "carol@example.org", ip_address: "203.0.113.9" },
    contexts: { user: { name: "carol" }, device: { name: "carols-pc" }, trace: { trace_id: hex(32) } },
  });
  const SECRETS = ["carol", "tok_secret_77", "tok_query_77", "eyJhbGci", "203.0.113.9", "sid=1"];
  type Row = { name: string; body: () => { text: string; id?: string }; status: number; result: string; reason?: string; stored: boolean; dropped?: string[] };
  const rows: Row[] = [
    { name: "an event with an e-mail in its exception value (the issue's case) and other personal data", body: () => { const id = eventId(); return { id, text: envelope({ event_id: id, dsn: PLACEHOLDER_SENTRY_DSN }, [[{ type: "event" }, JSON.stringify(personal(id))]]) }; }, status: 200, result: "accepted", stored: true },
    { name: "an event with an attachment, a user report and feedback beside it", body: () => { const id = eventId(); return { id, text: envelope({ event_id: id, dsn: PLACEHOLDER_SENTRY_DSN }, [[{ type: "event" }, JSON.stringify({ event_id: id, message: "x" })], [{ type: "attachment", length: 5 }, "HELLO"], [{ type: "user_report" }, JSON.stringify({ email: "carol@example.org", comments: "hi" })], [{ type: "feedback" }, JSON.stringify({ contexts: { feedback: { contact_email: "carol@example.org" } } })]]) }; }, status: 200, result: "accepted", stored: true, dropped: ["attachment", "user_report", "feedback"] },
    { name: "only an unknown item type", body: () => ({ text: envelope({ dsn: PLACEHOLDER_SENTRY_DSN }, [[{ type: "statsd" }, "carol:1|c"]]) }), status: 200, result: "accepted", stored: false, dropped: ["other"] },
    { name: "another project's DSN (no open relay)", body: () => { const id = eventId(); return { id, text: envelope({ event_id: id, dsn: "https://k@o1.ingest.sentry.io/99" }, [[{ type: "event" }, JSON.stringify({ event_id: id })]]) }; }, status: 403, result: "rejected", reason: "dsn_mismatch", stored: false },
    { name: "a header that is not an object", body: () => ({ text: "[1,2]\n" }), status: 400, result: "rejected", reason: "malformed", stored: false },
    { name: "an event payload that is not JSON", body: () => ({ text: envelope({ dsn: PLACEHOLDER_SENTRY_DSN }, [[{ type: "event" }, "carol@example.org"]]) }), status: 400, result: "rejected", reason: "malformed", stored: false },
    { name: "300 KB", body: () => ({ text: envelope({ dsn: PLACEHOLDER_SENTRY_DSN }, [[{ type: "event" }, JSON.stringify({ message: "m".repeat(300_000) })]]) }), status: 413, result: "rejected", reason: "oversized", stored: false },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.status}`, async () => {
      const before = await metric("game_client_requests_total", { route: "sentry", result: row.result });
      const reasonBefore = row.reason ? await metric("game_client_rejected_total", { route: "sentry", reason: row.reason }) : 0;
      const droppedBefore = await Promise.all((row.dropped ?? []).map((t) => metric("game_client_crash_items_dropped_total", { type: t })));
      const storedBefore = (JSON.parse((await debugPages()).crashes) as { received: number }).received;
      const { text, id } = row.body();
      const res = await post("/telemetry/sentry", { "content-type": "text/plain;charset=UTF-8", "content-length": String(Buffer.byteLength(text)) }, text);
      expect(res.status).toBe(row.status);
      expect(await metric("game_client_requests_total", { route: "sentry", result: row.result })).toBe(before + 1);
      if (row.reason) expect(await metric("game_client_rejected_total", { route: "sentry", reason: row.reason })).toBe(reasonBefore + 1);
      const droppedAfter = await Promise.all((row.dropped ?? []).map((t) => metric("game_client_crash_items_dropped_total", { type: t })));
      expect(droppedAfter.map((v, i) => v - droppedBefore[i])).toEqual((row.dropped ?? []).map(() => 1));
      const pages = await debugPages();
      const inbox = JSON.parse(pages.crashes) as { received: number; crashes: { items: { header: { type: string } }[] }[] };
      expect(inbox.received - storedBefore).toBe(row.stored ? 1 : 0);
      if (row.stored && id) {
        expect(pages.crashes).toContain(id);
        expect(inbox.crashes[0].items.map((i) => i.header.type)).toEqual(["event"]);
      }
      for (const s of SECRETS) expect(pages.crashes, s).not.toContain(s);
    });
  }
});

describe("HTTP headers on the client-telemetry routes", () => {
  const OK_SESSION = "hdrsession00000000000000";
  type Row = { name: string; path: string; headers: (len: number) => Record<string, string>; body: () => string; status: number };
  const batch = () => JSON.stringify(validBatch({ session: `hd${hex(22).replace(/[^a-z0-9]/g, "a")}` }));
  const rows: Row[] = [
    { name: "JSON with a charset parameter", path: "/telemetry/v1/breadcrumbs", headers: (n) => ({ "content-type": "application/json; charset=utf-8", "content-length": String(n) }), body: batch, status: 202 },
    { name: "JSON in upper case", path: "/telemetry/v1/breadcrumbs", headers: (n) => ({ "content-type": "APPLICATION/JSON", "content-length": String(n) }), body: batch, status: 202 },
    { name: "no content type", path: "/telemetry/v1/breadcrumbs", headers: (n) => ({ "content-length": String(n) }), body: batch, status: 415 },
    { name: "a content type that only starts like JSON", path: "/telemetry/v1/breadcrumbs", headers: (n) => ({ "content-type": "application/jsonp", "content-length": String(n) }), body: batch, status: 415 },
    { name: "an idempotency key that is not the body's", path: "/telemetry/v1/breadcrumbs", headers: (n) => ({ "content-type": "application/json", "content-length": String(n), "idempotency-key": "b-someone-elses-key" }), body: batch, status: 400 },
    { name: "an idempotency key with personal data", path: "/telemetry/v1/breadcrumbs", headers: (n) => ({ "content-type": "application/json", "content-length": String(n), "idempotency-key": "carol@example.org" }), body: batch, status: 400 },
    { name: "a declared length over the limit (refused before reading)", path: "/telemetry/v1/breadcrumbs", headers: () => ({ "content-type": "application/json", "content-length": "10000000" }), body: () => "{}", status: 413 },
    { name: "a chunked body over the limit", path: "/v1/traces", headers: () => ({ "content-type": "application/json", "transfer-encoding": "chunked" }), body: () => " ".repeat(600 * 1024), status: 413 },
    { name: "a chunked Sentry envelope over the limit", path: "/telemetry/sentry", headers: () => ({ "content-type": "text/plain", "transfer-encoding": "chunked" }), body: () => " ".repeat(300 * 1024), status: 413 },
    { name: "a traceparent header on a relay request (ignored: spans carry their own ids)", path: "/v1/traces", headers: (n) => ({ "content-type": "application/json", "content-length": String(n), traceparent: "00-zzzz" }), body: () => JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: "session.id", value: { stringValue: OK_SESSION } }] }, scopeSpans: [] }] }), status: 200 },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.status}`, async () => {
      const invalidTp = await metric("game_trace_parent_invalid_total");
      const body = row.body();
      const res = await post(row.path, row.headers(Buffer.byteLength(body)), body);
      expect(res.status).toBe(row.status);
      expect(res.body).not.toContain("carol");
      expect(await metric("game_trace_parent_invalid_total")).toBe(invalidTp);
      await debugPages();
    });
  }
});
