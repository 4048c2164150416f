// GPU upload figures: per-frame bytes and duration into a fixed histogram per breadcrumb window.

import { FixedHistogram, UPLOAD_MS_BOUNDS } from "../../shared/telemetry/histogram.ts";

/** Aggregated uploads of one window. */
export interface UploadWindow {
  count: number;
  vertexBytes: number;
  indexBytes: number;
  ms: FixedHistogram;
}

/** Upload recorder; record() is allocation-free. */
export class UploadStats {
  /** Figures of the most recent frame that uploaded anything (for the overlay). */
  lastMs = 0;
  lastBytes = 0;
  private hist = new FixedHistogram(UPLOAD_MS_BOUNDS);
  private vertexBytes = 0;
  private indexBytes = 0;

  /** Records one frame's uploads: vertex bytes, index/storage bytes and the time they took. */
  record(vertexBytes: number, indexBytes: number, ms: number): void {
    const v = finiteNonNegative(vertexBytes);
    const i = finiteNonNegative(indexBytes);
    if (v + i === 0) return;
    this.vertexBytes += v;
    this.indexBytes += i;
    this.hist.observe(finiteNonNegative(ms));
    this.lastMs = ms;
    this.lastBytes = v + i;
  }

  /** Returns the window since the previous call and starts a new one. */
  takeWindow(): UploadWindow {
    const out: UploadWindow = { count: this.hist.count, vertexBytes: this.vertexBytes, indexBytes: this.indexBytes, ms: this.hist };
    this.hist = new FixedHistogram(UPLOAD_MS_BOUNDS);
    this.vertexBytes = this.indexBytes = 0;
    return out;
  }

  /** Drops the current window. */
  resetWindow(): void {
    this.hist.reset();
    this.vertexBytes = this.indexBytes = 0;
  }
}

function finiteNonNegative(v: number): number {
  return Number.isFinite(v) && v > 0 ? v : 0;
}
