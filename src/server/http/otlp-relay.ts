// POST /v1/traces on the game port: the relay for browser spans (the client's OTLP/HTTP
// exporter posts JSON here, same origin). It is a trust boundary: the body is OTLP/JSON,
// checked against the OTLP rules plus bounds (otlp-schema.ts), each span on its own; spans
// that break a rule or carry a time outside a window around now are refused, counted by
// reason and reported back in the OTLP partial-success answer. Requests are rate-limited per
// connection, globally and per client session (the resource's `session.id`). With an OTLP
// endpoint the valid spans are forwarded (re-encoded: known fields only); without one they are
// handed to the embedded trace store, so /debug/tracez shows client and server spans of one trace.

import type { IncomingMessage, ServerResponse } from "node:http";
import { SESSION_ID_PATTERN } from "../../shared/telemetry/breadcrumb.ts";
import { OTLP_TRACES_PATH } from "../../shared/telemetry/client-config.ts";
import type { ClientRejectReason, ClientResult, SpanRejectReason } from "../../shared/telemetry/names.ts";
import { describeIssue, flattenAttributes, otlpSpanSchema, otlpTracesRequestSchema, spanRejectReason } from "../../shared/telemetry/otlp-schema.ts";
import type { OtlpSpan, OtlpTracesRequest } from "../../shared/telemetry/otlp-schema.ts";
import type { ClientMetrics } from "../telemetry/facade.ts";
import type { StoredSpan } from "../telemetry/trace-store.ts";
import type { RouteHandler } from "./ingest.ts";
import { CLOSE, pathOf, readLimitedBody, retryAfter, sendJson } from "./ingest.ts";
import { ClientRateLimiter } from "./rate-limit.ts";
import type { ClientRateLimits } from "./rate-limit.ts";
import type { Forwarder } from "./sentry-tunnel.ts";
import { fetchForwarder } from "./sentry-tunnel.ts";

export const RELAY_OUTCOMES = ["forwarded", "stored", "off", "oversized", "malformed", "invalid", "session", "unsupported", "rate_limited", "upstream_error"] as const;
export type RelayOutcome = (typeof RELAY_OUTCOMES)[number];

export interface OtlpRelayDeps {
  /** Client telemetry accepted at all (CLIENT_TELEMETRY). */
  enabled: () => boolean;
  /** OTLP/HTTP base URL (".../v1/traces" is appended unless present), or undefined for the embedded store. */
  endpoint: () => string | undefined;
  /** Feeds decoded client spans to the embedded trace store. */
  store: (spans: StoredSpan[]) => void;
  forward?: Forwarder;
  onOutcome?: (outcome: RelayOutcome, spans: number) => void;
  /** Every error of the upstream request or its response stream (counted as stage "forward"). */
  onUpstreamError?: (err: unknown) => void;
  /** Recorders for game_client_requests_total, game_client_rejected_total and game_client_spans_rejected_total. */
  metrics?: Pick<ClientMetrics, "request" | "rejected" | "spansRejected">;
  /** Default 512 KiB. */
  maxBodyBytes?: number;
  /** Spans accepted per request (default 1000); the rest are refused as too_many. */
  maxSpans?: number;
  /** Plausible span times: at most this old (default 1 h) or this far ahead (default 15 min, clock skew), at most this long (default 1 h). */
  maxAgeMs?: number;
  maxFutureMs?: number;
  maxDurationMs?: number;
  limits?: Partial<ClientRateLimits>;
  now?: () => number;
  timeoutMs?: number;
}

/** Default relay limits: a browser exports a batch every few seconds at most. */
export const DEFAULT_RELAY_LIMITS: ClientRateLimits = {
  sessionBurst: 10,
  sessionRefillMs: 2_000,
  connectionBurst: 20,
  connectionRefillMs: 1_000,
  globalPerSecond: 200,
  maxSessions: 10_000,
};

const JSON_TYPE = "application/json";

/** Outcome -> the `result` and (for a refusal) the `reason` it is counted under. */
function relayResult(outcome: RelayOutcome): [ClientResult, ClientRejectReason | undefined] {
  switch (outcome) {
    case "forwarded":
    case "stored":
      return ["accepted", undefined];
    case "off":
      return ["disabled", undefined];
    case "upstream_error":
      return ["upstream_error", undefined];
    case "rate_limited":
      return ["rate_limited", "rate_limited"];
    default:
      return ["rejected", outcome];
  }
}

