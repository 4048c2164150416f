// Percentiles over raw samples: a fixed-capacity ring of recent values plus quantile helpers
// that sort a caller-owned scratch array, so a summary several times a second allocates nothing.

/**
 * Quantile q (0..1) of the first n entries of an ascending array, linearly interpolated
 * between closest ranks (the "type 7" estimator of R and NumPy). NaN when n is 0.
 */
export function quantileSorted(sorted: ArrayLike<number>, n: number, q: number): number {
  if (n <= 0) return Number.NaN;
  if (n === 1) return sorted[0];
  const pos = Math.min(1, Math.max(0, q)) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const frac = pos - lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/**
 * Nearest-rank percentile p (0..100) of an ascending array: the smallest sample with at least
 * p% of the samples at or below it (no interpolation, so it is always a measured value). NaN
 * when the array is empty.
 */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Mean of the largest `fraction` of the first n entries of an ascending array (at least one
 * entry). Over frame times this is the "1% low" frame time: the average of the slowest 1%.
 */
export function meanOfTopFraction(sorted: ArrayLike<number>, n: number, fraction: number): number {
  if (n <= 0) return Number.NaN;
  const k = Math.max(1, Math.ceil(n * fraction));
  let sum = 0;
  for (let i = n - k; i < n; i++) sum += sorted[i];
  return sum / k;
}

/**
 * A ring of the most recent `capacity` samples. push() never allocates; the storage is a
 * Float64Array sized once. Index 0 of at() is the oldest retained sample.
 */
export class SampleRing {
  readonly capacity: number;
  private readonly buf: Float64Array;
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError("capacity must be a positive integer");
    this.capacity = capacity;
    this.buf = new Float64Array(capacity);
  }

  /** Number of retained samples (at most capacity). */
  get length(): number {
    return this.size;
  }

  /** Appends one sample, overwriting the oldest when full. */
  push(value: number): void {
    this.buf[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** The i-th retained sample, oldest first (undefined-free: callers keep i < length). */
  at(i: number): number {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    return this.buf[(start + i) % this.capacity];
  }

  /** Copies the retained samples, oldest first, into out (which must hold length values); returns the count. */
  copyTo(out: Float64Array): number {
    const n = Math.min(this.size, out.length);
    for (let i = 0; i < n; i++) out[i] = this.at(this.size - n + i);
    return n;
  }

  /** Forgets every sample. */
  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}

/** Quantile summary of a sample set; preallocate one and pass it to summarizeRing(). */
export interface QuantileSummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  /** Mean of the largest 1% of samples (for frame times: the 1%-low frame time). */
  top1: number;
  mean: number;
  max: number;
}

/** A summary with every figure NaN and count 0. */
export function emptySummary(): QuantileSummary {
  return { count: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, top1: Number.NaN, mean: Number.NaN, max: Number.NaN };
}

/**
 * Summarises a ring into `out`, sorting a copy in `scratch` (capacity >= ring.capacity).
 * Allocation contract: none, as long as scratch is reused between calls.
 */
export function summarizeRing(ring: SampleRing, scratch: Float64Array, out: QuantileSummary): QuantileSummary {
  const n = ring.copyTo(scratch);
  out.count = n;
  if (n === 0) {
    out.p50 = out.p95 = out.p99 = out.top1 = out.mean = out.max = Number.NaN;
    return out;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += scratch[i];
  sortPrefix(scratch, n);
  out.p50 = quantileSorted(scratch, n, 0.5);
  out.p95 = quantileSorted(scratch, n, 0.95);
  out.p99 = quantileSorted(scratch, n, 0.99);
  out.top1 = meanOfTopFraction(scratch, n, 0.01);
  out.mean = sum / n;
  out.max = scratch[n - 1];
  return out;
}

/**
 * Sorts the first n entries ascending in place. Insertion sort below 32 entries, heap sort
 * above: both allocation-free (TypedArray#subarray().sort() would allocate a view).
 */
export function sortPrefix(a: Float64Array, n: number): void {
  if (n < 32) {
    for (let i = 1; i < n; i++) {
      const v = a[i];
      let j = i - 1;
      while (j >= 0 && a[j] > v) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = v;
    }
    return;
  }
  for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(a, i, n);
  for (let end = n - 1; end > 0; end--) {
    const t = a[0];
    a[0] = a[end];
    a[end] = t;
    siftDown(a, 0, end);
  }
}

function siftDown(a: Float64Array, start: number, n: number): void {
  let root = start;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[root] >= a[child]) return;
    const t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}
