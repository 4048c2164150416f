// Valid breadcrumb batches for tests (shared by the schema, client and ingest tests).
import type { BreadcrumbBatch, BreadcrumbWindow } from "../../../src/shared/telemetry/breadcrumb.ts";
import { FRAME_TIME_BOUNDS_MS, UPLOAD_MS_BOUNDS } from "../../../src/shared/telemetry/histogram.ts";

/** A 30 s window of 1800 frames, all in the 16.7 ms bucket, and 10 uploads. */
export function validWindow(overrides: Partial<BreadcrumbWindow> = {}): BreadcrumbWindow {
  const frame = new Array<number>(FRAME_TIME_BOUNDS_MS.length + 1).fill(0);
  frame[FRAME_TIME_BOUNDS_MS.indexOf(16.7)] = 1800;
  const upload = new Array<number>(UPLOAD_MS_BOUNDS.length + 1).fill(0);
  upload[UPLOAD_MS_BOUNDS.indexOf(1)] = 10;
  return {
    start_ms: 1_700_000_000_000,
    dur_ms: 30_000,
    frames: 1800,
    hidden_ms: 0,
    fps: { p50: 60, p95: 58.2, p99: 55.1, low1: 50 },
    frame_ms: frame,
    frame_ms_sum: 30_000,
    cpu_ms: { p50: 4.2, p95: 6.1, p99: 9.9 },
    upload: { count: 10, vertex_bytes: 123_456, index_bytes: 7890, ms: upload, ms_sum: 8.5 },
    mesh: { jobs: 40, p50: 2.5, p95: 7.5, queue_max: 12, worker_failures: 1 },
    gpu_errors: { validation: 1, out_of_memory: 0, internal: 0, device_lost: 0, upload_failure: 1 },
    device_lost_reason: "none",
    net: { bytes_in: 1_000_000, bytes_out: 50_000, rtt_ms_p50: 42.5 },
    server_tick_ms: 3.3,
    ...overrides,
  };
}

let keyCounter = 0;

/** A valid batch with one window and a fresh idempotency key. */
export function validBatch(overrides: Partial<BreadcrumbBatch> = {}): BreadcrumbBatch {
  keyCounter++;
  return {
    v: 1,
    session: "abcdefghijklmnop0123456789".slice(0, 24),
    key: `b-test-${String(keyCounter).padStart(8, "0")}`,
    seq: 0,
    build: "0.1.0",
    gpu: { vendor: "google", arch: "swiftshader" },
    dropped: 0,
    windows: [validWindow()],
    ...overrides,
  };
}

/** Deep clone as plain JSON (what the server sees after JSON.parse). */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