/** Creates the relay route. */
export function createOtlpRelay(deps: OtlpRelayDeps): RouteHandler {
  const maxBytes = deps.maxBodyBytes ?? 512 * 1024;
  const now = deps.now ?? Date.now;
  const window: SpanWindow = {
    maxSpans: deps.maxSpans ?? 1000,
    maxAgeMs: deps.maxAgeMs ?? 60 * 60_000,
    maxFutureMs: deps.maxFutureMs ?? 15 * 60_000,
    maxDurationMs: deps.maxDurationMs ?? 60 * 60_000,
  };
  const limiter = new ClientRateLimiter({ ...DEFAULT_RELAY_LIMITS, ...deps.limits }, now);
  const upstreamError = deps.onUpstreamError ?? (() => {});
  const forward = deps.forward ?? fetchForwarder(deps.timeoutMs ?? 5_000, upstreamError);
  const done = (res: ServerResponse, outcome: RelayOutcome, status: number, body: object, spans = 0, extra: Record<string, string> = {}): true => {
    const [result, reason] = relayResult(outcome);
    deps.metrics?.request("traces", result);
    if (reason !== undefined) deps.metrics?.rejected("traces", reason);
    deps.onOutcome?.(outcome, spans);
    sendJson(res, status, body, extra);
    return true;
  };

  return async (req: IncomingMessage, res: ServerResponse) => {
    if (pathOf(req) !== OTLP_TRACES_PATH) return false;
    if (req.method !== "POST") {
      sendJson(res, 405, { error: "method_not_allowed" }, { allow: "POST" });
      return true;
    }
    if (!deps.enabled()) return done(res, "off", 404, { error: "ingest_off" }, 0, CLOSE);
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    // JSON only: what is relayed must be checked, and there is no protobuf decoder here.
    if (type !== JSON_TYPE) return done(res, "unsupported", 415, { error: "unsupported_media_type" }, 0, CLOSE);
    if (Number(req.headers["content-length"] ?? Number.NaN) > maxBytes) return done(res, "oversized", 413, { error: "too_large" }, 0, CLOSE);
    const admitWait = limiter.admit(req.socket);
    if (admitWait > 0) return done(res, "rate_limited", 429, { error: "rate_limited" }, 0, { ...CLOSE, "retry-after": retryAfter(admitWait) });
    const read = await readLimitedBody(req, maxBytes);
    if (!read.ok) {
      if (read.reason === "too_large") return done(res, "oversized", 413, { error: "too_large" }, 0, CLOSE);
      res.destroy();
      return true;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.body.toString("utf8"));
    } catch {
      return done(res, "malformed", 400, { error: "malformed_json" });
    }
    const checked = checkOtlpTraces(parsed, window, now());
    if (!checked.ok) return done(res, checked.outcome, 400, { error: checked.outcome === "session" ? "session" : "not_otlp", detail: checked.detail });
    const sessionWait = limiter.session(checked.session);
    if (sessionWait > 0) return done(res, "rate_limited", 429, { error: "rate_limited" }, 0, { "retry-after": retryAfter(sessionWait) });
    for (const [reason, n] of checked.rejected) deps.metrics?.spansRejected(reason, n);
    const body = partialSuccess(checked.rejected);
    const endpoint = deps.endpoint();
    if (endpoint) {
      if (checked.spans.length === 0) return done(res, "forwarded", 200, body);
      try {
        const up = await forward(tracesUrl(endpoint), Buffer.from(JSON.stringify(checked.forward)), { "content-type": JSON_TYPE });
        if (up.status >= 200 && up.status < 300) return done(res, "forwarded", 200, body, checked.spans.length);
        // 429/502/503/504 make the browser exporter retry; keep them, and Retry-After, as they are.
        const retryable = up.status === 429 || up.status === 502 || up.status === 503 || up.status === 504;
        const extra: Record<string, string> = up.retryAfter && retryable ? { "retry-after": up.retryAfter } : {};
        return done(res, "upstream_error", retryable ? up.status : 502, { error: "upstream", status: up.status }, 0, extra);
      } catch (err) {
        upstreamError(err);
        return done(res, "upstream_error", 502, { error: "upstream_unreachable" });
      }
    }
    if (checked.spans.length) deps.store(checked.spans);
    return done(res, "stored", 200, body, checked.spans.length);
  };
}

/** OTLP partial success: how many spans were refused and why (reasons and counts, never client text). */
function partialSuccess(rejected: ReadonlyMap<SpanRejectReason, number>): object {
  let n = 0;
  const parts: string[] = [];
  for (const [reason, count] of rejected) {
    n += count;
    parts.push(`${reason}=${count}`);
  }
  return n === 0 ? {} : { partialSuccess: { rejectedSpans: String(n), errorMessage: `spans refused by rule: ${parts.join(", ")}` } };
}

/** The traces URL of an OTLP/HTTP base endpoint. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith(OTLP_TRACES_PATH) ? base : base + OTLP_TRACES_PATH;
}


/** What makes a span time plausible, and how many spans one request may carry. */
export interface SpanWindow {
  maxSpans: number;
  maxAgeMs: number;
  maxFutureMs: number;
  maxDurationMs: number;
}

/** A checked request: the valid spans as store records and as the request to forward, the refusals by reason. */
export type CheckedTraces =
  | { ok: true; session: string; spans: StoredSpan[]; forward: OtlpTracesRequest; rejected: Map<SpanRejectReason, number> }
  | { ok: false; outcome: "invalid" | "session"; detail: string };

const SESSION_KEY = "session.id";
const STATUS = ["unset", "ok", "error"] as const;

