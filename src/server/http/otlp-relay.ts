// POST /v1/traces on the game port: the relay for browser spans (the client's OTLP/HTTP
// exporter posts JSON here, same origin). With an OTLP endpoint configured the body is
// forwarded unchanged; without one, OTLP JSON is decoded into plain span records and handed
// to the embedded trace store, so /debug/tracez shows client and server spans of one trace.

import type { IncomingMessage, ServerResponse } from "node:http";
import { OTLP_TRACES_PATH } from "../../shared/telemetry/client-config.ts";
import type { StoredSpan } from "../telemetry/trace-store.ts";
import type { RouteHandler } from "./ingest.ts";
import { CLOSE, pathOf, readLimitedBody, sendJson } from "./ingest.ts";
import type { Forwarder } from "./sentry-tunnel.ts";
import { fetchForwarder } from "./sentry-tunnel.ts";

export const RELAY_OUTCOMES = ["forwarded", "stored", "off", "oversized", "malformed", "unsupported", "upstream_error"] as const;
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
  /** Default 512 KiB. */
  maxBodyBytes?: number;
  /** Spans accepted per request in store mode (default 1000); the rest are dropped. */
  maxSpans?: number;
  timeoutMs?: number;
}

const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = "application/x-protobuf";

/** Creates the relay route. */
export function createOtlpRelay(deps: OtlpRelayDeps): RouteHandler {
  const maxBytes = deps.maxBodyBytes ?? 512 * 1024;
  const maxSpans = deps.maxSpans ?? 1000;
  const upstreamError = deps.onUpstreamError ?? (() => {});
  const forward = deps.forward ?? fetchForwarder(deps.timeoutMs ?? 5_000, upstreamError);
  const done = (res: ServerResponse, outcome: RelayOutcome, status: number, body: object, spans = 0, extra: Record<string, string> = {}): true => {
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
    const endpoint = deps.endpoint();
    if (type !== JSON_TYPE && !(type === PROTOBUF_TYPE && endpoint)) return done(res, "unsupported", 415, { error: "unsupported_media_type" }, 0, CLOSE);
    if (Number(req.headers["content-length"] ?? Number.NaN) > maxBytes) return done(res, "oversized", 413, { error: "too_large" }, 0, CLOSE);
    const read = await readLimitedBody(req, maxBytes);
    if (!read.ok) {
      if (read.reason === "too_large") return done(res, "oversized", 413, { error: "too_large" }, 0, CLOSE);
      res.destroy();
      return true;
    }

    if (endpoint) {
      try {
        const up = await forward(tracesUrl(endpoint), read.body, { "content-type": type });
        if (up.status >= 200 && up.status < 300) return done(res, "forwarded", 200, {});
        // 429/502/503/504 make the browser exporter retry; keep them, and Retry-After, as they are.
        const retryable = up.status === 429 || up.status === 502 || up.status === 503 || up.status === 504;
        const extra: Record<string, string> = up.retryAfter && retryable ? { "retry-after": up.retryAfter } : {};
        return done(res, "upstream_error", retryable ? up.status : 502, { error: "upstream", status: up.status }, 0, extra);
      } catch (err) {
        upstreamError(err);
        return done(res, "upstream_error", 502, { error: "upstream_unreachable" });
      }
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(read.body.toString("utf8"));
    } catch {
      return done(res, "malformed", 400, { error: "malformed_json" });
    }
    const spans = decodeOtlpJson(parsed, maxSpans);
    if (!spans) return done(res, "malformed", 400, { error: "not_otlp" });
    if (spans.accepted.length) deps.store(spans.accepted);
    // OTLP partial success: tell the exporter how many spans were refused.
    const body = spans.rejected ? { partialSuccess: { rejectedSpans: String(spans.rejected), errorMessage: "invalid or excess spans dropped" } } : {};
    return done(res, "stored", 200, body, spans.accepted.length);
  };
}

/** The traces URL of an OTLP/HTTP base endpoint. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith(OTLP_TRACES_PATH) ? base : base + OTLP_TRACES_PATH;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = "0".repeat(32);
const ZERO16 = "0".repeat(16);
const MAX_ATTRS = 64;
const MAX_EVENTS = 32;
const MAX_STRING = 256;
const STATUS = ["unset", "ok", "error"] as const;

type AttrValue = string | number | boolean | string[] | number[] | boolean[];

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest into stored-span records: hex ids checked,
 * nanosecond strings turned into ms, attributes flattened (bounded in count and length),
 * the resource's service.name copied onto each span. Returns null when the shape is not OTLP.
 */
