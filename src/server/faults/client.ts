// The fault switch's test client: breadcrumb batches a consenting browser with a sick GPU (or
// a slow frame rate) would send, posted to the game's own ingest over loopback, so the client
// alerts can be driven end to end without a browser. Each batch is a fresh random session (as
// many players would be), valid against the shared breadcrumb schema.
import { randomBytes } from "node:crypto";
import type { BreadcrumbBatch, BreadcrumbWindow } from "../../shared/telemetry/breadcrumb.ts";
import { BREADCRUMB_SCHEMA_VERSION, validateBreadcrumbBatch } from "../../shared/telemetry/breadcrumb.ts";
import { BREADCRUMBS_PATH } from "../../shared/telemetry/client-config.ts";
import { FRAME_TIME_BOUNDS_MS, UPLOAD_MS_BOUNDS } from "../../shared/telemetry/histogram.ts";

/** What one fake window reports. */
export interface FakeWindow {
  /** Frames in the one-second window, all at `frameMs`. */
  readonly frames: number;
  readonly frameMs: number;
  /** WebGPU validation errors in the window. */
  readonly gpuValidationErrors: number;
}

/** A random [a-z0-9] token of `n` characters (base 36 from the OS CSPRNG). */
function token(n: number): string {
  let s = "";
  for (const b of randomBytes(n)) s += (b % 36).toString(36);
  return s;
}

/** One valid batch of one one-second window ending now. */
export function fakeBatch(w: FakeWindow, nowMs: number): BreadcrumbBatch {
  const frameCounts = new Array<number>(FRAME_TIME_BOUNDS_MS.length + 1).fill(0);
  let bucket = FRAME_TIME_BOUNDS_MS.findIndex((b) => w.frameMs <= b);
  if (bucket < 0) bucket = FRAME_TIME_BOUNDS_MS.length;
  frameCounts[bucket] = w.frames;
  const fps = Math.min(1000, Math.round((1000 / w.frameMs) * 100) / 100);
  const window: BreadcrumbWindow = {
    start_ms: Math.round(nowMs - 1000),
    dur_ms: 1000,
    frames: w.frames,
    hidden_ms: 0,
    fps: { p50: fps, p95: fps, p99: fps, low1: fps },
    frame_ms: frameCounts,
    frame_ms_sum: Math.round(w.frames * w.frameMs * 100) / 100,
    cpu_ms: { p50: 1, p95: 2, p99: 3 },
    upload: { count: 0, vertex_bytes: 0, index_bytes: 0, ms: new Array<number>(UPLOAD_MS_BOUNDS.length + 1).fill(0), ms_sum: 0 },
    mesh: { jobs: 0, p50: 0, p95: 0, queue_max: 0, worker_failures: 0 },
    gpu_errors: { validation: w.gpuValidationErrors, out_of_memory: 0, internal: 0, device_lost: 0, upload_failure: 0 },
    device_lost_reason: "none",
    net: { bytes_in: 0, bytes_out: 0, rtt_ms_p50: 0 },
    server_tick_ms: 0,
  };
  const batch: BreadcrumbBatch = {
    v: BREADCRUMB_SCHEMA_VERSION,
    session: token(24),
    key: `fault-${token(20)}`,
    seq: 0,
    build: "fault-injection",
    gpu: { vendor: "fault", arch: "fault" },
    dropped: 0,
    windows: [window],
  };
  const checked = validateBreadcrumbBatch(batch);
  if (!checked.ok) throw new Error(`fake breadcrumb batch invalid at ${checked.path}: ${checked.reason}`);
  return batch;
}

/** Posts one batch to the game's ingest; resolves with the HTTP status (0 when the request failed). */
export async function postBatch(gameUrl: string, batch: BreadcrumbBatch): Promise<number> {
  try {
    const res = await fetch(new URL(BREADCRUMBS_PATH, gameUrl), {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": batch.key },
      body: JSON.stringify(batch),
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
