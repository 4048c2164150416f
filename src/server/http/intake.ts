// What every client-telemetry POST (breadcrumbs, traces, crash envelopes) goes through before
// its route looks at the content, in order: client telemetry on at all, the content type, the
// declared length, the per-connection and global rate limits, then the body itself (read up to
// the limit). Each refusal carries the route outcome it is counted under and its answer.
import type { IncomingMessage } from "node:http";
import { declaredTooLarge, isJsonRequest, readLimitedBody } from "./body.ts";
import type { ClientRateLimiter } from "./rate-limit.ts";
import { CLOSE, retryAfter } from "./respond.ts";

/** The outcomes intake itself can decide. */
export type IntakeOutcome = "off" | "unsupported" | "oversized" | "rate_limited" | "malformed";

/** A refused request: its outcome and the answer to send. */
export interface Refusal {
  readonly outcome: IntakeOutcome;
  readonly status: number;
  readonly body: object;
  readonly headers: Readonly<Record<string, string>>;
}

/** What one route checks. */
export interface IntakeRules {
  /** Client telemetry accepted at all (CLIENT_TELEMETRY); read per request. */
  readonly enabled: () => boolean;
  readonly maxBodyBytes: number;
  /** Require application/json and parse the body (else the raw bytes come back). */
  readonly json: boolean;
  /** Per-connection and global limits, checked before the body is read. */
  readonly limiter?: ClientRateLimiter;
  /** The 413 answer's body (default { error: "too_large" }). */
  readonly tooLarge?: object;
}

/** The request's content, a refusal to answer, or `aborted` (the client went away: destroy the response). */
export type IntakeResult =
  | { readonly ok: true; readonly body: Buffer; readonly value: unknown }
  | { readonly ok: false; readonly refusal: Refusal }
  | { readonly ok: false; readonly refusal: undefined };

const refuse = (outcome: IntakeOutcome, status: number, body: object, headers: Readonly<Record<string, string>> = CLOSE): IntakeResult =>
  ({ ok: false, refusal: { outcome, status, body, headers } });

/** Runs the checks of the file comment; never rejects. */
export async function receive(req: IncomingMessage, rules: IntakeRules): Promise<IntakeResult> {
  const tooLarge = rules.tooLarge ?? { error: "too_large" };
  if (!rules.enabled()) return refuse("off", 404, { error: "ingest_off" });
  if (rules.json && !isJsonRequest(req)) return refuse("unsupported", 415, { error: "unsupported_media_type" });
  if (declaredTooLarge(req, rules.maxBodyBytes)) return refuse("oversized", 413, tooLarge);
  const wait = rules.limiter?.admit(req.socket) ?? 0;
  if (wait > 0) return refuse("rate_limited", 429, { error: "rate_limited" }, { ...CLOSE, "retry-after": retryAfter(wait) });
  const read = await readLimitedBody(req, rules.maxBodyBytes);
  if (!read.ok) return read.reason === "too_large" ? refuse("oversized", 413, tooLarge) : { ok: false, refusal: undefined };
  if (!rules.json) return { ok: true, body: read.body, value: undefined };
  try {
    return { ok: true, body: read.body, value: JSON.parse(read.body.toString("utf8")) as unknown };
  } catch {
    return refuse("malformed", 400, { error: "malformed_json" }, {});
  }
}
