// Property-based fuzzing (fast-check) of the client-telemetry boundaries, over real loopback
// HTTP: random and attacker-shaped OTLP exports, Sentry envelopes and breadcrumb bodies. Whatever
// arrives, the route answers a 2xx/4xx (never 500, never a crash), every refusal is counted,
// /debug/tracez (JSON and HTML) and /debug/crashes answer 200, and no planted e-mail address or
// token survives into the crash inbox.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIngestHandler } from "../../../src/server/http/ingest.ts";
import { checkOtlpTraces, createOtlpRelay } from "../../../src/server/http/otlp-relay.ts";
import { createSentryTunnel } from "../../../src/server/http/sentry-tunnel.ts";
import { initTelemetry } from "../../../src/server/telemetry/index.ts";
import type { TelemetryHandle } from "../../../src/server/telemetry/index.ts";
import { PLACEHOLDER_SENTRY_DSN } from "../../../src/shared/telemetry/client-config.ts";
import { scrubEventJson } from "../../../src/shared/telemetry/scrub.ts";
import { validBatch, validWindow } from "../../shared/telemetry/fixtures.ts";
import { captureLines, testConfig } from "../telemetry/helpers.ts";
import { serve } from "./helpers.ts";

let h: TelemetryHandle;
let base: string;
let close: () => Promise<void>;
const NO_LIMITS = { sessionBurst: 1e9, connectionBurst: 1e9, globalPerSecond: 1e6 };

beforeAll(async () => {
  h = await initTelemetry(testConfig(), { logDestination: captureLines(), processMetrics: false, installFacade: false });
  const s = await serve(
    createOtlpRelay({ enabled: () => true, endpoint: () => undefined, store: (spans) => h.traceStore.addSpans(spans), metrics: h.clientMetrics, limits: NO_LIMITS }),
    createSentryTunnel({ enabled: () => true, dsn: () => undefined, inbox: h.crashInbox, metrics: h.clientMetrics }),
    createIngestHandler({
      enabled: () => true,
      metrics: h.clientMetrics,
      config: () => ({ traceSampleRatio: 1, sentryDsn: undefined, environment: "test", build: "0.1.0" }),
      limits: { ...NO_LIMITS, sessionRefillMs: 1 },
    }),
  );
  base = s.url;
  close = s.close;
});
afterAll(async () => {
  await close?.();
  await h?.shutdown();
});

// Every answer is read to the end: an unread body keeps its connection busy, and hundreds of
// them would meet the listeners' per-address connection caps.
const post = async (path: string, type: string, body: string): Promise<number> => {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": type }, body });
  await res.arrayBuffer();
  return res.status;
};

async function debugPagesOk(): Promise<string> {
  for (const q of ["/debug/tracez?limit=1000", "/debug/tracez?format=html&limit=1000"]) {
    const res = await fetch(`${h.metricsServer!.url}${q}`);
    await res.arrayBuffer();
    expect(res.status, q).toBe(200);
  }
  const crashes = await fetch(`${h.metricsServer!.url}/debug/crashes`);
  expect(crashes.status).toBe(200);
  return crashes.text();
}

// --- OTLP -----------------------------------------------------------------------------------

const hex = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: min, maxLength: max });
const nanos = fc.oneof(
  fc.bigInt({ min: BigInt(Date.now() - 3_600_000) * 1_000_000n, max: BigInt(Date.now() + 60_000) * 1_000_000n }).map(String),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String),
  fc.double(),
  fc.string(),
  fc.constant(null),
);
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.record({ stringValue: fc.oneof(fc.string(), fc.string({ minLength: 1000, maxLength: 1100 })) }),
    fc.record({ intValue: fc.oneof(fc.integer(), fc.string()) }),
    fc.record({ doubleValue: fc.double() }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie("v"), { maxLength: 4 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key: fc.string(), value: tie("v") }), { maxLength: 3 }) }) }),
    fc.jsonValue(),
  ),
})).v;
const leaf = fc.oneof(fc.record({ stringValue: fc.string({ maxLength: 30 }) }), fc.record({ intValue: fc.integer() }), fc.record({ boolValue: fc.boolean() }));
const attributes = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ key: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom("__proto__", "constructor", "service.name")), value: leaf }) },
    { weight: 1, arbitrary: fc.record({ key: fc.string(), value: anyValue }) },
  ),
  { maxLength: 6 },
);
/** An end `afterMs` after a decimal start, else the generated value as it is. */
function endAfter(start: unknown, end: unknown): unknown {
  const after = typeof end === "object" && end !== null && "afterMs" in end ? (end as { afterMs: number }).afterMs : undefined;
  if (after === undefined) return end;
  return typeof start === "string" && /^\d+$/.test(start) ? String(BigInt(start) + BigInt(after) * 1_000_000n) : String(after);
}

