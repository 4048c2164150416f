// WebGPU error tracking. Counts are kept locally (the overlay shows them without consent) and
// per breadcrumb window; distinct errors are also handed to a reporter (Sentry, with crash
// consent), de-duplicated and capped per session so a per-frame validation error in a loop
// cannot flood anyone.

import type { DeviceLostReason, GpuErrorKind, GpuErrorCounter } from "../../shared/telemetry/breadcrumb.ts";
import { GPU_ERROR_COUNTERS } from "../../shared/telemetry/breadcrumb.ts";

/** The error object of a WebGPU error event or error scope (GPUError has just a message). */
export interface GpuErrorLike {
  readonly message: string;
}

/**
 * The parts of GPUDevice this module touches, so unit tests can pass a fake. A real GPUDevice
 * satisfies it.
 */
export interface GpuDeviceLike {
  addEventListener(type: "uncapturederror", listener: (ev: GPUUncapturedErrorEvent) => void): void;
  removeEventListener(type: "uncapturederror", listener: (ev: GPUUncapturedErrorEvent) => void): void;
  readonly lost: Promise<{ readonly reason: string; readonly message: string }>;
  pushErrorScope(filter: GPUErrorFilter): void;
  popErrorScope(): Promise<GpuErrorLike | null>;
}

/** One distinct error for the crash reporter. `message` is normalised (numbers and long runs cut). */
export interface GpuErrorReport {
  kind: GpuErrorKind | "device_lost";
  /** Where it surfaced: an uncaptured error, an upload scope or a pipeline scope. */
  site: GpuErrorSite;
  message: string;
  reason?: DeviceLostReason;
}

export type GpuErrorSite = "uncaptured" | "upload" | "pipeline" | "device";

export interface GpuErrorTrackerOptions {
  /** Distinct reports per session (default 20); counting continues past it. */
  maxReportsPerSession?: number;
}

/**
 * Classifies a GPUError by its constructor: GPUValidationError, GPUOutOfMemoryError,
 * GPUInternalError (and GPUPipelineError by its reason). Unknown kinds count as internal.
 */
export function classifyGpuError(err: unknown): GpuErrorKind {
  if (typeof err !== "object" || err === null) return "internal";
  const g = globalThis as Record<string, unknown>;
  const isA = (name: string): boolean => {
    const ctor = g[name];
    return (typeof ctor === "function" && err instanceof ctor) || (err as object).constructor?.name === name;
  };
  if (isA("GPUValidationError")) return "validation";
  if (isA("GPUOutOfMemoryError")) return "out_of_memory";
  if (isA("GPUPipelineError")) return (err as { reason?: string }).reason === "validation" ? "validation" : "internal";
  return "internal";
}

/** Cuts volatile parts out of an error message so repeats of one bug share a key. */
export function normalizeGpuMessage(message: string): string {
  return message
    .replace(/0x[0-9a-f]+|\d+/gi, "#")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 300);
}

/** Counts GPU errors and forwards distinct ones to an optional reporter. */
export class GpuErrorTracker {
  /** Session totals, shown in the overlay. */
  readonly totals: Record<GpuErrorCounter, number> = zeroCounts();
  private window: Record<GpuErrorCounter, number> = zeroCounts();
  private lostReason: DeviceLostReason = "none";
  private readonly seen = new Set<string>();
  private reports = 0;
  private readonly maxReports: number;
  private reporter: ((report: GpuErrorReport) => void) | null = null;

  constructor(options: GpuErrorTrackerOptions = {}) {
    this.maxReports = options.maxReportsPerSession ?? 20;
  }

  /** Distinct errors reported this session. */
  get reported(): number {
    return this.reports;
  }

  /** Sets (or clears) where distinct errors go; the crash reporter sets it under crash consent. */
  setReporter(reporter: ((report: GpuErrorReport) => void) | null): void {
    this.reporter = reporter;
  }

