/**
 * The facade's Tracing on an OpenTelemetry tracer: spans get the zone and shard and only the
 * defined fields as attributes, the head sampler decides before any SDK work, and withSpan
 * makes its span the active one (so logs inside carry its trace_id) and ends it after fn,
 * after settling when fn returns a promise.
 */
import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { Attributes, Context, Span as ApiSpan, Tracer } from "@opentelemetry/api";
import type { SpanName } from "../../shared/telemetry/names.ts";
import { parseTraceparent } from "../../shared/telemetry/trace-context.ts";
import type { TraceContext } from "../../shared/telemetry/trace-context.ts";
import type { Fields, SpanHandle, Tracing } from "./facade.ts";
import type { HeadSampler } from "./head-sampler.ts";
import { isAsyncFunction } from "./context.ts";
import type { InternalMetrics } from "./metrics.ts";

/** Sets only defined primitive fields, so no attribute object is allocated per call. */
function setFields(span: ApiSpan, fields: Fields): void {
  for (const key in fields) {
    const v = fields[key];
    if (v !== undefined) span.setAttribute(key, v);
  }
}

class OtelSpanHandle implements SpanHandle {
  private ctx: TraceContext | undefined = undefined;

  constructor(readonly span: ApiSpan) {}

  setAttributes(fields: Fields): void {
    if (this.span.isRecording()) setFields(this.span, fields);
  }

  recordError(err: unknown): void {
    if (!this.span.isRecording()) return;
    const e = err instanceof Error ? err : new Error(String(err));
    this.span.recordException(e);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  }

  context(): TraceContext {
    if (this.ctx === undefined) {
      const sc = this.span.spanContext();
      this.ctx = { traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags, isRemote: false };
    }
    return this.ctx;
  }

  end(endTimeMs?: number): void {
    this.span.end(endTimeMs);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/** Tracing over `tracer`, with `base` attributes on every span and invalid traceparents counted in `metrics`. */
export function otelTracing(tracer: Tracer, sampler: HeadSampler, metrics: InternalMetrics, base: Attributes): Tracing {
  /** The parent context: the given one (an explicit parent) or the active context. */
  const parentContext = (parent: TraceContext | undefined): Context => {
    const active = context.active();
    if (parent === undefined) return active;
    return trace.setSpanContext(active, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags, isRemote: parent.isRemote });
  };

  const start = (name: SpanName, fields: Fields, parent: TraceContext | undefined, startTime?: number): [ApiSpan, Context] => {
    const ctx = parentContext(sampler.kept(parent));
    const span = tracer.startSpan(name, { attributes: base, startTime }, ctx);
    if (span.isRecording()) setFields(span, fields);
    return [span, ctx];
  };

  return {
    extract(traceparent) {
      if (traceparent === undefined || traceparent === null) return undefined;
      const parsed = parseTraceparent(traceparent);
      if (parsed.ok) return parsed.value;
      metrics.traceParentInvalid(parsed.reason);
      return undefined;
    },
    withSpan<T>(name: SpanName, fields: Fields, fn: (span: SpanHandle) => T, parent?: TraceContext): T {
      const unsampled = sampler.skip(name, parent, fields);
      if (unsampled !== null) return fn(unsampled);
      const [span, ctx] = start(name, fields, parent);
      const handle = new OtelSpanHandle(span);
      const active = trace.setSpan(ctx, span);
      // An async function keeps the span active across its awaits (context.ts); anything else
      // has it for its synchronous run, and a promise it returns still ends the span on settling.
      if (isAsyncFunction(fn)) return context.with(active, async () => fn(handle)).then(ended(span), failed(span, handle)) as T;
      return context.with(active, () => runInSpan(span, handle, fn));
    },
    startSpan(name, fields, parent, startTimeMs) {
      return sampler.skip(name, parent, fields) ?? new OtelSpanHandle(start(name, fields, parent, startTimeMs)[0]);
    },
  };
}

/** Ends the span, then passes the value on. */
function ended(span: ApiSpan) {
  return <V>(v: V): V => {
    span.end();
    return v;
  };
}

/** Records the error on the span, ends it, and throws the error on. */
function failed(span: ApiSpan, handle: OtelSpanHandle) {
  return (err: unknown): never => {
    handle.recordError(err);
    span.end();
    throw err;
  };
}

/** Runs fn with the span's handle; ends the span after it returns, throws or settles, recording an error. */
function runInSpan<T>(span: ApiSpan, handle: OtelSpanHandle, fn: (span: SpanHandle) => T): T {
  let result: T;
  try {
    result = fn(handle);
  } catch (err) {
    return failed(span, handle)(err);
  }
  return isThenable(result) ? (Promise.resolve(result).then(ended(span), failed(span, handle)) as T) : ended(span)(result);
}