/** Mostly a plausible value, sometimes a hostile one: so most spans pass and reach the store and tracez. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: bad });
const recent = fc.integer({ min: -3_000_000, max: 60_000 }).map((ms) => String(BigInt(Date.now() + ms) * 1_000_000n));
const otlpSpan = fc.record(
  {
    traceId: mostly(fc.constantFrom("4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c"), fc.oneof(hex(0, 40), fc.constant("0".repeat(32)), fc.jsonValue())),
    spanId: mostly(fc.constantFrom("1111111111111111", "2222222222222222", "3333333333333333"), fc.oneof(hex(0, 20), fc.jsonValue())),
    parentSpanId: mostly(fc.constantFrom("", "1111111111111111", "2222222222222222", "3333333333333333"), hex(0, 20)),
    name: mostly(fc.string({ minLength: 1, maxLength: 40 }), fc.oneof(fc.constant(""), fc.constantFrom("<script>alert(1)</script>"), fc.string({ minLength: 129, maxLength: 200 }))),
    kind: mostly(fc.integer({ min: 0, max: 5 }), fc.oneof(fc.integer(), fc.string())),
    startTimeUnixNano: mostly(fc.constant("start"), nanos),
    endTimeUnixNano: mostly(fc.integer({ min: 0, max: 5_000 }).map((afterMs) => ({ afterMs })), nanos),
    attributes: mostly(attributes, fc.jsonValue()),
    events: fc.array(fc.record({ name: fc.string({ minLength: 1 }), timeUnixNano: mostly(recent, nanos) }), { maxLength: 3 }),
    status: mostly(fc.record({ code: fc.integer({ min: 0, max: 2 }), message: fc.string() }, { requiredKeys: [] }), fc.jsonValue()),
    extra: fc.jsonValue(),
  },
  { requiredKeys: ["traceId", "spanId", "name", "startTimeUnixNano", "endTimeUnixNano"] },
).chain((sp) =>
  // "start" and a small number mean: a plausible start now-ish and an end that many ms after it.
  (sp.startTimeUnixNano === "start" ? recent : fc.constant(sp.startTimeUnixNano)).map((start) => ({
    ...sp,
    startTimeUnixNano: start,
    endTimeUnixNano: endAfter(start, sp.endTimeUnixNano),
  })),
);
const session = fc.constantFrom("fuzzsession0000000000000", "fuzzsession0000000000001");
const otlpRequest = fc.oneof(
  { weight: 4, arbitrary: fc.record({ resourceSpans: fc.array(fc.record({ resource: fc.record({ attributes: fc.tuple(session, attributes).map(([s, a]) => [{ key: "session.id", value: { stringValue: s } }, ...a]) }), scopeSpans: fc.array(fc.record({ scope: fc.record({ name: fc.string() }, { requiredKeys: [] }), spans: fc.array(otlpSpan, { maxLength: 6 }) }), { maxLength: 3 }) }), { maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.jsonValue() },
);

describe("fuzzing the OTLP relay", () => {
  it("answers 200 or 4xx to anything, and tracez stays 200", async () => {
    await fc.assert(
      fc.asyncProperty(otlpRequest, async (req) => {
        const status = await post("/v1/traces", "application/json", JSON.stringify(req));
        expect([200, 400]).toContain(status);
        await debugPagesOk();
      }),
      { numRuns: 120 },
    );
    expect(h.traceStore.stats().spans).toBeGreaterThan(0);
  });

  it("checkOtlpTraces never throws, and keeps only spans with valid lowercase ids and sane times", () => {
    const now = Date.now();
    fc.assert(
      fc.property(fc.oneof(otlpRequest, fc.anything()), (input) => {
        const r = checkOtlpTraces(input, { maxSpans: 1000, maxAgeMs: 3_600_000, maxFutureMs: 900_000, maxDurationMs: 3_600_000 }, now);
        if (!r.ok) return;
        for (const s of r.spans) {
          expect(s.trace_id).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
          expect(s.span_id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
          expect(Number.isFinite(new Date(s.start_ms).getTime())).toBe(true);
          expect(s.duration_ms).toBeGreaterThanOrEqual(0);
          expect(Object.getPrototypeOf(s.attributes)).toBeNull();
        }
      }),
      { numRuns: 1500 },
    );
  });
});

// --- Sentry ---------------------------------------------------------------------------------

const SECRET_EMAIL = "mallory@fuzz-mark.example";
const SECRET_TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtIn0.fuzzsig";
const secret = fc.constantFrom(SECRET_EMAIL, `Bearer ${SECRET_TOKEN}`, `token=${SECRET_TOKEN}`, `https://x.example/p?email=${SECRET_EMAIL}`);
/** Free text with a planted secret somewhere in it. */
const text = fc.tuple(fc.string(), secret, fc.string()).map(([a, s, b]) => `${a} ${s} ${b}`);
const event = fc.record(
  {
    message: fc.oneof(text, fc.record({ message: text, params: fc.array(text) })),
    exception: fc.record({ values: fc.array(fc.record({ type: fc.string(), value: text, stacktrace: fc.record({ frames: fc.array(fc.record({ filename: text, vars: fc.dictionary(fc.string(), text) }), { maxLength: 2 }) }) }), { maxLength: 2 }) }),
    breadcrumbs: fc.array(fc.record({ category: fc.constantFrom("fetch", "console", "navigation", "ui.click", "game"), message: text, data: fc.dictionary(fc.constantFrom("url", "from", "reason", "class", "method", "body"), text) }), { maxLength: 3 }),
    request: fc.record({ url: text, headers: fc.dictionary(fc.string(), text), query_string: text }),
    user: fc.record({ email: text, ip_address: fc.constant("203.0.113.5") }),
    contexts: fc.dictionary(fc.constantFrom("user", "device", "trace", "app", "gpu", "profile"), fc.dictionary(fc.string(), text)),
    tags: fc.dictionary(fc.oneof(fc.string(), secret), fc.oneof(text, fc.constant("ok"))),
    extra: fc.dictionary(fc.string(), text),
    transaction: text,
    logentry: fc.record({ message: text }),
  },
  { requiredKeys: [] },
);
const itemType = fc.constantFrom("event", "event", "attachment", "user_report", "feedback", "session", "transaction", "client_report", "replay_event");
const envelope = fc
  .tuple(
    fc.record({ dsn: fc.oneof({ weight: 5, arbitrary: fc.constant(PLACEHOLDER_SENTRY_DSN) }, { weight: 1, arbitrary: fc.string() }), event_id: fc.oneof(hex(32, 32), fc.string()), extra: fc.jsonValue() }, { requiredKeys: [] }),
    fc.array(fc.tuple(itemType, fc.oneof({ weight: 4, arbitrary: event.map((e) => JSON.stringify(e)) }, { weight: 1, arbitrary: text })), { maxLength: 4 }),
  )
  .map(([header, items]) => [JSON.stringify(header), ...items.flatMap(([type, payload]) => [JSON.stringify({ type }), payload])].join("\n") + "\n");

