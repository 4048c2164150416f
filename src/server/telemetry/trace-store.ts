/**
 * In-memory store of the most recent sampled traces, fed as a span processor and read by
 * /debug/tracez: a developer sees traces with zero setup. Bounded by trace count, total
 * span count and spans per trace; the least recently active trace is evicted first.
 * A server span is kept as the SDK's ended (read-only) span and converted to a StoredSpan only
 * when read, so recording costs a map update per span, not a copy of it.
 */
import type { AttributeValue, Context } from "@opentelemetry/api";
import { SpanStatusCode, TraceFlags } from "@opentelemetry/api";
import { hrTimeToMilliseconds } from "@opentelemetry/core";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";

export interface StoredSpan {
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_span_id: string | undefined;
  /** True when the parent came from another process (a client's traceparent). */
  readonly parent_remote: boolean;
  readonly name: string;
  readonly start_ms: number;
  readonly duration_ms: number;
  readonly status: "unset" | "ok" | "error";
  readonly status_message: string | undefined;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly events: readonly { readonly name: string; readonly time_ms: number }[];
}

export interface StoredTrace {
  readonly trace_id: string;
  /** Name of the span without a local parent, if it has ended. */
  readonly root_name: string | undefined;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly span_count: number;
  /** Spans refused because this trace hit maxSpansPerTrace. */
  readonly dropped_spans: number;
  readonly spans: readonly StoredSpan[];
}

interface Entry {
  traceId: string;
  /** Server spans as the SDK ended them (converted when read), browser spans already converted. */
  spans: (StoredSpan | ReadableSpan)[];
  dropped: number;
}

export interface TraceStoreOptions {
  readonly maxTraces?: number;
  readonly maxSpans?: number;
  readonly maxSpansPerTrace?: number;
}

const STATUS = { [SpanStatusCode.UNSET]: "unset", [SpanStatusCode.OK]: "ok", [SpanStatusCode.ERROR]: "error" } as const;

/** Converts an SDK span to the plain record /debug/tracez shows. */
function toStored(span: StoredSpan | ReadableSpan): StoredSpan {
  if (!("spanContext" in span)) return span;
  const sc = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    trace_id: sc.traceId,
    span_id: sc.spanId,
    parent_span_id: parent?.spanId,
    parent_remote: parent?.isRemote === true,
    name: span.name,
    start_ms: hrTimeToMilliseconds(span.startTime),
    duration_ms: hrTimeToMilliseconds(span.duration),
    status: STATUS[span.status.code],
    status_message: span.status.message,
    attributes: { ...span.attributes } as Record<string, AttributeValue>,
    events: span.events.map((e) => ({ name: e.name, time_ms: hrTimeToMilliseconds(e.time) })),
  };
}

export class TraceStore implements SpanProcessor {
  private readonly traces = new Map<string, Entry>();
  private spanCount = 0;
  private readonly maxTraces: number;
  private readonly maxSpans: number;
  private readonly maxSpansPerTrace: number;

  constructor(opts: TraceStoreOptions = {}) {
    this.maxTraces = opts.maxTraces ?? 200;
    this.maxSpans = opts.maxSpans ?? 5000;
    this.maxSpansPerTrace = opts.maxSpansPerTrace ?? Math.max(1, Math.floor(this.maxSpans / 4));
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const sc = span.spanContext();
    if ((sc.traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.admit(sc.traceId)) this.push(sc.traceId, span);
  }

  /** Adds span records decoded elsewhere (browser spans from the OTLP relay) under the same bounds. */
  addSpans(spans: readonly StoredSpan[]): void {
    for (const s of spans) if (this.admit(s.trace_id)) this.push(s.trace_id, s);
  }

  /** Marks the trace most recently active; false if it is already at its per-trace cap. */
  private admit(traceId: string): boolean {
    let entry = this.traces.get(traceId);
    if (entry === undefined) {
      entry = { traceId, spans: [], dropped: 0 };
    } else {
      // Re-insert so Map order is "least recently active first" for eviction.
      this.traces.delete(traceId);
    }
    this.traces.set(traceId, entry);
    if (entry.spans.length >= this.maxSpansPerTrace) {
      entry.dropped++;
      return false;
    }
    return true;
  }

  private push(traceId: string, span: StoredSpan | ReadableSpan): void {
    this.traces.get(traceId)?.spans.push(span);
    this.spanCount++;
    this.evict();
  }

  private evict(): void {
    while (this.traces.size > this.maxTraces || this.spanCount > this.maxSpans) {
      const oldest = this.traces.keys().next();
      if (oldest.done === true) return;
      const entry = this.traces.get(oldest.value);
      this.spanCount -= entry?.spans.length ?? 0;
      this.traces.delete(oldest.value);
    }
  }

  /** Most recently active traces first. */
  list(limit = this.maxTraces): StoredTrace[] {
    const out: StoredTrace[] = [];
    const entries = [...this.traces.values()];
    for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) out.push(this.view(entries[i]));
    return out;
  }

  /** One trace by id, or undefined. */
  get(traceId: string): StoredTrace | undefined {
    const e = this.traces.get(traceId);
    return e === undefined ? undefined : this.view(e);
  }

  /** Counts for the tracez header. */
  stats(): { traces: number; spans: number; max_traces: number; max_spans: number } {
    return { traces: this.traces.size, spans: this.spanCount, max_traces: this.maxTraces, max_spans: this.maxSpans };
  }

  clear(): void {
    this.traces.clear();
    this.spanCount = 0;
  }

  private view(e: Entry): StoredTrace {
    const spans = e.spans.map(toStored).sort((a, b) => a.start_ms - b.start_ms);
    const ids = new Set(spans.map((s) => s.span_id));
    const root = spans.find((s) => s.parent_span_id === undefined || s.parent_remote || !ids.has(s.parent_span_id));
    let start = Infinity;
    let end = -Infinity;
    for (const s of spans) {
      start = Math.min(start, s.start_ms);
      end = Math.max(end, s.start_ms + s.duration_ms);
    }
    return {
      trace_id: e.traceId,
      root_name: root?.name,
      start_ms: spans.length ? start : 0,
      end_ms: spans.length ? end : 0,
      span_count: spans.length,
      dropped_spans: e.dropped,
      spans,
    };
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
