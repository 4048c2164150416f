// The breadcrumb batch: the only shape client performance telemetry may take on the wire.
// Every field is a bounded number, an enum member or a short [a-z0-9.-] token; there is no
// free text, no player name and no stable identifier beyond a random per-session id. The same
// strict validator runs in the client (self-check before sending) and in the server's ingest.

import { FRAME_TIME_BOUNDS_MS, UPLOAD_MS_BOUNDS } from "./histogram.ts";
import { EXPERIMENT_VARIANTS } from "./names.ts";
import type { ExperimentVariant } from "./names.ts";

/** Wire schema version; the ingest rejects any other. */
export const BREADCRUMB_SCHEMA_VERSION = 1 as const;

/** Classes of WebGPU errors (GPUValidationError, GPUOutOfMemoryError, GPUInternalError). */
export const GPU_ERROR_KINDS = ["validation", "out_of_memory", "internal"] as const;
export type GpuErrorKind = (typeof GPU_ERROR_KINDS)[number];

/** Every GPU error counter in a window: the error kinds plus device loss and failed uploads. */
export const GPU_ERROR_COUNTERS = [...GPU_ERROR_KINDS, "device_lost", "upload_failure"] as const;
export type GpuErrorCounter = (typeof GPU_ERROR_COUNTERS)[number];

/** GPUDeviceLostInfo.reason values, plus "none" when the device was not lost during the aggregation window */
export const DEVICE_LOST_REASONS = ["none", "unknown", "destroyed"] as const;
export type DeviceLostReason = (typeof DEVICE_LOST_REASONS)[number];

/**
 * Outcome of one ingest request, in detail. The ingest maps it onto the coarser `result`
 * label of game_client_breadcrumbs_total (see names.ts BREADCRUMB_RESULTS).
 */
export const INGEST_OUTCOMES = [
  "accepted",
  "duplicate",
  "malformed",
  "invalid",
  "oversized",
  "rate_limited",
  "off",
  "unsupported",
] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

/** Figures the validator names when it rejects a batch (for counters, never echoed with values). */
export const SCHEMA_REJECTIONS = [
  "not_object",
  "unknown_key",
  "missing_key",
  "type",
  "range",
  "pattern",
  "enum",
  "length",
  "version",
  "inconsistent",
] as const;
export type SchemaRejection = (typeof SCHEMA_REJECTIONS)[number];

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
export const FLAG_KEY_PATTERN = /^[a-z0-9-]{1,32}$/;
/** Build versions, adapter vendors and architectures are short [a-z0-9.-] tokens (maybe empty). */
export const TOKEN_PATTERN = /^[a-z0-9.-]{0,32}$/;

/** Frame-rate figures for a window (fps p99 is the rate at the 99th-percentile frame time). */
export interface FpsFigures {
  p50: number;
  p95: number;
  p99: number;
  /** 1000 / mean of the slowest 1% of frame times. */
  low1: number;
}

/** One aggregation window (typically 30 s of visible play). */
export interface BreadcrumbWindow {
  /** Window start, Unix ms. */
  start_ms: number;
  dur_ms: number;
  frames: number;
  /** Time the tab was hidden during the window (excluded from the frame figures). */
  hidden_ms: number;
  fps: FpsFigures;
  /** Frame interval counts per FRAME_TIME_BOUNDS_MS bucket (+Inf last); they sum to `frames`. */
  frame_ms: number[];
  frame_ms_sum: number;
  cpu_ms: { p50: number; p95: number; p99: number };
  upload: {
    count: number;
    vertex_bytes: number;
    index_bytes: number;
    /** Upload duration counts per UPLOAD_MS_BOUNDS bucket (+Inf last); they sum to `count`. */
    ms: number[];
    ms_sum: number;
  };
  /** worker_failures: mesher and worldgen workers that crashed or hung in the window (each replaced). */
  mesh: { jobs: number; p50: number; p95: number; queue_max: number; worker_failures: number };
  gpu_errors: Record<GpuErrorCounter, number>;
  device_lost_reason: DeviceLostReason;
  net: { bytes_in: number; bytes_out: number; rtt_ms_p50: number };
  server_tick_ms: number;
}

/** A batch of windows: one ingest request. */
export interface BreadcrumbBatch {
  v: typeof BREADCRUMB_SCHEMA_VERSION;
  /** Random per-session id (not stored anywhere after the page closes). */
  session: string;
  /** Idempotency key: retries of the same batch carry the same key. */
  key: string;
  /** Batch sequence number within the session. */
  seq: number;
  build: string;
  gpu: { vendor: string; arch: string };
  /** Windows dropped client-side (queue overflow) before this batch. */
  dropped: number;
  windows: BreadcrumbWindow[];
  /**
   * The client experiment this page is in, when one runs (absent otherwise): the flag's key and
   * the variant from the closed set. It labels the frame-time histogram; like every batch, it is
   * only sent with performance consent.
   */
  experiment?: { flag: string; variant: ExperimentVariant };
}

type Spec =
  | { t: "int"; min: number; max: number }
  | { t: "num"; min: number; max: number }
  | { t: "lit"; value: number }
  | { t: "enum"; values: readonly string[] }
  | { t: "str"; re: RegExp }
  | { t: "obj"; fields: Readonly<Record<string, Spec>> }
  | { t: "arr"; of: Spec; min: number; max: number }
  | { t: "opt"; of: Spec };