  /** Listens for uncaptured errors and loss on a device; returns detach. */
  attach(device: GpuDeviceLike): () => void {
    let attached = true;
    const onError = (ev: GPUUncapturedErrorEvent): void => {
      this.recordError(ev.error, "uncaptured");
    };
    device.addEventListener("uncapturederror", onError);
    device.lost.then(
      (info) => {
        if (attached) this.recordDeviceLost(info.reason, info.message);
      },
      () => {},
    );
    return () => {
      attached = false;
      device.removeEventListener("uncapturederror", onError);
    };
  }

  /** Records one GPU error seen at `site`. */
  recordError(err: GpuErrorLike, site: GpuErrorSite): void {
    const cls = classifyGpuError(err);
    this.bump(cls);
    if (site === "upload") this.bump("upload_failure");
    this.report({ kind: cls, site, message: normalizeGpuMessage(String(err?.message ?? "")) });
  }

  /** Records an upload that failed outside error scopes (e.g. a mapAsync rejection). */
  recordUploadFailure(): void {
    this.bump("upload_failure");
  }

  /** Records device loss; "destroyed" (our own teardown) is counted but not reported as a crash. */
  recordDeviceLost(reason: string, message: string): void {
    const r: DeviceLostReason = reason === "destroyed" ? "destroyed" : "unknown";
    this.bump("device_lost");
    this.lostReason = r;
    if (r !== "destroyed") this.report({ kind: "device_lost", site: "device", message: normalizeGpuMessage(message), reason: r });
  }

  /** Returns the counts since the previous call (and the loss reason, if any) and resets them. */
  takeWindow(): { counts: Record<GpuErrorCounter, number>; lostReason: DeviceLostReason } {
    const out = { counts: this.window, lostReason: this.lostReason };
    this.window = zeroCounts();
    this.lostReason = "none";
    return out;
  }

  /** Forgets the window counts (consent granted: start from now). Session totals stay. */
  resetWindow(): void {
    this.window = zeroCounts();
    this.lostReason = "none";
  }

  private bump(counter: GpuErrorCounter): void {
    this.totals[counter]++;
    this.window[counter]++;
  }

  private report(report: GpuErrorReport): void {
    const key = `${report.kind}|${report.site}|${report.message}`;
    if (this.seen.has(key) || this.reports >= this.maxReports) return;
    this.seen.add(key);
    this.reports++;
    this.reporter?.(report);
  }
}

/**
 * Runs fn inside validation, out-of-memory and internal error scopes and records whatever they
 * catch at `site`. Returns fn's result (awaited, so async pipeline creation is covered too)
 * and the number of errors caught. A rejected async fn is recorded and rethrown.
 */
export async function withGpuErrorScopes<T>(
  device: GpuDeviceLike,
  tracker: GpuErrorTracker,
  site: "upload" | "pipeline",
  fn: () => T | Promise<T>,
): Promise<{ value: T; errors: number }> {
  device.pushErrorScope("validation");
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("internal");
  let value: T;
  let thrown: unknown = null;
  let failed = false;
  try {
    value = await fn();
  } catch (err) {
    failed = true;
    thrown = err;
    value = undefined as T;
  }
  // Scopes pop in reverse order of pushing.
  const caught = await Promise.all([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()]);
  let errors = 0;
  for (const e of caught) {
    if (e) {
      errors++;
      tracker.recordError(e, site);
    }
  }
  if (failed) {
    // createRenderPipelineAsync rejects with a GPUPipelineError rather than filling a scope.
    if (errors === 0) tracker.recordError(asGpuError(thrown), site);
    throw thrown;
  }
  return { value, errors };
}

function asGpuError(thrown: unknown): GpuErrorLike {
  if (typeof thrown === "object" && thrown !== null && typeof (thrown as GpuErrorLike).message === "string") {
    return thrown as GpuErrorLike;
  }
  return { message: "failed" };
}

function zeroCounts(): Record<GpuErrorCounter, number> {
  return Object.fromEntries(GPU_ERROR_COUNTERS.map((k) => [k, 0])) as Record<GpuErrorCounter, number>;
}
