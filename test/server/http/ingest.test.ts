import { Agent, request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { replayHistogram } from "../../../src/server/http/breadcrumb-metrics.ts";
import { createIngestHandler } from "../../../src/server/http/ingest.ts";
import type { IngestDeps } from "../../../src/server/http/ingest.ts";
import type { IngestOutcome } from "../../../src/shared/telemetry/breadcrumb.ts";
import { parseClientConfig, PLACEHOLDER_SENTRY_DSN } from "../../../src/shared/telemetry/client-config.ts";
import { FRAME_TIME_BOUNDS_MS } from "../../../src/shared/telemetry/histogram.ts";
import { validBatch, validWindow } from "../../shared/telemetry/fixtures.ts";
import { recordingMetrics, serve } from "./helpers.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function setup(extra: Partial<IngestDeps> = {}) {
  const rec = recordingMetrics();
  const outcomes: IngestOutcome[] = [];
  let enabled = true;
  const handler = createIngestHandler({
    enabled: () => enabled,
    metrics: rec.metrics,
    config: () => ({ traceSampleRatio: 0.25, sentryDsn: undefined, environment: "test", build: "0.1.0" }),
    onOutcome: (o) => outcomes.push(o),
    ...extra,
  });
  const s = await serve(handler);
  closers.push(s.close);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/telemetry/v1/breadcrumbs`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { ...s, handler, rec, outcomes, post, setEnabled: (v: boolean) => (enabled = v) };
}

describe("GET /telemetry/v1/config", () => {
  it("tells the client what it may send, with a placeholder DSN when none is configured", async () => {
    const t = await setup();
    const res = await fetch(`${t.url}/telemetry/v1/config`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const cfg = parseClientConfig(await res.json());
    expect(cfg).toEqual({
      v: 1,
      ingest: true,
      trace_sample_ratio: 0.25,
      sentry: { dsn: PLACEHOLDER_SENTRY_DSN, sample_rate: 1, environment: "test" },
      build: "0.1.0",
    });
  });

  it("says 'off' when client telemetry is off, and the ingest answers 404", async () => {
    const t = await setup();
    t.setEnabled(false);
    const cfg = await (await fetch(`${t.url}/telemetry/v1/config`)).json();
    expect(cfg).toMatchObject({ ingest: false });
    const res = await t.post(validBatch());
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "ingest_off" });
    expect(t.rec.calls.request.get("breadcrumbs/disabled")).toBe(1);
    expect(t.rec.calls.frameTime).toHaveLength(0);
  });
});

describe("POST /telemetry/v1/breadcrumbs", () => {
  it("accepts a valid batch and turns it into client metrics", async () => {
    const t = await setup();
    const batch = validBatch({ windows: [validWindow(), validWindow({ start_ms: 1_700_000_030_000, fps: { p50: 61, p95: 59, p99: 57, low1: 52 } })] });
    const res = await t.post(batch, { "idempotency-key": batch.key });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: "accepted", windows: 2 });
    const c = t.rec.calls;
    // One request, one count, however many windows it carried.
    expect(c.request.get("breadcrumbs/accepted")).toBe(1);
    // 2 windows x 1800 frames in the (11.1, 16.7] ms bucket, replayed at its midpoint.
    expect(c.frameTime).toHaveLength(3600);
    expect(new Set(c.frameTime)).toEqual(new Set([(11.1 + 16.7) / 2 / 1000]));
    expect(c.uploadDuration).toHaveLength(20);
    expect(c.uploadBytes.get("vertex")).toBe(2 * 123_456);
    expect(c.uploadBytes.get("index")).toBe(2 * 7_890);
    expect(c.gpuError.get("validation")).toBe(2);
    expect(t.outcomes).toEqual(["accepted"]);
  });

  it("ignores a duplicate by idempotency key (acknowledged, not counted twice)", async () => {
    const t = await setup();
    const batch = validBatch();
    expect((await t.post(batch)).status).toBe(202);
    const again = await t.post(batch, { "idempotency-key": batch.key });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: "duplicate" });
    expect(t.rec.calls.frameTime).toHaveLength(1800);
    expect(t.handler.outcomes).toMatchObject({ accepted: 1, duplicate: 1 });
    // A duplicate has its own result: it is neither a rejection nor a second acceptance.
    expect(Object.fromEntries(t.rec.calls.request)).toEqual({ "breadcrumbs/accepted": 1, "breadcrumbs/duplicate": 1 });
    expect(t.rec.calls.rejected.size).toBe(0);
  });

  it("rejects malformed JSON and schema violations with 400 and counts each", async () => {
    const t = await setup();
    const bad = await t.post("{not json");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "malformed_json" });

    const withName = { ...validBatch(), player_name: "alice" };
    const invalid = await t.post(withName);
    expect(invalid.status).toBe(400);
    const body = await invalid.json();
    expect(body).toEqual({ error: "invalid", reason: "unknown_key", path: "?" });
    expect(JSON.stringify(body)).not.toContain("alice");

    const b = validBatch();
    const mismatch = await t.post(b, { "idempotency-key": "b-some-other-key" });
    expect(mismatch.status).toBe(400);

    const wrongType = await fetch(`${t.url}/telemetry/v1/breadcrumbs`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(wrongType.status).toBe(415);

    expect(t.handler.outcomes).toMatchObject({ malformed: 1, invalid: 2, unsupported: 1 });
    expect(t.handler.rejections).toEqual({ unknown_key: 1, inconsistent: 1 });
    expect(t.rec.calls.request.get("breadcrumbs/rejected")).toBe(4);
    expect(Object.fromEntries(t.rec.calls.rejected)).toEqual({ "breadcrumbs/malformed": 1, "breadcrumbs/invalid": 2, "breadcrumbs/unsupported": 1 });
    expect(t.rec.calls.frameTime).toHaveLength(0);
  });

  it("answers 413 for a body over 64 KiB, by Content-Length and while streaming", async () => {
    const t = await setup();
    const big = JSON.stringify({ ...validBatch(), pad: "x".repeat(70 * 1024) });
    const res = await t.post(big);
    expect(res.status).toBe(413);
    expect(res.headers.get("connection")).toBe("close");

    // Chunked upload without Content-Length: the ingest stops reading past the limit.
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${t.url}/telemetry/v1/breadcrumbs`);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } });
      req.on("response", (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on("error", reject);
      let sent = 0;
      const pump = (): void => {
        while (sent < 200 * 1024) {
          sent += 16 * 1024;
          if (!req.write("x".repeat(16 * 1024))) {
            req.once("drain", pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(t.handler.outcomes.oversized).toBe(2);
  });

  it("rate-limits a flooding session with 429 and Retry-After", async () => {
    let now = 1_000_000;
    const t = await setup({ now: () => now, limits: { sessionBurst: 2, sessionRefillMs: 10_000, connectionBurst: 100 } });
    const session = "f".repeat(24);
    const statuses: number[] = [];
    let retry: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await t.post(validBatch({ session }));
      statuses.push(res.status);
      if (res.status === 429) retry = res.headers.get("retry-after");
    }
    expect(statuses).toEqual([202, 202, 429, 429]);
    expect(Number(retry)).toBeGreaterThanOrEqual(1);
    expect(Number(retry)).toBeLessThanOrEqual(10);
    // Another session is not affected; the flooder recovers after the refill interval.
    expect((await t.post(validBatch({ session: "g".repeat(24) }))).status).toBe(202);
    now += 10_000;
    expect((await t.post(validBatch({ session }))).status).toBe(202);
    expect(t.rec.calls.request.get("breadcrumbs/rate_limited")).toBe(2);
    expect(t.rec.calls.rejected.get("breadcrumbs/rate_limited")).toBe(2);
  });

  it("rate-limits per connection and globally before reading the body", async () => {
    const t = await setup({ now: () => 5_000, limits: { connectionBurst: 100, globalPerSecond: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.post(validBatch({ session: `${"h".repeat(22)}${i}${i}` }))).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);

    const u = await setup({ now: () => 5_000, limits: { connectionBurst: 2 } });
    // Three requests on one keep-alive connection: the third is refused; a new connection is not.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const s2: number[] = [];
    for (let i = 0; i < 3; i++) s2.push(await postVia(agent, `${u.url}/telemetry/v1/breadcrumbs`, validBatch({ session: `${"k".repeat(22)}${i}${i}` })));
    agent.destroy();
    expect(s2).toEqual([202, 202, 429]);
    expect((await u.post(validBatch({ session: "m".repeat(24) }))).status).toBe(202);
  });

  it("passes other paths on and refuses other methods", async () => {
    const t = await setup();
    expect((await fetch(`${t.url}/elsewhere`)).status).toBe(404);
    const res = await fetch(`${t.url}/telemetry/v1/breadcrumbs`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });
});

/** POSTs JSON through a given agent (so tests control connection reuse); resolves the status. */
function postVia(agent: Agent, url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const text = JSON.stringify(body);
    const req = request(
      { agent, host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

describe("replayHistogram", () => {
  it("replays bucket counts at bucket midpoints and thins proportionally", () => {
    const counts = new Array<number>(FRAME_TIME_BOUNDS_MS.length + 1).fill(0);
    counts[0] = 10;
    counts[counts.length - 1] = 10;
    const seen: number[] = [];
    expect(replayHistogram(FRAME_TIME_BOUNDS_MS, counts, 1, (s) => seen.push(s))).toBe(20);
    expect(seen.filter((s) => s === 0.002)).toHaveLength(10);
    expect(seen.filter((s) => s === 0.375)).toHaveLength(10);
    expect(replayHistogram(FRAME_TIME_BOUNDS_MS, counts, 0.5, () => {})).toBe(10);
  });
});
