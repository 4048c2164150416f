// The breadcrumb batch: the only shape client performance telemetry may take on the wire.
// Every field is a bounded number, an enum member or a short [a-z0-9.-] token; there is no
// free text, no player name and no stable identifier beyond a random per-session id. One zod
// schema (types inferred from it) runs in the client (self-check before sending) and in the
// server's ingest; a failure is reported as a SchemaRejection and a field path, never a value.

import { z } from "../zod.ts";
import { FRAME_TIME_BOUNDS_MS, UPLOAD_MS_BOUNDS } from "./histogram.ts";
import { EXPERIMENT_VARIANTS } from "./names.ts";

/** Wire schema version; the ingest rejects any other. */
export const BREADCRUMB_SCHEMA_VERSION = 1 as const;

/** Classes of WebGPU errors (GPUValidationError, GPUOutOfMemoryError, GPUInternalError). */
const GPU_ERROR_KINDS = ["validation", "out_of_memory", "internal"] as const;
export type GpuErrorKind = (typeof GPU_ERROR_KINDS)[number];

/** Every GPU error counter in a window: the error kinds plus device loss and failed uploads. */
export const GPU_ERROR_COUNTERS = [...GPU_ERROR_KINDS, "device_lost", "upload_failure"] as const;
export type GpuErrorCounter = (typeof GPU_ERROR_COUNTERS)[number];

/** GPUDeviceLostInfo.reason values, plus "none" when the device was not lost during the aggregation window */
const DEVICE_LOST_REASONS = ["none", "unknown", "destroyed"] as const;
export type DeviceLostReason = (typeof DEVICE_LOST_REASONS)[number];

/**
 * Outcome of one ingest request, in detail. The ingest maps it onto the coarser `result`
 * label of game_client_breadcrumbs_total (see names.ts BREADCRUMB_RESULTS).
 */
export type IngestOutcome = "accepted" | "duplicate" | "malformed" | "invalid" | "oversized" | "rate_limited" | "off" | "unsupported";

/** Figures the validator names when it rejects a batch (for counters, never echoed with values). */
export type SchemaRejection =
  | "not_object"
  | "unknown_key"
  | "missing_key"
  | "type"
  | "range"
  | "pattern"
  | "enum"
  | "length"
  | "version"
  | "inconsistent";

/** Bounds of the wire format (shared so the client batcher can size requests the ingest accepts). */
export const BREADCRUMB_LIMITS = {
  maxWindows: 40,
  maxWindowMs: 10 * 60_000,
  maxFps: 1000,
  maxMs: 60_000,
  maxCount: 1e7,
  maxBytes: 1e12,
  maxTokenLength: 32,
} as const;

/** A random per-session id: 16..32 lowercase base-36 characters. */
export const SESSION_ID_PATTERN = /^[a-z0-9]{16,32}$/;
/** A random idempotency key: 8..64 of [a-z0-9-]. */
export const IDEMPOTENCY_KEY_PATTERN = /^[a-z0-9-]{8,64}$/;
/** A flag key in flags.json (kebab-case). */
const FLAG_KEY_PATTERN = /^[a-z0-9-]{1,32}$/;
/** Build versions, adapter vendors and architectures are short [a-z0-9.-] tokens (maybe empty). */
export const TOKEN_PATTERN = /^[a-z0-9.-]{0,32}$/;

const L = BREADCRUMB_LIMITS;
const int = (max: number, min = 0) => z.number().int().min(min).max(max);
const num = (max: number, min = 0) => z.number().min(min).max(max);
/** Bucket counts of a histogram with `bounds` (+Inf last). */
const counts = (bounds: readonly number[]) => z.array(int(L.maxCount)).length(bounds.length + 1);
const token = z.string().regex(TOKEN_PATTERN);

/** Frame-rate figures for a window (fps p99 is the rate at the 99th-percentile frame time; low1 = 1000 / mean of the slowest 1%). */
const fpsSchema = z.strictObject({ p50: num(L.maxFps), p95: num(L.maxFps), p99: num(L.maxFps), low1: num(L.maxFps) });

/** One aggregation window (typically 30 s of visible play). */
const windowSchema = z.strictObject({
  /** Window start, Unix ms. */
  start_ms: int(8.64e15),
  dur_ms: int(L.maxWindowMs, 1),
  frames: int(L.maxCount),
  /** Time the tab was hidden during the window (excluded from the frame figures). */
  hidden_ms: int(L.maxWindowMs),
  fps: fpsSchema,
  /** Frame interval counts per FRAME_TIME_BOUNDS_MS bucket (+Inf last); they sum to `frames`. */
  frame_ms: counts(FRAME_TIME_BOUNDS_MS),
  frame_ms_sum: num(L.maxWindowMs * 10),
  cpu_ms: z.strictObject({ p50: num(L.maxMs), p95: num(L.maxMs), p99: num(L.maxMs) }),
  upload: z.strictObject({
    count: int(L.maxCount),
    vertex_bytes: int(L.maxBytes),
    index_bytes: int(L.maxBytes),
    /** Upload duration counts per UPLOAD_MS_BOUNDS bucket (+Inf last); they sum to `count`. */
    ms: counts(UPLOAD_MS_BOUNDS),
    ms_sum: num(L.maxWindowMs * 10),
  }),
  /** worker_failures: mesher and worldgen workers that crashed or hung in the window (each replaced). */
  mesh: z.strictObject({ jobs: int(L.maxCount), p50: num(L.maxMs), p95: num(L.maxMs), queue_max: int(L.maxCount), worker_failures: int(L.maxCount) }),
  gpu_errors: z.strictObject({
    validation: int(L.maxCount),
    out_of_memory: int(L.maxCount),
    internal: int(L.maxCount),
    device_lost: int(L.maxCount),
    upload_failure: int(L.maxCount),
  } satisfies Record<GpuErrorCounter, unknown>),
  device_lost_reason: z.enum(DEVICE_LOST_REASONS),
  net: z.strictObject({ bytes_in: int(L.maxBytes), bytes_out: int(L.maxBytes), rtt_ms_p50: num(L.maxMs) }),
  server_tick_ms: num(L.maxMs),
});

