// Head sampling of commands that arrive with a client's traceparent (a remote parent from an
// untrusted client), pinned for invalid, unsampled and sampled flags at TRACE_SAMPLE 0, 0.25
// and 1. The ratio decision is a function of the trace id, so with seeded trace ids the
// expected counts are exact; a client's own sampled flag buys at most its session's budget.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { initTelemetry } from "../../../src/server/telemetry/index.ts";
import type { TelemetryHandle } from "../../../src/server/telemetry/index.ts";
import { ratioUpperBound, sampledByRatio } from "../../../src/shared/telemetry/trace-context.ts";
import { sample } from "../../prometheus-text.ts";
import { captureLines, testConfig } from "./helpers.ts";

let handle: TelemetryHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

async function start(traceSample: number): Promise<TelemetryHandle> {
  handle = await initTelemetry(testConfig({ traceSample }), {
    logDestination: captureLines(),
    processMetrics: false,
    installFacade: false,
    traceStore: { maxTraces: 10_000, maxSpans: 20_000, maxSpansPerTrace: 10 },
  });
  return handle;
}

const hexChar = fc.constantFrom(..."0123456789abcdef");
const ids = (n: number, seed: number) =>
  fc.sample(fc.tuple(fc.string({ unit: hexChar, minLength: 32, maxLength: 32 }), fc.string({ unit: hexChar, minLength: 16, maxLength: 16 })), { numRuns: n, seed })
    .filter(([t, s]) => !/^0+$/.test(t) && !/^0+$/.test(s));

const N = 2000;
const BUDGET = 5;

/** Runs one command span per traceparent for `session`; returns how many traces were recorded. */
function commands(h: TelemetryHandle, traceparents: readonly string[], session = "sess-a"): number {
  const before = h.traceStore.stats().traces;
  for (const tp of traceparents) {
    const span = h.tracing.startSpan("player.command", { session_id: session }, h.tracing.extract(tp));
    // A child in a later tick follows the command's decision (as the game does: an unsampled
    // root hands on no context, and then no child span is opened at all).
    const ctx = span.context();
    if (ctx !== undefined) h.tracing.startSpan("projectile.integrate", {}, ctx).end();
    span.end();
  }
  return h.traceStore.stats().traces - before;
}

describe("remote-parent sampling rates", () => {
  for (const ratio of [0, 0.25, 1]) {
    const pairs = ids(N, 7);
    const byRatio = pairs.filter(([t]) => sampledByRatio(t, ratioUpperBound(ratio))).length;

    it(`TRACE_SAMPLE=${ratio}, unsampled flag: exactly the trace ids the ratio keeps (${byRatio} of ${pairs.length})`, async () => {
      const h = await start(ratio);
      expect(commands(h, pairs.map(([t, s]) => `00-${t}-${s}-00`))).toBe(byRatio);
    });

    it(`TRACE_SAMPLE=${ratio}, sampled flag: the ratio's ids plus at most the session budget (${BUDGET})`, async () => {
      const h = await start(ratio);
      const expected = Math.min(pairs.length, byRatio + BUDGET);
      expect(commands(h, pairs.map(([t, s]) => `00-${t}-${s}-01`))).toBe(expected);
      // Each session has its own budget, and no more.
      const more = ids(200, 8).filter(([t]) => !sampledByRatio(t, ratioUpperBound(ratio)));
      expect(commands(h, more.map(([t, s]) => `00-${t}-${s}-01`), "sess-b")).toBe(Math.min(more.length, BUDGET));
      expect(commands(h, more.map(([t, s]) => `00-${t}-${s}-01`), "sess-b")).toBe(0);
    });

    it(`TRACE_SAMPLE=${ratio}, invalid traceparent: a new root at the ratio, every value counted`, async () => {
      const h = await start(ratio);
      const invalid = pairs.map(([, s]) => `00-${"0".repeat(32)}-${s}-01`);
      const recorded = commands(h, invalid);
      if (ratio === 0) expect(recorded).toBe(0);
      else if (ratio === 1) expect(recorded).toBe(invalid.length);
      else {
        // New roots get fresh random trace ids: the rate, not the exact count, is pinned.
        expect(recorded / invalid.length).toBeGreaterThan(0.2);
        expect(recorded / invalid.length).toBeLessThan(0.3);
      }
      // Not one of them continues the client's (invalid) trace.
      expect(h.traceStore.get("0".repeat(32))).toBeUndefined();
      expect(sample(await h.registry.metrics(), "game_trace_parent_invalid_total", { reason: "trace_id" })).toBe(invalid.length);
    });
  }
});