/**
 * Checks an OTLP/JSON ExportTraceServiceRequest: the envelope (resources, scopes, bounds) as a
 * whole, then each span alone, then each span's times against [now - maxAgeMs, now +
 * maxFutureMs] with end not before start. Every resource must name the same client session
 * (`session.id`, the random per-page-load id). Never throws.
 */
export function checkOtlpTraces(input: unknown, w: SpanWindow, nowMs: number): CheckedTraces {
  try {
    return checkUnguarded(input, w, nowMs);
  } catch {
    // A rule that throws on some input is a bug, but it must not take the request down with it.
    return { ok: false, outcome: "invalid", detail: "unreadable" };
  }
}

function checkUnguarded(input: unknown, w: SpanWindow, nowMs: number): CheckedTraces {
  const envelope = otlpTracesRequestSchema.safeParse(input);
  if (!envelope.success) return { ok: false, outcome: "invalid", detail: describeIssue(envelope.error) };
  const resources = envelope.data.resourceSpans;
  if (resources === undefined) return { ok: false, outcome: "invalid", detail: "resourceSpans: missing" };
  let session: string | undefined;
  for (const r of resources) {
    const s = flattenAttributes(r.resource?.attributes)[SESSION_KEY];
    if (typeof s !== "string" || !SESSION_ID_PATTERN.test(s) || (session !== undefined && s !== session)) {
      return { ok: false, outcome: "session", detail: `resource.attributes.${SESSION_KEY}: one random session id per request` };
    }
    session = s;
  }
  const spans: StoredSpan[] = [];
  const rejected = new Map<SpanRejectReason, number>();
  const refuse = (reason: SpanRejectReason): void => void rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
  const forward: OtlpTracesRequest = { resourceSpans: [] };
  for (const r of resources) {
    const service = flattenAttributes(r.resource?.attributes)["service.name"];
    const scopes: NonNullable<NonNullable<OtlpTracesRequest["resourceSpans"]>[number]["scopeSpans"]> = [];
    for (const scope of r.scopeSpans ?? []) {
      const kept: OtlpSpan[] = [];
      for (const raw of scope.spans ?? []) {
        if (spans.length >= w.maxSpans) {
          refuse("too_many");
          continue;
        }
        const parsed = otlpSpanSchema.safeParse(raw);
        if (!parsed.success) {
          refuse(spanRejectReason(parsed.error));
          continue;
        }
        const reason = timeProblem(parsed.data, w, nowMs);
        if (reason !== undefined) {
          refuse(reason);
          continue;
        }
        kept.push(pickSpan(raw as Record<string, unknown>));
        spans.push(toStored(parsed.data, service));
      }
      if (kept.length) scopes.push({ scope: scope.scope, spans: kept, schemaUrl: scope.schemaUrl });
    }
    if (scopes.length) forward.resourceSpans?.push({ resource: r.resource, scopeSpans: scopes, schemaUrl: r.schemaUrl });
  }
  return { ok: true, session: session ?? "", spans, forward, rejected };
}

/** The span's times (ms) outside the plausible window, or an end before the start: "time" (events: "events"). */
function timeProblem(s: OtlpSpan, w: SpanWindow, nowMs: number): SpanRejectReason | undefined {
  const lo = nowMs - w.maxAgeMs;
  const hi = nowMs + w.maxFutureMs;
  const start = s.startTimeUnixNano;
  const end = s.endTimeUnixNano;
  if (!(start >= lo && end <= hi && end >= start && end - start <= w.maxDurationMs)) return "time";
  for (const e of s.events ?? []) if (!(e.timeUnixNano >= lo && e.timeUnixNano <= hi)) return "events";
  return undefined;
}

const SPAN_FIELDS = [
  "traceId", "spanId", "traceState", "parentSpanId", "flags", "name", "kind", "startTimeUnixNano", "endTimeUnixNano",
  "attributes", "droppedAttributesCount", "events", "droppedEventsCount", "links", "droppedLinksCount", "status",
] as const;

/** The span as received, known OTLP fields only (what is forwarded). */
function pickSpan(raw: Record<string, unknown>): OtlpSpan {
  const out: Record<string, unknown> = {};
  for (const k of SPAN_FIELDS) if (raw[k] !== undefined) out[k] = raw[k];
  return out as OtlpSpan;
}

/** A valid span as a trace-store record; the resource's service.name is copied onto it. */
function toStored(s: OtlpSpan, service: unknown): StoredSpan {
  const attrs = flattenAttributes(s.attributes);
  if (typeof service === "string" && !("service.name" in attrs)) attrs["service.name"] = service;
  return {
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId ? s.parentSpanId : undefined,
    // A browser root span has no parent; a parent from another process would be remote.
    parent_remote: false,
    name: s.name,
    start_ms: s.startTimeUnixNano,
    duration_ms: s.endTimeUnixNano - s.startTimeUnixNano,
    status: STATUS[s.status?.code ?? 0],
    status_message: s.status?.message ? s.status.message : undefined,
    attributes: attrs,
    events: (s.events ?? []).map((e) => ({ name: e.name, time_ms: e.timeUnixNano })),
  };
}
