/**
 * A Prometheus histogram whose series are fixed when it is made (one per value of a closed label
 * set, or the one unlabelled series), for the durations the tick records many times a second.
 * observe() is a bucket search and three increments on typed arrays. prom-client's Histogram
 * builds a label-hash string and looks it up, and turns the bucket bound into a property name,
 * on every observe, even through a bound child: about 1 µs a call, most of what the metrics cost
 * the tick in `npm run bench:telemetry`.
 *
 * prom-client's Registry renders it as one of its own: getForPromString() and get() return the
 * shapes a prom-client Histogram's do (per series in creation order: the buckets, cumulative,
 * labelled `le`, then `+Inf`, `_sum` and `_count`, the series labels as shared labels), so the
 * /metrics text is the same as prom-client's for the same observations
 * (test/server/telemetry/metrics.test.ts compares them). The Registry's resetMetrics() zeroes it.
 *
 * A scrape renders every bucket line, so the labels that never change go where the Registry
 * caches their text: each series' labels, with the registry's default labels (zone, shard)
 * given at register(), are one object per series that the Registry renders as "shared labels",
 * whose escaped text it keeps per object. Only `le`, a number, is formatted per line. Without
 * this, prom-client escaped zone and shard again on every line of every histogram (three regular
 * expression replaces per label): about 2 million instructions a scrape, which took telemetry's
 * count at trace ratio 0.05 in `npm run bench:telemetry` from x1.0201 to x1.0191 of off.
 */
import type { Histogram, Registry } from "prom-client";

/** One series: where the tick records. */
export interface Observer {
  /** Records one value (in the metric's unit); the caller has checked it is finite and >= 0. */
  observe(v: number): void;
}

/** A value line as prom-client's Registry renders it (its getForPromString shape). */
interface ValuePair {
  labels: Readonly<Record<string, string | number>>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

/** The metric object the Registry renders. */
interface MetricData {
  name: string;
  help: string;
  type: "histogram";
  values: ValuePair[];
  aggregator: "sum";
}

/** See the file comment. */
export class FixedSeriesHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  /** Observations per series and bucket, not cumulative; a last slot per series for values above every bound. */
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;
  private readonly totals: Float64Array;
  private readonly stride: number;
  private readonly bucketName: string;
  /** Per series: its labels over the registry's default labels, one stable object (see the file comment). */
  private shared: readonly Readonly<Record<string, string>>[];
  /** The `le` label of each bucket line, then of +Inf. */
  private readonly leLabels: readonly { readonly le: number | string }[];

  /**
   * @param bounds bucket upper bounds, ascending (a value equal to a bound falls in its bucket)
   * @param series the label set of each series ([{}] for an unlabelled histogram)
   * @throws Error when the bounds are not finite and strictly ascending or a series is labelled `le`
   */
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    private readonly series: readonly Readonly<Record<string, string>>[],
  ) {
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) throw new Error(`${name}: bucket bounds must be finite and ascending`);
    }
    if (series.some((labels) => "le" in labels)) throw new Error(`${name}: le is a reserved label`);
    this.stride = bounds.length + 1;
    this.counts = new Float64Array(series.length * this.stride);
    this.sums = new Float64Array(series.length);
    this.totals = new Float64Array(series.length);
    this.bucketName = `${name}_bucket`;
    this.shared = series;
    this.leLabels = [...bounds.map((le) => ({ le })), { le: "+Inf" }];
  }

  /**
   * Registers it in `registry` (prom-client types registerMetric to its own classes; it renders
   * any metric of this shape).
   * @param defaultLabels the labels given to the registry's setDefaultLabels, if any: rendered
   *   once per series instead of once per line (the text is the same; a series label of the
   *   same name wins, as in prom-client)
   */
  register(registry: Registry, defaultLabels: Readonly<Record<string, string>> = {}): this {
    registry.registerMetric(this as unknown as Histogram);
    this.shared = this.series.map((labels) => ({ ...defaultLabels, ...labels }));
    return this;
  }

  /** The recorder of series `index` (the index of its labels in the constructor's `series`). */
  observer(index: number): Observer {
    if (!(index >= 0 && index < this.series.length)) throw new RangeError(`${this.name}: no series ${index}`);
    return { observe: (v) => this.observe(index, v) };
  }

  /** Records v in series `index`: the first bucket whose bound is >= v, or only the count when v is above them all. */
  observe(index: number, v: number): void {
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && v > bounds[b]) b++;
    this.counts[index * this.stride + b]++;
    this.sums[index] += v;
    this.totals[index]++;
  }

  /** Zeroes every series (the Registry's resetMetrics); the series stay. */
  reset(): void {
    this.counts.fill(0);
    this.sums.fill(0);
    this.totals.fill(0);
  }

  /** What the Registry renders as text: bucket lines labelled `le`, the series labels shared. */
  getForPromString(): Promise<MetricData> {
    const values: ValuePair[] = [];
    const inf = this.leLabels[this.bounds.length];
    for (let s = 0; s < this.series.length; s++) {
      const shared = this.shared[s];
      let cumulative = 0;
      for (let b = 0; b < this.bounds.length; b++) {
        cumulative += this.counts[s * this.stride + b];
        values.push({ labels: this.leLabels[b], sharedLabels: shared, value: cumulative, metricName: this.bucketName, exemplar: null });
      }
      values.push(
        { labels: inf, sharedLabels: shared, value: this.totals[s], metricName: this.bucketName, exemplar: null },
        { labels: {}, sharedLabels: shared, value: this.sums[s], metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: shared, value: this.totals[s], metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The metric as prom-client's get() gives it (the Registry's JSON): each value's labels include the series labels. */
  async get(): Promise<Omit<MetricData, "values"> & { values: Omit<ValuePair, "sharedLabels">[] }> {
    const data = await this.getForPromString();
    const perSeries = this.bounds.length + 3;
    return {
      ...data,
      values: data.values.map(({ sharedLabels: _, labels, ...rest }, i) => ({ ...rest, labels: { ...labels, ...this.series[Math.floor(i / perSeries)] } })),
    };
  }
}