/** A batch of windows: one ingest request. */
const batchSchema = z.strictObject({
  v: z.literal(BREADCRUMB_SCHEMA_VERSION),
  /** Random per-session id (not stored anywhere after the page closes). */
  session: z.string().regex(SESSION_ID_PATTERN),
  /** Idempotency key: retries of the same batch carry the same key. */
  key: z.string().regex(IDEMPOTENCY_KEY_PATTERN),
  /** Batch sequence number within the session. */
  seq: int(L.maxCount),
  build: token,
  gpu: z.strictObject({ vendor: token, arch: token }),
  /** Windows dropped client-side (queue overflow) before this batch. */
  dropped: int(L.maxCount),
  windows: z.array(windowSchema).min(1).max(L.maxWindows),
  /**
   * The client experiment this page is in, when one runs (absent otherwise): the flag's key and
   * the variant from the closed set. It labels the frame-time histogram; like every batch, it is
   * only sent with performance consent.
   */
  experiment: z.strictObject({ flag: z.string().regex(FLAG_KEY_PATTERN), variant: z.enum(EXPERIMENT_VARIANTS) }).optional(),
});

export type FpsFigures = z.infer<typeof fpsSchema>;
export type BreadcrumbWindow = z.infer<typeof windowSchema>;
export type BreadcrumbBatch = z.infer<typeof batchSchema>;

/** Result of validating untrusted input. `path` names the offending field, never its value. */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; reason: SchemaRejection; path: string };

/**
 * Strictly validates a parsed JSON value as a BreadcrumbBatch: exact key sets (unknown keys
 * rejected), integer and range checks, enums, token patterns, and cross-field consistency
 * (bucket counts sum to their totals, hidden time within the window).
 */
export function validateBreadcrumbBatch(input: unknown): ValidationResult<BreadcrumbBatch> {
  if (isPlainObject(input) && Object.hasOwn(input, "v") && input.v !== BREADCRUMB_SCHEMA_VERSION) {
    return { ok: false, reason: "version", path: "v" };
  }
  const parsed = batchSchema.safeParse(input);
  if (!parsed.success) return { ok: false, ...rejection(parsed.error.issues, input) };
  const batch = parsed.data;
  for (let i = 0; i < batch.windows.length; i++) {
    const w = batch.windows[i];
    const path = `windows.${i}`;
    if (w.hidden_ms > w.dur_ms) return { ok: false, reason: "inconsistent", path: `${path}.hidden_ms` };
    // At most one frame (and one upload) per millisecond: 1000 fps is the schema's ceiling.
    if (w.frames > w.dur_ms) return { ok: false, reason: "inconsistent", path: `${path}.frames` };
    if (w.upload.count > w.dur_ms) return { ok: false, reason: "inconsistent", path: `${path}.upload.count` };
    if (sum(w.frame_ms) !== w.frames) return { ok: false, reason: "inconsistent", path: `${path}.frame_ms` };
    if (sum(w.upload.ms) !== w.upload.count) return { ok: false, reason: "inconsistent", path: `${path}.upload.ms` };
  }
  return { ok: true, value: batch };
}

/**
 * Lower-cases and squeezes an arbitrary string (e.g. GPUAdapterInfo.vendor) into a token the
 * schema accepts: [a-z0-9.-], at most 32 characters. Anything else becomes "-".
 */
export function toToken(raw: string | undefined): string {
  if (!raw) return "";
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, L.maxTokenLength);
}

/**
 * The first schema issue as a rejection. Issues come in field order, but an object's unknown
 * keys are reported before anything inside it (the outermost first).
 */
function rejection(issues: readonly z.core.$ZodIssue[], input: unknown): { reason: SchemaRejection; path: string } {
  const first = issues[0];
  const unknown = issues
    .filter((i) => i.code === "unrecognized_keys" && isPrefix(i.path, first.path))
    .sort((a, b) => a.path.length - b.path.length)[0];
  const issue = unknown ?? first;
  const path = issue.path.join(".");
  switch (issue.code) {
    case "unrecognized_keys":
      return { reason: "unknown_key", path: join(path, "?") };
    case "invalid_type":
      if (issue.path.length === 0) return { reason: "not_object", path };
      return { reason: isMissing(input, issue.path) ? "missing_key" : "type", path };
    case "too_small":
    case "too_big":
      return { reason: issue.origin === "array" ? "length" : "range", path };
    case "invalid_format":
      return { reason: "pattern", path };
    case "invalid_value":
      return { reason: path === "v" ? "version" : "enum", path };
    default:
      return { reason: "type", path };
  }
}

function isPrefix(prefix: readonly PropertyKey[], path: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => k === path[i]);
}

/** True when the last key of `path` is absent from the object holding it. */
function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  let v: unknown = input;
  for (let i = 0; i < path.length - 1; i++) v = (v as Record<PropertyKey, unknown>)[path[i]];
  return isPlainObject(v) && !Object.hasOwn(v, path[path.length - 1]);
}

function isPlainObject(v: unknown): v is Record<PropertyKey, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function sum(a: readonly number[]): number {
  let s = 0;
  for (const x of a) s += x;
  return s;
}
