// What an accepted breadcrumb batch becomes: observations of the game_client_* metrics, with
// bounded weight (see recordBatch). No SDK imports: the recorders come in as a dependency.
import type { BreadcrumbBatch } from "../../shared/telemetry/breadcrumb.ts";
import { FRAME_TIME_BOUNDS_MS, UPLOAD_MS_BOUNDS } from "../../shared/telemetry/histogram.ts";
import type { ClientMetrics } from "../telemetry/facade.ts";

/** Where a batch's figures go. */
export interface BatchSinks {
  /** Recorders for the game_client_* metrics (TelemetryHandle.clientMetrics). */
  metrics: ClientMetrics;
  /** Upload failures reported by clients (no label in game_client_gpu_errors_total holds them). */
  uploadFailures?: (count: number) => void;
}

/**
 * Feeds one validated batch into the client metrics. Frame times are replayed into the
 * histogram (from which the server derives client fps percentiles) at most `frameAllowance`
 * (default maxObservations) times, upload times at most maxObservations: larger batches are
 * thinned proportionally, so their shape is kept but their weight is bounded.
 */
export function recordBatch(batch: BreadcrumbBatch, sinks: BatchSinks, maxObservations: number, frameAllowance = maxObservations): void {
  const m = sinks.metrics;
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
    if (e.upload_failure > 0) sinks.uploadFailures?.(e.upload_failure);
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