export function decodeOtlpJson(input: unknown, maxSpans: number): { accepted: StoredSpan[]; rejected: number } | null {
  const rs = (input as { resourceSpans?: unknown } | null)?.resourceSpans;
  if (!Array.isArray(rs)) return null;
  const accepted: StoredSpan[] = [];
  let rejected = 0;
  for (const r of rs) {
    const resourceAttrs = attributes((r as { resource?: { attributes?: unknown } })?.resource?.attributes);
    const service = resourceAttrs["service.name"];
    const scopes = (r as { scopeSpans?: unknown })?.scopeSpans;
    if (!Array.isArray(scopes)) continue;
    for (const s of scopes) {
      const spans = (s as { spans?: unknown })?.spans;
      if (!Array.isArray(spans)) continue;
      for (const raw of spans) {
        const span = accepted.length < maxSpans ? decodeSpan(raw, service) : null;
        if (span) accepted.push(span);
        else rejected++;
      }
    }
  }
  return { accepted, rejected };
}

function decodeSpan(raw: unknown, service: AttrValue | undefined): StoredSpan | null {
  if (typeof raw !== "object" || raw === null) return null;
  const o = raw as Record<string, unknown>;
  const traceId = lowerString(o.traceId);
  const spanId = lowerString(o.spanId);
  if (!HEX32.test(traceId) || traceId === ZERO32 || !HEX16.test(spanId) || spanId === ZERO16) return null;
  const parentRaw = lowerString(o.parentSpanId);
  const parent = HEX16.test(parentRaw) && parentRaw !== ZERO16 ? parentRaw : undefined;
  const start = nanosToMs(o.startTimeUnixNano);
  const end = nanosToMs(o.endTimeUnixNano);
  if (start === null || end === null || end < start) return null;
  const name = typeof o.name === "string" && o.name.length > 0 ? o.name.slice(0, 128) : null;
  if (!name) return null;
  const status = (o.status ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof status.code === "number" && status.code >= 0 && status.code <= 2 ? status.code : 0;
  const attrs = attributes(o.attributes);
  if (typeof service === "string" && !("service.name" in attrs)) attrs["service.name"] = service;
  const events: { name: string; time_ms: number }[] = [];
  if (Array.isArray(o.events)) {
    for (const e of o.events.slice(0, MAX_EVENTS)) {
      const ev = e as { name?: unknown; timeUnixNano?: unknown };
      const t = nanosToMs(ev.timeUnixNano);
      if (typeof ev.name === "string" && t !== null) events.push({ name: ev.name.slice(0, 128), time_ms: t });
    }
  }
  return {
    trace_id: traceId,
    span_id: spanId,
    parent_span_id: parent,
    // A browser root span has no parent; a parent from another process would be remote.
    parent_remote: false,
    name,
    start_ms: start,
    duration_ms: end - start,
    status: STATUS[code],
    status_message: typeof status.message === "string" && status.message ? status.message.slice(0, MAX_STRING) : undefined,
    attributes: attrs,
    events,
  };
}

function attributes(list: unknown): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  if (!Array.isArray(list)) return out;
  let n = 0;
  for (const kv of list) {
    if (n >= MAX_ATTRS) break;
    const key = (kv as { key?: unknown })?.key;
    if (typeof key !== "string" || key.length === 0 || key.length > 128 || key === "__proto__") continue;
    const v = anyValue((kv as { value?: unknown }).value);
    if (v === undefined) continue;
    out[key] = v;
    n++;
  }
  return out;
}

/** OTLP AnyValue -> a plain attribute value (kvlist and bytes are not kept). */
function anyValue(v: unknown): AttrValue | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.stringValue === "string") return o.stringValue.slice(0, MAX_STRING);
  if (typeof o.boolValue === "boolean") return o.boolValue;
  if (typeof o.intValue === "number" || typeof o.intValue === "string") {
    const n = Number(o.intValue);
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof o.doubleValue === "number") return Number.isFinite(o.doubleValue) ? o.doubleValue : undefined;
  const arr = (o.arrayValue as { values?: unknown } | undefined)?.values;
  if (Array.isArray(arr)) {
    const vals = arr.slice(0, 32).map(anyValue);
    if (vals.every((x) => typeof x === "string")) return vals as string[];
    if (vals.every((x) => typeof x === "number")) return vals as number[];
    if (vals.every((x) => typeof x === "boolean")) return vals as boolean[];
  }
  return undefined;
}

function lowerString(v: unknown): string {
  return typeof v === "string" ? v.toLowerCase() : "";
}

/** OTLP/JSON times are decimal nanosecond strings (numbers from some encoders). */
function nanosToMs(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? v / 1e6 : null;
  if (typeof v !== "string" || !/^\d{1,20}$/.test(v)) return null;
  const ns = BigInt(v);
  return Number(ns / 1000n) / 1000;
}
