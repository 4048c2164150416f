/**
 * prom-client counters and gauges whose children add up (or keep the last value) in a plain
 * field and hand it to prom-client when the registry collects, i.e. at a scrape, through the
 * metric's `collect` hook. prom-client builds and looks up a label-hash string on every inc()
 * and set(), even through a bound child (about 1 µs a call), and the tick records several
 * counters and gauges each tick; a scrape comes every few seconds. What a scrape shows is the
 * same: every collect (/metrics, get(), getMetricsAsJSON) flushes first. A series appears at the
 * first collect after its first inc() or set(), as it would in prom-client.
 */
import { Counter, Gauge } from "prom-client";
import type { Registry } from "prom-client";

/** A counter series as recorders use it. */
export interface Incrementer {
  /** Adds v (default 1); a negative or non-finite v is dropped (prom-client would throw at the scrape). */
  inc(v?: number): void;
}

/** A gauge series as recorders use it. */
export interface Setter {
  /** Sets the value; a non-finite v is dropped. */
  set(v: number): void;
}

/** A metric's unlabelled series, and a child per label set (bound once, at start). */
export type DeferredCounter = Incrementer & { labels(labels: Record<string, string>): Incrementer };
export type DeferredGauge = Setter & { labels(labels: Record<string, string>): Setter };

/** What a metric's definition gives prom-client. */
export interface DeferredSpec {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

class CounterChild implements Incrementer {
  pending = 0;
  touched = false;
  constructor(readonly target: { inc(v: number): void }) {}
  inc(v = 1): void {
    if (!(v >= 0 && v !== Infinity)) return;
    this.pending += v;
    this.touched = true;
  }
  flush(): void {
    if (!this.touched) return;
    this.target.inc(this.pending);
    this.pending = 0;
    this.touched = false;
  }
}

class GaugeChild implements Setter {
  value = 0;
  touched = false;
  constructor(readonly target: { set(v: number): void }) {}
  set(v: number): void {
    if (!Number.isFinite(v)) return;
    this.value = v;
    this.touched = true;
  }
  flush(): void {
    if (!this.touched) return;
    this.target.set(this.value);
    this.touched = false;
  }
}

/** What a deferred child needs of its prom-client metric: the unlabelled series, and a child per label set. */
type Target<T> = T & { labels(labels: Record<string, string>): T };

/**
 * The children of one deferred metric: `create` makes the prom-client metric with the collect
 * hook it is given (which flushes them all); `wrap` makes a deferred child over a series.
 */
function deferred<T, C extends { flush(): void }>(create: (collect: () => void) => Target<T>, wrap: (target: T) => C): { root: C; labels(labels: Record<string, string>): C } {
  const children: C[] = [];
  const metric = create(() => {
    for (const c of children) c.flush();
  });
  const child = (target: T): C => {
    const c = wrap(target);
    children.push(c);
    return c;
  };
  return { root: child(metric), labels: (labels) => child(metric.labels(labels)) };
}

/** A prom-client Counter in `registry` whose recording is deferred to collection (file comment). */
export function deferredCounter(registry: Registry, spec: DeferredSpec): DeferredCounter {
  const d = deferred(
    (collect) => new Counter({ name: spec.name, help: spec.help, labelNames: [...spec.labelNames], registers: [registry], collect }),
    (target: { inc(v: number): void }) => new CounterChild(target),
  );
  return { inc: (v) => d.root.inc(v), labels: (labels) => d.labels(labels) };
}

/** A prom-client Gauge in `registry` whose recording is deferred to collection (file comment). */
export function deferredGauge(registry: Registry, spec: DeferredSpec): DeferredGauge {
  const d = deferred(
    (collect) => new Gauge({ name: spec.name, help: spec.help, labelNames: [...spec.labelNames], registers: [registry], collect }),
    (target: { set(v: number): void }) => new GaugeChild(target),
  );
  return { set: (v) => d.root.set(v), labels: (labels) => d.labels(labels) };
}
