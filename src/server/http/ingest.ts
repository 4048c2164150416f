// Client breadcrumb ingest on the game port:
//   GET  /telemetry/v1/config       what a consenting client may send (ingest on/off, sampling, DSN)
//   POST /telemetry/v1/breadcrumbs  one BreadcrumbBatch (JSON), strictly validated
// Untrusted input from the internet, so every step is bounded: the body is capped at 64 KiB
// (413, reading stops), requests are rate-limited per connection, globally and per random
// session id (429 + Retry-After), retries are de-duplicated by idempotency key (bounded LRU),
// and accepted batches become metrics with closed label sets only. One session weighs at most
// what a 240 Hz display shows in real time in the frame-time histogram, so it cannot set the
// shard-wide client frame rate. Every request is counted once in game_client_requests_total
// (and every refusal by reason). No SDK imports here: the metric recorders come in as a dependency.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { BreadcrumbBatch, IngestOutcome, SchemaRejection } from "../../shared/telemetry/breadcrumb.ts";
import { IDEMPOTENCY_KEY_PATTERN, validateBreadcrumbBatch } from "../../shared/telemetry/breadcrumb.ts";
import type { ClientTelemetryConfig } from "../../shared/telemetry/client-config.ts";
import {
  BREADCRUMBS_PATH,
  CLIENT_CONFIG_OFF,
  CLIENT_CONFIG_PATH,
  PLACEHOLDER_SENTRY_DSN,
} from "../../shared/telemetry/client-config.ts";
import { FRAME_TIME_BOUNDS_MS, UPLOAD_MS_BOUNDS } from "../../shared/telemetry/histogram.ts";
import type { ClientRejectReason, ClientResult } from "../../shared/telemetry/names.ts";
import type { ClientMetrics } from "../telemetry/facade.ts";
import { KeyedTokenBuckets } from "../telemetry/rate-limit.ts";
import { ClientRateLimiter } from "./rate-limit.ts";
import type { ClientRateLimits } from "./rate-limit.ts";

/** The handler shape every route factory returns: true when it answered the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Bounds of the ingest (the request rate limits, then its own); all have safe defaults. */
export interface IngestLimits extends ClientRateLimits {
  maxBodyBytes: number;
  /** Idempotency keys remembered. */
  dedupeSize: number;
  /** Histogram observations replayed per batch; beyond it counts are scaled down proportionally. */
  maxObservationsPerBatch: number;
  /** Frame times one session may add per second of wall time (and a burst of frameBurst). */
  maxFramesPerSecond: number;
  frameBurst: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxBodyBytes: 64 * 1024,
  sessionBurst: 4,
  sessionRefillMs: 10_000,
  connectionBurst: 10,
  connectionRefillMs: 2_000,
  globalPerSecond: 100,
  maxSessions: 10_000,
  dedupeSize: 4096,
  maxObservationsPerBatch: 8192,
  maxFramesPerSecond: 240,
  frameBurst: 240 * 120,
};

/** What the server's client config answer is built from. */
export interface ClientConfigSource {
  traceSampleRatio: number;
  /** Public DSN for browsers; undefined means crashes stay in the local inbox (placeholder DSN). */
  sentryDsn: string | undefined;
  sentrySampleRate?: number;
  environment: string;
  build: string;
}

export interface IngestDeps {
  /** Client telemetry accepted at all (CLIENT_TELEMETRY). Read per request. */
  enabled: () => boolean;
  /** Recorders for the game_client_* metrics (TelemetryHandle.clientMetrics). */
  metrics: ClientMetrics;
  config: () => ClientConfigSource;
  /** Upload failures reported by clients (no label in game_client_gpu_errors_total holds them). */
  uploadFailures?: (count: number) => void;
  /** Every request's detailed outcome (and, for invalid batches, the schema rule that failed). */
  onOutcome?: (outcome: IngestOutcome, detail?: SchemaRejection) => void;
  limits?: Partial<IngestLimits>;
  now?: () => number;
}

/** Outcome -> the `result` label of game_client_requests_total{route="breadcrumbs"}. */
export function breadcrumbResult(outcome: IngestOutcome): ClientResult {
  switch (outcome) {
    case "accepted":
    case "duplicate":
    case "rate_limited":
      return outcome;
    case "off":
      return "disabled";
    default:
      return "rejected";
  }
}

/** Builds the GET /telemetry/v1/config answer. */
export function buildClientConfig(enabled: boolean, src: ClientConfigSource): ClientTelemetryConfig {
  if (!enabled) return CLIENT_CONFIG_OFF;
  return {
    v: 1,
    ingest: true,
    trace_sample_ratio: src.traceSampleRatio,
    sentry: { dsn: src.sentryDsn ?? PLACEHOLDER_SENTRY_DSN, sample_rate: src.sentrySampleRate ?? 1, environment: src.environment },
    build: src.build,
  };
}

