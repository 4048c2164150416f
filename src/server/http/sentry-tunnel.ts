// POST /telemetry/sentry: the browser SDK's tunnel. The body is a Sentry envelope (a JSON
// header line, then item header/payload pairs). It is a trust boundary: an envelope can be
// crafted without the SDK, so the browser's beforeSend protects nothing here. We check the
// header against its schema and its DSN against the configured one (or the placeholder DSN
// when none is configured), drop every item whose type is not allow-listed (counted by type),
// apply the client's scrubbing rules again plus a generic pass over every string, then either
// forward it to the DSN host's envelope endpoint, or keep it in the local crash inbox
// (/debug/crashes on the metrics listener). Nothing is forwarded for an envelope whose DSN
// differs: the tunnel must not be an open relay into someone else's Sentry project.

import type { ServerResponse } from "node:http";
import { envelopeUrl, parseDsn, PLACEHOLDER_SENTRY_DSN, SENTRY_TUNNEL_PATH, sameDsn } from "../../shared/telemetry/client-config.ts";
import type { ClientRejectReason, ClientResult, DroppedItemType } from "../../shared/telemetry/names.ts";
import { scrubEventJson, redactText, stripUrl } from "../../shared/telemetry/scrub.ts";
import { ALLOWED_ITEM_TYPES, droppedItemType, envelopeHeaderSchema, itemHeaderSchema } from "../../shared/telemetry/sentry-envelope.ts";
import type { ClientMetrics } from "../telemetry/facade.ts";
import type { CrashEnvelope, CrashItem } from "../telemetry/crash-inbox.ts";
import { parseEnvelope as defaultParseEnvelope } from "../telemetry/crash-inbox.ts";
import type { RouteHandler } from "./ingest.ts";
import { CLOSE, pathOf, readLimitedBody, retryAfter, sendJson } from "./ingest.ts";

/** What happened to one tunnel request. */
export const TUNNEL_OUTCOMES = ["forwarded", "stored", "filtered", "off", "oversized", "malformed", "dsn_mismatch", "upstream_error", "unsupported"] as const;
export type TunnelOutcome = (typeof TUNNEL_OUTCOMES)[number];

/** Sends bytes upstream; returns the status and Retry-After (injected in tests). */
export type Forwarder = (url: string, body: Uint8Array, headers: Record<string, string>) => Promise<{ status: number; retryAfter?: string | null }>;

export interface SentryTunnelDeps {
  /** Client telemetry accepted at all (CLIENT_TELEMETRY). */
  enabled: () => boolean;
  /** The configured public DSN, or undefined for the local inbox. */
  dsn: () => string | undefined;
  /** The crash inbox (CrashInbox.add). */
  inbox: { add(envelope: CrashEnvelope): unknown };
  parseEnvelope?: (raw: Uint8Array) => CrashEnvelope | undefined;
  forward?: Forwarder;
  onOutcome?: (outcome: TunnelOutcome) => void;
  /** Every error of the upstream request or its response stream (counted as stage "forward"). */
  onUpstreamError?: (err: unknown) => void;
  /** Recorders for game_client_requests_total, game_client_rejected_total and game_client_crash_items_dropped_total. */
  metrics?: Pick<ClientMetrics, "request" | "rejected" | "crashItemDropped">;
  /** Largest envelope accepted (default 256 KiB, the crash inbox's own limit). */
  maxBodyBytes?: number;
  timeoutMs?: number;
}

