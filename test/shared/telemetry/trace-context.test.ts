// The shared W3C traceparent parser/formatter and the trace-id ratio decision: a table of the
// W3C rules, property-based checks (fast-check) that parsing never throws and round-trips, and
// that the ratio decision is exactly OpenTelemetry's TraceIdRatioBasedSampler (the browser's
// sampler), so client and server decide the same for every trace id.
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { SamplingDecision, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatTraceparent,
  isSampled,
  parseTraceparent,
  ratioUpperBound,
  sampledByRatio,
} from "../../../src/shared/telemetry/trace-context.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const S = "00f067aa0ba902b7";

describe("parseTraceparent: W3C Trace Context rules", () => {
  const table: [string, string, string | null][] = [
    ["valid, sampled", `00-${T}-${S}-01`, null],
    ["valid, not sampled", `00-${T}-${S}-00`, null],
    ["valid, unknown flag bits", `00-${T}-${S}-ff`, null],
    ["a later version with more fields", `01-${T}-${S}-01-what-ever`, null],
    ["surrounding whitespace (header OWS)", ` 00-${T}-${S}-01 `, null],
    ["version ff", `ff-${T}-${S}-01`, "version"],
    ["version 00 with more fields", `00-${T}-${S}-01-extra`, "version"],
    ["a later version glued to more characters", `01-${T}-${S}-01x`, "format"],
    ["all-zero trace id", `00-${"0".repeat(32)}-${S}-01`, "trace_id"],
    ["all-zero parent id", `00-${T}-${"0".repeat(16)}-01`, "parent_id"],
    ["uppercase trace id", `00-${T.toUpperCase()}-${S}-01`, "format"],
    ["uppercase version", `0A-${T}-${S}-01`, "format"],
    ["short trace id", `00-${T.slice(1)}-${S}-01`, "format"],
    ["wrong separator", `00_${T}-${S}-01`, "format"],
    ["empty", "", "format"],
    ["garbage", "00-name=alice;token=x", "format"],
    ["too long", `01-${T}-${S}-01-${"a".repeat(300)}`, "format"],
    ["non-hex flags", `00-${T}-${S}-0g`, "format"],
  ];
  for (const [name, value, reason] of table) {
    it(`${name}: ${reason ?? "valid"}`, () => {
      const r = parseTraceparent(value);
      if (reason === null) {
        expect(r).toEqual({ ok: true, value: { traceId: T, spanId: S, traceFlags: parseInt(value.trim().slice(53, 55), 16), isRemote: true } });
      } else {
        expect(r).toEqual({ ok: false, reason });
      }
    });
  }

  it("formats only version 00 and the sampled bit", () => {
    expect(formatTraceparent({ traceId: T, spanId: S, traceFlags: 0xff })).toBe(`00-${T}-${S}-01`);
    expect(formatTraceparent({ traceId: T, spanId: S, traceFlags: 0x02 })).toBe(`00-${T}-${S}-00`);
  });
});

const hexChar = fc.constantFrom(..."0123456789abcdef");
const hexString = (n: number) => fc.string({ unit: hexChar, minLength: n, maxLength: n });
const traceId = hexString(32).filter((s) => !/^0+$/.test(s));
const spanId = hexString(16).filter((s) => !/^0+$/.test(s));

describe("parseTraceparent: properties", () => {
  it("never throws and always answers ok or a known reason, whatever the string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF-") })), (s) => {
        const r = parseTraceparent(s);
        expect(r.ok || ["format", "version", "trace_id", "parent_id"].includes(r.reason)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips every valid context through format and parse", () => {
    fc.assert(
      fc.property(traceId, spanId, fc.boolean(), (t, s, sampled) => {
        const ctx = { traceId: t, spanId: s, traceFlags: sampled ? 1 : 0 };
        const r = parseTraceparent(formatTraceparent(ctx));
        expect(r).toEqual({ ok: true, value: { ...ctx, isRemote: true } });
        expect(r.ok && isSampled(r.value)).toBe(sampled);
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses any single uppercase hex digit", () => {
    fc.assert(
      fc.property(traceId.filter((t) => /[a-f]/.test(t)), spanId, (t, s) => {
        const i = t.search(/[a-f]/);
        const upper = t.slice(0, i) + t[i].toUpperCase() + t.slice(i + 1);
        expect(parseTraceparent(`00-${upper}-${s}-01`)).toEqual({ ok: false, reason: "format" });
      }),
    );
  });
});

describe("sampledByRatio: OpenTelemetry's TraceIdRatioBased, shared by client and server", () => {
  it("decides exactly as the SDK's TraceIdRatioBasedSampler for any trace id and ratio", () => {
    fc.assert(
      fc.property(traceId, fc.double({ min: 0, max: 1, noNaN: true }), (t, ratio) => {
        const sdk = new TraceIdRatioBasedSampler(ratio).shouldSample(ROOT_CONTEXT, t).decision;
        expect(sampledByRatio(t, ratioUpperBound(ratio))).toBe(sdk === SamplingDecision.RECORD_AND_SAMPLED);
      }),
      { numRuns: 3000 },
    );
  });

  it("samples nothing at 0, everything at 1, and never an invalid id", () => {
    fc.assert(
      fc.property(traceId, (t) => {
        expect(sampledByRatio(t, ratioUpperBound(0))).toBe(false);
        expect(sampledByRatio(t, ratioUpperBound(1))).toBe(true);
      }),
    );
    expect(sampledByRatio("0".repeat(32), ratioUpperBound(1))).toBe(false);
    expect(sampledByRatio(T.toUpperCase(), ratioUpperBound(1))).toBe(false);
  });

  it("keeps about the ratio of random trace ids (seeded, so the count is pinned)", () => {
    const ids = fc.sample(traceId, { numRuns: 20_000, seed: 42 });
    const kept = ids.filter((t) => sampledByRatio(t, ratioUpperBound(0.25))).length;
    expect(kept / ids.length).toBeGreaterThan(0.24);
    expect(kept / ids.length).toBeLessThan(0.26);
  });
});
