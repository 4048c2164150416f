// Mesh job figures, read from the worker pool's ring of recent mesh times.

import { MESH_MS_BOUNDS, FixedHistogram } from "../../shared/telemetry/histogram.ts";
import { SampleRing } from "../../shared/telemetry/percentiles.ts";
import type { MeshPoolStatsLike, WorkerFailuresLike } from "./sources.ts";

/** Collects per-job mesh times, the queue length and worker failures. */
export class MeshStats {
  /** Recent mesh times for the overlay. */
  readonly recent = new SampleRing(256);
  queueLength = 0;
  /** Worker failures since the page loaded (the overlay's figure). */
  workerFailures = 0;
  private failuresAtWindowStart = 0;
  private hist = new FixedHistogram(MESH_MS_BOUNDS);
  private queueMax = 0;
  private seen = -1;

  /**
   * Reads new samples from the pool's ring since the previous poll (at most one ring's worth:
   * if more arrived in between, the oldest are lost, which only thins the sample).
   */
  poll(pool: MeshPoolStatsLike): void {
    this.queueLength = pool.queueLength;
    if (pool.queueLength > this.queueMax) this.queueMax = pool.queueLength;
    const count = pool.recentMeshMsCount;
    if (this.seen < 0) this.seen = Math.max(0, count - pool.recentMeshMs.length);
    const len = pool.recentMeshMs.length;
    const from = Math.max(this.seen, count - len);
    for (let i = from; i < count; i++) this.record(pool.recentMeshMs[i % len]);
    this.seen = count;
  }

  /** Reads the worker failure count (cumulative; each window reports its increase). */
  pollWorkers(workers: WorkerFailuresLike): void {
    this.workerFailures = workers.failures;
  }

  /** Records one job's mesh time. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.recent.push(ms);
    this.hist.observe(ms);
  }

  /** Returns { jobs, p50, p95, queue_max, worker_failures } since the previous call and starts a new window. */
  takeWindow(): { jobs: number; p50: number; p95: number; queue_max: number; worker_failures: number } {
    const h = this.hist;
    const out = {
      jobs: h.count,
      p50: h.count ? h.quantile(0.5) : 0,
      p95: h.count ? h.quantile(0.95) : 0,
      queue_max: this.queueMax,
      worker_failures: Math.max(0, this.workerFailures - this.failuresAtWindowStart),
    };
    this.hist = new FixedHistogram(MESH_MS_BOUNDS);
    this.queueMax = this.queueLength;
    this.failuresAtWindowStart = this.workerFailures;
    return out;
  }

  /** Drops the current window. */
  resetWindow(): void {
    this.hist.reset();
    this.queueMax = this.queueLength;
    this.failuresAtWindowStart = this.workerFailures;
  }
}
