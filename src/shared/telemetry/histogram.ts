// Fixed-bucket histograms. The client aggregates per-frame values into these, ships the bucket
// counts in breadcrumbs, and the server merges them into Prometheus histograms. Because the
// bucket bounds are shared constants, merging is a plain element-wise sum.

import { BUCKETS } from "./names.ts";
import { clamp } from "../math.ts";

/**
 * Frame interval and frame CPU time bucket upper bounds, in milliseconds: the server's
 * game_client_frame_time_seconds buckets, so a client bucket count maps onto exactly one
 * Prometheus bucket.
 */
export const FRAME_TIME_BOUNDS_MS: readonly number[] = BUCKETS.frame.map(secondsToMs);

/** GPU upload duration bucket upper bounds, in milliseconds (game_client_upload_duration_seconds). */
export const UPLOAD_MS_BOUNDS: readonly number[] = BUCKETS.upload.map(secondsToMs);

/** Mesh job duration bucket upper bounds, in milliseconds. */
export const MESH_MS_BOUNDS = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256] as const;

/** Serialised form: one count per bucket (the last is the +Inf bucket) and the sum of values. */
export interface HistogramData {
  counts: number[];
  sum: number;
}

/**
 * A histogram over fixed upper bounds (ascending, exclusive of +Inf, which is implicit).
 * observe() is allocation-free; bucket search is linear because the tables are short.
 */
export class FixedHistogram {
  readonly bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i] > bounds[i - 1])) throw new RangeError("histogram bounds must be strictly ascending");
    }
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Index of the bucket holding v (value <= bound goes into that bound's bucket, as Prometheus does). */
  bucketOf(v: number): number {
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) if (v <= b[i]) return i;
    return b.length;
  }

  /** Records value v, n times. Non-finite values are ignored: they would poison the sum. */
  observe(v: number, n = 1): void {
    if (!Number.isFinite(v) || n <= 0) return;
    this.counts[this.bucketOf(v)] += n;
    this.sum += v * n;
    this.count += n;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Adds another histogram with identical bounds into this one. */
  merge(other: FixedHistogram): void {
    if (!sameBounds(this.bounds, other.bounds)) throw new RangeError("cannot merge histograms with different bounds");
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.sum += other.sum;
    this.count += other.count;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** Adds serialised counts (same bounds) into this histogram. */
  mergeData(data: HistogramData): void {
    if (data.counts.length !== this.counts.length) throw new RangeError("bucket count mismatch");
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) {
      this.counts[i] += data.counts[i];
      n += data.counts[i];
    }
    this.sum += data.sum;
    this.count += n;
  }

  /**
   * Estimated quantile: linear interpolation inside the bucket that holds the rank, the way
   * PromQL's histogram_quantile() does, clamped to the observed min/max. NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.min(1, Math.max(0, q)) * this.count;
    let cum = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i];
      if (c > 0 && cum + c >= rank) {
        const lower = i === 0 ? 0 : this.bounds[i - 1];
        const upper = i < this.bounds.length ? this.bounds[i] : this.maxOr(lower);
        const est = lower + (upper - lower) * ((rank - cum) / c);
        return clamp(est, this.minOr(lower), this.maxOr(upper));
      }
      cum += c;
    }
    return this.max;
  }

  /** Empties every bucket. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
  }

  /** Plain-JSON copy of the counts and sum (allocates; call once per breadcrumb window). */
  toData(): HistogramData {
    return { counts: Array.from(this.counts), sum: this.sum };
  }

  private minOr(fallback: number): number {
    return Number.isFinite(this.min) ? this.min : fallback;
  }

  private maxOr(fallback: number): number {
    return Number.isFinite(this.max) ? this.max : fallback;
  }
}

/** True when two bound tables are element-wise equal. */
export function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Millisecond bounds converted to seconds (for Prometheus `_seconds` histograms). */
export function boundsToSeconds(boundsMs: readonly number[]): number[] {
  return boundsMs.map((b) => b / 1000);
}

/** Seconds to milliseconds without binary noise (0.0083 s -> 8.3, not 8.299999999999999). */
function secondsToMs(s: number): number {
  return Math.round(s * 1e9) / 1e6;
}