/** Creates the ingest route (config + breadcrumbs). */
export function createIngestHandler(
  deps: IngestDeps,
): RouteHandler & { outcomes: Readonly<Partial<Record<IngestOutcome, number>>>; rejections: Readonly<Partial<Record<SchemaRejection, number>>> } {
  const limits: IngestLimits = { ...DEFAULT_INGEST_LIMITS, ...deps.limits };
  const now = deps.now ?? Date.now;
  const limiter = new ClientRateLimiter(limits, now);
  const frameBudget = new KeyedTokenBuckets(limits.frameBurst, 1000 / limits.maxFramesPerSecond, limits.maxSessions, now);
  const seen = new BoundedSet(limits.dedupeSize);
  const outcomes: Partial<Record<IngestOutcome, number>> = {};
  const rejections: Partial<Record<SchemaRejection, number>> = {};

  const finish = (res: ServerResponse, outcome: IngestOutcome, status: number, body: object, extra: Record<string, string> = {}, detail?: SchemaRejection): void => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (detail) rejections[detail] = (rejections[detail] ?? 0) + 1;
    const result = breadcrumbResult(outcome);
    deps.metrics.request("breadcrumbs", result);
    if (result === "rejected" || result === "rate_limited") deps.metrics.rejected("breadcrumbs", outcome as ClientRejectReason);
    deps.onOutcome?.(outcome, detail);
    sendJson(res, status, body, extra);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = pathOf(req);
    if (path === CLIENT_CONFIG_PATH) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });
        return true;
      }
      sendJson(res, 200, buildClientConfig(deps.enabled(), deps.config()), {}, req.method === "HEAD");
      return true;
    }
    if (path !== BREADCRUMBS_PATH) return false;
    if (req.method !== "POST") {
      sendJson(res, 405, { error: "method_not_allowed" }, { allow: "POST" });
      return true;
    }
    if (!deps.enabled()) {
      finish(res, "off", 404, { error: "ingest_off" }, CLOSE);
      return true;
    }
    if (!isJson(req.headers["content-type"])) {
      finish(res, "unsupported", 415, { error: "unsupported_media_type" }, CLOSE);
      return true;
    }
    const declared = Number(req.headers["content-length"] ?? Number.NaN);
    if (declared > limits.maxBodyBytes) {
      finish(res, "oversized", 413, { error: "too_large", max_bytes: limits.maxBodyBytes }, CLOSE);
      return true;
    }
    const admitWait = limiter.admit(req.socket);
    if (admitWait > 0) {
      finish(res, "rate_limited", 429, { error: "rate_limited" }, { ...CLOSE, "retry-after": retryAfter(admitWait) });
      return true;
    }

    const read = await readLimitedBody(req, limits.maxBodyBytes);
    if (!read.ok) {
      if (read.reason === "too_large") finish(res, "oversized", 413, { error: "too_large", max_bytes: limits.maxBodyBytes }, CLOSE);
      else res.destroy();
      return true;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.body.toString("utf8"));
    } catch {
      finish(res, "malformed", 400, { error: "malformed_json" });
      return true;
    }
    const result = validateBreadcrumbBatch(parsed);
    if (!result.ok) {
      // The path names schema fields only (unknown keys show as "?"), never client text.
      finish(res, "invalid", 400, { error: "invalid", reason: result.reason, path: result.path }, {}, result.reason);
      return true;
    }
    const batch = result.value;
    const headerKey = req.headers["idempotency-key"];
    if (headerKey !== undefined && (typeof headerKey !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(headerKey) || headerKey !== batch.key)) {
      finish(res, "invalid", 400, { error: "invalid", reason: "inconsistent", path: "key" }, {}, "inconsistent");
      return true;
    }
    if (seen.has(batch.key)) {
      // A retry of a batch we already took (its response was lost): acknowledge, ingest nothing.
      finish(res, "duplicate", 200, { status: "duplicate" });
      return true;
    }
    const sessionWait = limiter.session(batch.session);
    if (sessionWait > 0) {
      finish(res, "rate_limited", 429, { error: "rate_limited" }, { "retry-after": retryAfter(sessionWait) });
      return true;
    }
    seen.add(batch.key);
    let frames = 0;
    for (const w of batch.windows) frames += w.frames;
    const frameAllowance = frameBudget.takeUpTo(batch.session, Math.min(frames, limits.maxObservationsPerBatch));
    recordBatch(batch, deps, limits.maxObservationsPerBatch, frameAllowance);
    finish(res, "accepted", 202, { status: "accepted", windows: batch.windows.length });
    return true;
  };
  return Object.assign(handler, { outcomes, rejections });
}

/**
 * Feeds one validated batch into the client metrics. Frame times are replayed into the
 * histogram (from which the server derives client fps percentiles) at most `frameAllowance`
 * (default maxObservations) times, upload times at most maxObservations: larger batches are
 * thinned proportionally, so their shape is kept but their weight is bounded.
 */
