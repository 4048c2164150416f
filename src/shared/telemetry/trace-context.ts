// W3C Trace Context (traceparent) for client and server: parsed once where it enters (the fire
// envelope, an HTTP header), formatted once where it leaves; inside, code carries TraceContext.
// The rules are W3C Trace Context Level 1 as OpenTelemetry's W3CTraceContextPropagator applies
// them: lowercase hex only, version ff and all-zero ids invalid, version 00 exactly 55
// characters, a later version may append "-..." fields, which are ignored.
// The ratio decision is OpenTelemetry's TraceIdRatioBased, a function of the trace id alone,
// so the browser, the server and any other process seeing a trace decide the same.

/** A parsed, valid trace context. `isRemote` is true when it came from another process. */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly isRemote: boolean;
}

/** The sampled bit of trace-flags. */
export const SAMPLED_FLAG = 0x01;

/**
 * Why a traceparent was refused (the `reason` of game_trace_parent_invalid_total):
 * format = not version-trace-parent-flags in lowercase hex (uppercase, garbage, wrong length);
 * version = version ff, or version 00 with extra fields; trace_id / parent_id = all zeros.
 */
export const TRACE_PARENT_INVALID_REASONS = ["format", "version", "trace_id", "parent_id"] as const;
export type TraceParentInvalidReason = (typeof TRACE_PARENT_INVALID_REASONS)[number];

/** Longest value looked at; a longer one is invalid without being scanned (W3C: 512 for tracestate). */
const TRACEPARENT_MAX_LENGTH = 256;

export type TraceParentResult = { ok: true; value: TraceContext } | { ok: false; reason: TraceParentInvalidReason };

const ZERO_TRACE_ID = "00000000000000000000000000000000";
const ZERO_SPAN_ID = "0000000000000000";

function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Parses a W3C traceparent header value. Never throws; an invalid value comes back with its
 * reason. `isRemote` is set on the result (a traceparent always comes from another process).
 */
export function parseTraceparent(value: string): TraceParentResult {
  const s = value.trim();
  if (s.length < 55 || s.length > TRACEPARENT_MAX_LENGTH) return { ok: false, reason: "format" };
  if (s[2] !== "-" || s[35] !== "-" || s[52] !== "-") return { ok: false, reason: "format" };
  if (!isLowerHex(s, 0, 2) || !isLowerHex(s, 3, 35) || !isLowerHex(s, 36, 52) || !isLowerHex(s, 53, 55)) {
    return { ok: false, reason: "format" };
  }
  const version = s.slice(0, 2);
  if (version === "ff") return { ok: false, reason: "version" };
  if (s.length > 55) {
    // Only a later version may carry more fields, and they start with "-".
    if (version === "00") return { ok: false, reason: "version" };
    if (s[55] !== "-") return { ok: false, reason: "format" };
  }
  const traceId = s.slice(3, 35);
  if (traceId === ZERO_TRACE_ID) return { ok: false, reason: "trace_id" };
  const spanId = s.slice(36, 52);
  if (spanId === ZERO_SPAN_ID) return { ok: false, reason: "parent_id" };
  return { ok: true, value: { traceId, spanId, traceFlags: parseInt(s.slice(53, 55), 16), isRemote: true } };
}

/** Formats a trace context as a version-00 traceparent (only the sampled flag is carried). */
export function formatTraceparent(ctx: Pick<TraceContext, "traceId" | "spanId" | "traceFlags">): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & SAMPLED_FLAG) !== 0 ? "01" : "00"}`;
}

/** True when the context's sampled flag is set. */
export function isSampled(ctx: Pick<TraceContext, "traceFlags">): boolean {
  return (ctx.traceFlags & SAMPLED_FLAG) !== 0;
}

/** True for a 32-char lowercase hex trace id that is not all zeros. */
function isValidTraceId(id: string): boolean {
  return id.length === 32 && isLowerHex(id, 0, 32) && id !== ZERO_TRACE_ID;
}

/** The upper bound a trace id's 32-bit hash must stay under to be sampled at `ratio`. */
export function ratioUpperBound(ratio: number): number {
  const r = Number.isNaN(ratio) ? 0 : ratio >= 1 ? 1 : ratio <= 0 ? 0 : ratio;
  return r === 1 ? 0x100000000 : Math.floor(r * 0xffffffff);
}

/**
 * The TraceIdRatioBased decision of OpenTelemetry JS: the XOR of the trace id's four 32-bit
 * words, compared with ratio * 2^32. A pure function of the trace id, so every process with
 * the same ratio decides the same. `upperBound` comes from ratioUpperBound(). No allocation.
 */
export function sampledByRatio(traceId: string, upperBound: number): boolean {
  if (!isValidTraceId(traceId)) return false;
  let acc = 0;
  for (let i = 0; i < 32; i += 8) {
    let part = 0;
    for (let j = 0; j < 8; j++) {
      const c = traceId.charCodeAt(i + j);
      part = (part << 4) | (c < 58 ? c - 48 : c - 87);
    }
    acc = (acc ^ part) >>> 0;
  }
  return acc < upperBound;
}
