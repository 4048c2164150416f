// Client breadcrumb ingest on the game port:
//   GET  /telemetry/v1/config       what a consenting client may send (client-config.ts)
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
import { BREADCRUMBS_PATH } from "../../shared/telemetry/client-config.ts";
import type { ClientRejectReason, ClientResult } from "../../shared/telemetry/names.ts";
import type { BatchSinks } from "./breadcrumb-metrics.ts";
import { recordBatch } from "./breadcrumb-metrics.ts";
import { clientConfigRoute } from "./client-config.ts";
import type { ClientConfigSource } from "./client-config.ts";
import { receive } from "./intake.ts";
import { ClientRateLimiter, KeyedTokenBuckets } from "./rate-limit.ts";
import type { ClientRateLimits } from "./rate-limit.ts";
import { retryAfter, sendJson } from "./respond.ts";
import { pathOf } from "./routes.ts";
import type { HttpRoute } from "./routes.ts";

/** Bounds of the ingest (the request rate limits, then its own); all have safe defaults. */
interface IngestLimits extends ClientRateLimits {
  maxBodyBytes: number;
  /** Idempotency keys remembered. */
  dedupeSize: number;
  /** Histogram observations replayed per batch; beyond it counts are scaled down proportionally. */
  maxObservationsPerBatch: number;
  /** Frame times one session may add per second of wall time (and a burst of frameBurst). */
  maxFramesPerSecond: number;
  frameBurst: number;
}

const DEFAULT_INGEST_LIMITS: IngestLimits = {
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

export interface IngestDeps extends BatchSinks {
  /** Client telemetry accepted at all (CLIENT_TELEMETRY). Read per request. */
  enabled: () => boolean;
  config: () => ClientConfigSource;
  /** Every request's detailed outcome (and, for invalid batches, the schema rule that failed). */
  onOutcome?: (outcome: IngestOutcome, detail?: SchemaRejection) => void;
  limits?: Partial<IngestLimits>;
  now?: () => number;
}

/** Outcome -> the `result` label of game_client_requests_total{route="breadcrumbs"}. */
function breadcrumbResult(outcome: IngestOutcome): ClientResult {
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

/** An answer: the outcome it is counted under, its status, body and headers, and the schema rule for an invalid batch. */
interface Answer {
  outcome: IngestOutcome;
  status: number;
  body: object;
  headers?: Readonly<Record<string, string>>;
  detail?: SchemaRejection;
}

/** Per-request outcome counts, for tests and the debug log. */
type Tally = { outcomes: Readonly<Partial<Record<IngestOutcome, number>>>; rejections: Readonly<Partial<Record<SchemaRejection, number>>> };

/** Creates the ingest routes (config + breadcrumbs). */
export function createIngestHandler(deps: IngestDeps): HttpRoute & Tally {
  const limits: IngestLimits = { ...DEFAULT_INGEST_LIMITS, ...deps.limits };
  const now = deps.now ?? Date.now;
  const limiter = new ClientRateLimiter(limits, now);
  const accept = batchAcceptor(deps, limits, limiter, now);
  const configRoute = clientConfigRoute(deps.enabled, deps.config);
  const outcomes: Partial<Record<IngestOutcome, number>> = {};
  const rejections: Partial<Record<SchemaRejection, number>> = {};

  const finish = (res: ServerResponse, a: Answer): void => {
    outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
    if (a.detail) rejections[a.detail] = (rejections[a.detail] ?? 0) + 1;
    const result = breadcrumbResult(a.outcome);
    deps.metrics.request("breadcrumbs", result);
    if (result === "rejected" || result === "rate_limited") deps.metrics.rejected("breadcrumbs", a.outcome as ClientRejectReason);
    deps.onOutcome?.(a.outcome, a.detail);
    sendJson(res, a.status, a.body, a.headers);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (configRoute(req, res)) return true;
    if (pathOf(req) !== BREADCRUMBS_PATH) return false;
    if (req.method !== "POST") {
      sendJson(res, 405, { error: "method_not_allowed" }, { allow: "POST" });
      return true;
    }
    const tooLarge = { error: "too_large", max_bytes: limits.maxBodyBytes };
    const got = await receive(req, { enabled: deps.enabled, maxBodyBytes: limits.maxBodyBytes, json: true, limiter, tooLarge });
    if (got.ok) finish(res, accept(got.value, req.headers["idempotency-key"]));
    else if (got.refusal) finish(res, got.refusal);
    else res.destroy();
    return true;
  };
  return Object.assign(handler, { outcomes, rejections });
}

/** Validates a parsed batch, de-duplicates it, applies the per-session limits, and records it. */
function batchAcceptor(deps: BatchSinks, limits: IngestLimits, limiter: ClientRateLimiter, now: () => number) {
  const frameBudget = new KeyedTokenBuckets(limits.frameBurst, 1000 / limits.maxFramesPerSecond, limits.maxSessions, now);
  const seen = new BoundedSet(limits.dedupeSize);
  return (parsed: unknown, headerKey: string | string[] | undefined): Answer => {
    const result = validateBreadcrumbBatch(parsed);
    if (!result.ok) {
      // The path names schema fields only (unknown keys show as "?"), never client text.
      return { outcome: "invalid", status: 400, body: { error: "invalid", reason: result.reason, path: result.path }, detail: result.reason };
    }
    const batch: BreadcrumbBatch = result.value;
    if (headerKey !== undefined && (typeof headerKey !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(headerKey) || headerKey !== batch.key)) {
      return { outcome: "invalid", status: 400, body: { error: "invalid", reason: "inconsistent", path: "key" }, detail: "inconsistent" };
    }
    // A retry of a batch we already took (its response was lost): acknowledge, ingest nothing.
    if (seen.has(batch.key)) return { outcome: "duplicate", status: 200, body: { status: "duplicate" } };
    const sessionWait = limiter.session(batch.session);
    if (sessionWait > 0) return { outcome: "rate_limited", status: 429, body: { error: "rate_limited" }, headers: { "retry-after": retryAfter(sessionWait) } };
    seen.add(batch.key);
    let frames = 0;
    for (const w of batch.windows) frames += w.frames;
    const frameAllowance = frameBudget.takeUpTo(batch.session, Math.min(frames, limits.maxObservationsPerBatch));
    recordBatch(batch, deps, limits.maxObservationsPerBatch, frameAllowance);
    return { outcome: "accepted", status: 202, body: { status: "accepted", windows: batch.windows.length } };
  };
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