/** Default forwarder: fetch with a timeout; an error while draining the answer goes to `onBodyError`. */
export function fetchForwarder(timeoutMs: number, onBodyError: (err: unknown) => void = () => {}): Forwarder {
  return async (url, body, headers) => {
    // Copy into a plain ArrayBuffer-backed view (fetch's BodyInit does not take pooled Buffers).
    const res = await fetch(url, { method: "POST", body: new Uint8Array(body), headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(onBodyError);
    return { status: res.status, retryAfter: res.headers.get("retry-after") };
  };
}

/** Creates the tunnel route. */
export function createSentryTunnel(deps: SentryTunnelDeps): RouteHandler {
  const maxBytes = deps.maxBodyBytes ?? 256 * 1024;
  const parse = deps.parseEnvelope ?? defaultParseEnvelope;
  const upstreamError = deps.onUpstreamError ?? (() => {});
  const forward = deps.forward ?? fetchForwarder(deps.timeoutMs ?? 5_000, upstreamError);
  const done = (res: ServerResponse, outcome: TunnelOutcome, status: number, body: object, extra: Record<string, string> = {}): true => {
    const [result, reason] = tunnelResult(outcome);
    deps.metrics?.request("sentry", result);
    if (reason !== undefined) deps.metrics?.rejected("sentry", reason);
    deps.onOutcome?.(outcome);
    sendJson(res, status, body, extra);
    return true;
  };

  return async (req, res) => {
    if (pathOf(req) !== SENTRY_TUNNEL_PATH) return false;
    if (req.method !== "POST") {
      sendJson(res, 405, { error: "method_not_allowed" }, { allow: "POST" });
      return true;
    }
    if (!deps.enabled()) return done(res, "off", 404, { error: "ingest_off" }, CLOSE);
    if (Number(req.headers["content-length"] ?? Number.NaN) > maxBytes) return done(res, "oversized", 413, { error: "too_large" }, CLOSE);
    const read = await readLimitedBody(req, maxBytes);
    if (!read.ok) {
      if (read.reason === "too_large") return done(res, "oversized", 413, { error: "too_large" }, CLOSE);
      res.destroy();
      return true;
    }
    const envelope = parse(read.body);
    const header = envelope ? envelopeHeaderSchema.safeParse(envelope.header) : undefined;
    if (!envelope || !header?.success || !itemsWellFormed(envelope)) return done(res, "malformed", 400, { error: "malformed_envelope" });
    const configured = deps.dsn();
    if (!sameDsn(header.data.dsn ?? "", configured ?? PLACEHOLDER_SENTRY_DSN)) return done(res, "dsn_mismatch", 403, { error: "dsn_mismatch" });

    const clean = scrubEnvelope({ header: header.data, items: envelope.items }, (type) => deps.metrics?.crashItemDropped(type));
    if (clean.items.length === 0) return done(res, "filtered", 200, {});
    const eventId = typeof clean.header.event_id === "string" ? clean.header.event_id : undefined;
    const parts = configured ? parseDsn(configured) : null;
    if (!parts) {
      deps.inbox.add(clean);
      return done(res, "stored", 200, eventId ? { id: eventId } : {});
    }
    try {
      const up = await forward(envelopeUrl(parts), serializeEnvelope(clean), { "content-type": "application/x-sentry-envelope" });
      if (up.status >= 200 && up.status < 300) return done(res, "forwarded", 200, eventId ? { id: eventId } : {});
      const extra: Record<string, string> = up.status === 429 && up.retryAfter ? { "retry-after": up.retryAfter } : {};
      return done(res, "upstream_error", up.status === 429 ? 429 : 502, { error: "upstream", status: up.status }, extra);
    } catch (err) {
      upstreamError(err);
      return done(res, "upstream_error", 502, { error: "upstream_unreachable" }, { "retry-after": retryAfter(30_000) });
    }
  };
}

/** Outcome -> the `result` and (for a refusal) the `reason` it is counted under. */
function tunnelResult(outcome: TunnelOutcome): [ClientResult, ClientRejectReason | undefined] {
  switch (outcome) {
    case "forwarded":
    case "stored":
    case "filtered":
      return ["accepted", undefined];
    case "off":
      return ["disabled", undefined];
    case "upstream_error":
      return ["upstream_error", undefined];
    case "unsupported":
      return ["rejected", "malformed"];
    default:
      return ["rejected", outcome];
  }
}

/** Every item header has a type, and every allow-listed item a JSON object payload. */
function itemsWellFormed(env: CrashEnvelope): boolean {
  for (const it of env.items) {
    const h = itemHeaderSchema.safeParse(it.header);
    if (!h.success) return false;
    if (!ALLOWED_ITEM_TYPES.has(h.data.type)) continue;
    const p = it.payload;
    if (typeof p !== "object" || p === null || Array.isArray(p) || isByteStub(p)) return false;
  }
  return true;
}

/** Keys removed wherever they appear in an item payload. */
const PERSONAL_KEYS = new Set(["user", "ip_address", "cookies", "headers", "query_string", "env", "server_name", "extra"]);
const MAX_DEPTH = 32;

/**
 * Returns a scrubbed copy of an envelope: items whose type is not allow-listed dropped (each
 * reported to onDropped), the client's event rules applied (scrubEventJson), then personal
 * keys removed at any depth, e-mails, tokens and IP addresses masked in every string, URLs
 * cut at "?", and Relay told never to infer the sender's IP. The header's DSN is kept as is.
 */
export function scrubEnvelope(env: CrashEnvelope, onDropped?: (type: DroppedItemType) => void): CrashEnvelope {
  const header = scrubValue(env.header, 0) as Record<string, unknown>;
  if (typeof env.header.dsn === "string") header.dsn = env.header.dsn;
  const items: CrashItem[] = [];
  for (const it of env.items) {
    const type = typeof it.header.type === "string" ? it.header.type : "";
    if (!ALLOWED_ITEM_TYPES.has(type)) {
      onDropped?.(droppedItemType(type));
      continue;
    }
    const payload = it.payload;
    if (typeof payload !== "object" || payload === null || Array.isArray(payload) || isByteStub(payload)) continue;
    const clean = scrubValue(scrubEventJson(structuredClone(payload) as Record<string, unknown>), 0) as Record<string, unknown>;
    items.push({ header: { type }, payload: clean });
  }
  return { header, items };
}

/** Serialises an envelope (item lengths omitted: each payload is one JSON line). */
export function serializeEnvelope(env: CrashEnvelope): Uint8Array {
  const lines = [JSON.stringify(env.header)];
  for (const it of env.items) lines.push(JSON.stringify(it.header), JSON.stringify(it.payload));
  return Buffer.from(lines.join("\n") + "\n", "utf8");
}

function isByteStub(p: object): boolean {
  const keys = Object.keys(p);
  return keys.length === 1 && keys[0] === "bytes";
}

function scrubValue(v: unknown, depth: number): unknown {
  if (typeof v === "string") return scrubString(v);
  if (typeof v !== "object" || v === null) return v;
  if (depth > MAX_DEPTH) return null;
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (PERSONAL_KEYS.has(k) || k === "__proto__") continue;
    // Keys are client text too (a tag or context named after an e-mail address).
    out[scrubString(k)] = k === "url" && typeof x === "string" ? stripUrl(x) : scrubValue(x, depth + 1);
  }
  return out;
}

function scrubString(s: string): string {
  return redactText(s);
}