describe("fuzzing the Sentry tunnel", () => {
  it("answers 2xx/4xx to any envelope and never stores a planted e-mail or token", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 5, arbitrary: envelope }, { weight: 1, arbitrary: fc.string() }), async (body) => {
        const status = await post("/telemetry/sentry", "text/plain;charset=UTF-8", body);
        expect([200, 400, 403]).toContain(status);
        const crashes = await debugPagesOk();
        expect(crashes).not.toContain("fuzz-mark.example");
        expect(crashes).not.toContain(SECRET_TOKEN);
        expect(crashes).not.toContain("203.0.113.5");
      }),
      { numRuns: 150 },
    );
    expect(h.crashInbox.stats().received).toBeGreaterThan(0);
  });

  it("scrubEventJson never throws on any JSON", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("message", "exception", "breadcrumbs", "request", "contexts", "tags", "sdk", "logentry", "user", "x"), fc.jsonValue()), (e) => {
        const out = JSON.stringify(scrubEventJson(structuredClone(e)));
        expect(typeof out).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });
});

// --- Breadcrumbs ----------------------------------------------------------------------------

describe("fuzzing the breadcrumb ingest", () => {
  it("answers 2xx/4xx to mutated batches and counts every request once", async () => {
    const mutated = fc
      .tuple(fc.constantFrom("session", "key", "seq", "build", "gpu", "dropped", "windows", "v", "__proto__", "name"), fc.jsonValue(), fc.integer({ min: 0, max: 2 }))
      .map(([field, value, where]) => {
        const b = validBatch({ session: "fuzzbreadcrumbs000000000" }) as unknown as Record<string, unknown>;
        if (where === 0) b[field] = value;
        else (b.windows as Record<string, unknown>[])[0] = { ...validWindow(), [field === "name" ? "frames" : field]: value };
        return JSON.stringify(b);
      });
    let requests = 0;
    const countBefore = await h.registry.getSingleMetricAsString("game_client_requests_total");
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.jsonValue().map((v) => JSON.stringify(v)), fc.string()), async (body) => {
        requests++;
        const status = await post("/telemetry/v1/breadcrumbs", "application/json", body);
        expect([200, 202, 400, 429]).toContain(status);
      }),
      { numRuns: 200 },
    );
    const sum = (t: string): number => t.split("\n").filter((l) => l.includes('route="breadcrumbs"')).reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    expect(sum(await h.registry.getSingleMetricAsString("game_client_requests_total")) - sum(countBefore)).toBe(requests);
    await debugPagesOk();
  });
});