const L = BREADCRUMB_LIMITS;
const int = (max: number, min = 0): Spec => ({ t: "int", min, max });
const num = (max: number, min = 0): Spec => ({ t: "num", min, max });
const counts = (n: number): Spec => ({ t: "arr", of: int(L.maxCount), min: n, max: n });

const WINDOW_SPEC: Spec = {
  t: "obj",
  fields: {
    start_ms: int(8.64e15),
    dur_ms: int(L.maxWindowMs, 1),
    frames: int(L.maxCount),
    hidden_ms: int(L.maxWindowMs),
    fps: { t: "obj", fields: { p50: num(L.maxFps), p95: num(L.maxFps), p99: num(L.maxFps), low1: num(L.maxFps) } },
    frame_ms: counts(FRAME_TIME_BOUNDS_MS.length + 1),
    frame_ms_sum: num(L.maxWindowMs * 10),
    cpu_ms: { t: "obj", fields: { p50: num(L.maxMs), p95: num(L.maxMs), p99: num(L.maxMs) } },
    upload: {
      t: "obj",
      fields: {
        count: int(L.maxCount),
        vertex_bytes: int(L.maxBytes),
        index_bytes: int(L.maxBytes),
        ms: counts(UPLOAD_MS_BOUNDS.length + 1),
        ms_sum: num(L.maxWindowMs * 10),
      },
    },
    mesh: {
      t: "obj",
      fields: { jobs: int(L.maxCount), p50: num(L.maxMs), p95: num(L.maxMs), queue_max: int(L.maxCount), worker_failures: int(L.maxCount) },
    },
    gpu_errors: {
      t: "obj",
      fields: Object.fromEntries(GPU_ERROR_COUNTERS.map((k) => [k, int(L.maxCount)])),
    },
    device_lost_reason: { t: "enum", values: DEVICE_LOST_REASONS },
    net: { t: "obj", fields: { bytes_in: int(L.maxBytes), bytes_out: int(L.maxBytes), rtt_ms_p50: num(L.maxMs) } },
    server_tick_ms: num(L.maxMs),
  },
};

const BATCH_SPEC: Spec = {
  t: "obj",
  fields: {
    v: { t: "lit", value: BREADCRUMB_SCHEMA_VERSION },
    session: { t: "str", re: SESSION_ID_PATTERN },
    key: { t: "str", re: IDEMPOTENCY_KEY_PATTERN },
    seq: int(L.maxCount),
    build: { t: "str", re: TOKEN_PATTERN },
    gpu: { t: "obj", fields: { vendor: { t: "str", re: TOKEN_PATTERN }, arch: { t: "str", re: TOKEN_PATTERN } } },
    dropped: int(L.maxCount),
    windows: { t: "arr", of: WINDOW_SPEC, min: 1, max: L.maxWindows },
    experiment: {
      t: "opt",
      of: { t: "obj", fields: { flag: { t: "str", re: FLAG_KEY_PATTERN }, variant: { t: "enum", values: EXPERIMENT_VARIANTS } } },
    },
  },
};

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
  const err = check(BATCH_SPEC, input, "");
  if (err) return { ok: false, ...err };
  const batch = input as BreadcrumbBatch;
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

function check(spec: Spec, v: unknown, path: string): { reason: SchemaRejection; path: string } | null {
  switch (spec.t) {
    case "int":
      if (typeof v !== "number" || !Number.isInteger(v)) return { reason: "type", path };
      return v < spec.min || v > spec.max ? { reason: "range", path } : null;
    case "num":
      if (typeof v !== "number" || !Number.isFinite(v)) return { reason: "type", path };
      return v < spec.min || v > spec.max ? { reason: "range", path } : null;
    case "lit":
      return v === spec.value ? null : { reason: "version", path };
    case "enum":
      if (typeof v !== "string") return { reason: "type", path };
      return spec.values.includes(v) ? null : { reason: "enum", path };
    case "str":
      if (typeof v !== "string") return { reason: "type", path };
      return spec.re.test(v) ? null : { reason: "pattern", path };
    case "opt":
      return check(spec.of, v, path);
    case "arr": {
      if (!Array.isArray(v)) return { reason: "type", path };
      if (v.length < spec.min || v.length > spec.max) return { reason: "length", path };
      for (let i = 0; i < v.length; i++) {
        const e = check(spec.of, v[i], join(path, String(i)));
        if (e) return e;
      }
      return null;
    }
    case "obj": {
      if (!isPlainObject(v)) return { reason: path === "" ? "not_object" : "type", path };
      for (const k of Object.keys(v)) {
        if (!Object.hasOwn(spec.fields, k)) return { reason: "unknown_key", path: join(path, "?") };
      }
      for (const k of Object.keys(spec.fields)) {
        if (!Object.hasOwn(v, k)) {
          if (spec.fields[k].t === "opt") continue;
          return { reason: "missing_key", path: join(path, k) };
        }
        const e = check(spec.fields[k], v[k], join(path, k));
        if (e) return e;
      }
      return null;
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
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