export function recordBatch(
  batch: BreadcrumbBatch,
  deps: Pick<IngestDeps, "metrics" | "uploadFailures">,
  maxObservations: number,
  frameAllowance = maxObservations,
): void {
  const m = deps.metrics;
  let frameTotal = 0;
  let uploadTotal = 0;
  for (const w of batch.windows) {
    frameTotal += w.frames;
    uploadTotal += w.upload.count;
  }
  const frameCap = Math.min(maxObservations, frameAllowance);
  const frameScale = frameTotal > frameCap ? frameCap / frameTotal : 1;
  const uploadScale = uploadTotal > maxObservations ? maxObservations / uploadTotal : 1;
  const variant = batch.experiment?.variant ?? "none";
  for (const w of batch.windows) {
    replayHistogram(FRAME_TIME_BOUNDS_MS, w.frame_ms, frameScale, (s) => m.frameTime(s, variant));
    replayHistogram(UPLOAD_MS_BOUNDS, w.upload.ms, uploadScale, (s) => m.uploadDuration(s));
    if (w.upload.vertex_bytes > 0) m.uploadBytes("vertex", w.upload.vertex_bytes);
    if (w.upload.index_bytes > 0) m.uploadBytes("index", w.upload.index_bytes);
    const e = w.gpu_errors;
    if (e.validation > 0) m.gpuError("validation", e.validation);
    if (e.out_of_memory > 0) m.gpuError("out_of_memory", e.out_of_memory);
    if (e.internal > 0) m.gpuError("internal", e.internal);
    if (e.device_lost > 0) m.gpuError("device_lost", e.device_lost);
    if (e.upload_failure > 0) deps.uploadFailures?.(e.upload_failure);
  }
}

/**
 * Replays bucket counts as observations of a representative value inside each bucket (its
 * midpoint; 1.5x the last bound for +Inf), so each lands in the same Prometheus bucket
 * because client and server share the bounds. `scale` < 1 thins large batches.
 */
export function replayHistogram(boundsMs: readonly number[], counts: readonly number[], scale: number, observe: (seconds: number) => void): number {
  let n = 0;
  let carry = 0;
  for (let i = 0; i < counts.length; i++) {
    const exact = counts[i] * scale + carry;
    const times = Math.floor(exact);
    carry = exact - times;
    if (times === 0) continue;
    const lower = i === 0 ? 0 : boundsMs[i - 1];
    const rep = i < boundsMs.length ? (lower + boundsMs[i]) / 2 : boundsMs[boundsMs.length - 1] * 1.5;
    const seconds = rep / 1000;
    for (let k = 0; k < times; k++) observe(seconds);
    n += times;
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// Small HTTP helpers shared by the telemetry routes (sentry-tunnel.ts, otlp-relay.ts).

/** Headers that make Node close the connection after answering without reading the body. */
export const CLOSE: Readonly<Record<string, string>> = { connection: "close" };

/** The request path without query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

/** Writes a JSON answer (no-store; never cached by proxies). */
export function sendJson(res: ServerResponse, status: number, body: object, extra: Record<string, string> = {}, head = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...extra,
  });
  res.end(head ? undefined : text);
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const base = contentType.split(";")[0].trim().toLowerCase();
  return base === "application/json";
}

/**
 * Reads the request body, at most maxBytes. Past the limit it stops reading at once (the
 * caller answers 413 with Connection: close, so the rest is never consumed).
 */
export function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<{ ok: true; body: Buffer } | { ok: false; reason: "too_large" | "aborted" }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (v: { ok: true; body: Buffer } | { ok: false; reason: "too_large" | "aborted" }): void => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onClose);
      resolve(v);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        settle({ ok: false, reason: "too_large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ ok: true, body: Buffer.concat(chunks, size) });
    const onAbort = (): void => settle({ ok: false, reason: "aborted" });
    const onClose = (): void => {
      if (!req.complete) settle({ ok: false, reason: "aborted" });
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("close", onClose);
  });
}

/** Retry-After in whole seconds (at least 1) for a wait in ms. */
export function retryAfter(waitMs: number): string {
  return String(Math.max(1, Math.ceil(waitMs / 1000)));
}

/** A set that forgets its least recently used entries past `max`. */
class BoundedSet {
  private readonly set = new Set<string>();

  constructor(private readonly max: number) {}

  /** Membership test; a hit counts as a use (moves the key to the newest end). */
  has(k: string): boolean {
    if (!this.set.has(k)) return false;
    this.set.delete(k);
    this.set.add(k);
    return true;
  }

  add(k: string): void {
    this.set.add(k);
    while (this.set.size > this.max) {
      const oldest = this.set.values().next();
      if (oldest.done) break;
      this.set.delete(oldest.value);
    }
  }
}
