/**
 * OpenTelemetry backend for the facade's Tracing. Head sampling ParentBased(TraceIdRatio),
 * an AsyncLocalStorage context manager so logs see the active span, the in-memory TraceStore
 * always, and OTLP/HTTP export when an endpoint is set. Export never blocks the caller: spans
 * go through a bounded gate in front of the BatchSpanProcessor (which would otherwise drop
 * silently), so queue-full drops and failed exports are counted and warned about at a
 * limited rate.
 */
import { DiagLogLevel, ROOT_CONTEXT, SpanStatusCode, TraceFlags, context, diag, isSpanContextValid, trace } from "@opentelemetry/api";
import type { Attributes, Context, DiagLogger, Span as ApiSpan } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { ExportResultCode, parseTraceParent } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  AlwaysOnSampler,
} from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { SERVICE_NAME } from "../../shared/telemetry/names.ts";
import type { SpanName } from "../../shared/telemetry/names.ts";
import type { TelemetryConfig } from "./config.ts";
import type { Fields, Log, SpanHandle, Tracing } from "./facade.ts";
import type { InternalMetrics } from "./metrics.ts";
import { TraceStore } from "./trace-store.ts";

/** Batch/export bounds; defaults keep memory bounded and shutdown short with a dead collector. */
export interface ExportOptions {
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
  readonly scheduledDelayMillis?: number;
  /** Per-export deadline of the batch processor (the HTTP exporter gets slightly less). */
  readonly exportTimeoutMillis?: number;
  /** In-flight HTTP exports allowed; more fail fast and count as dropped. */
  readonly concurrencyLimit?: number;
}

export interface TracingOptions {
  readonly metrics: InternalMetrics;
  /** The telemetry component's logger, for rate-limited export warnings. */
  readonly log: Log;
  readonly traceStore?: TraceStore;
  readonly export?: ExportOptions;
}

export interface TracingBackend {
  readonly tracing: Tracing;
  readonly provider: BasicTracerProvider;
  readonly traceStore: TraceStore;
  /** Exports what is queued, bounded by timeoutMs. */
  forceFlush(timeoutMs: number): Promise<void>;
  /** Flushes and stops the provider within timeoutMs, then releases the global context manager. */
  shutdown(timeoutMs: number): Promise<void>;
}

const MAX_TRACEPARENT = 256;

/** Resolves after ms (unref'd so it never holds the process open) — the bound for flush/shutdown. */
function deadline(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => {
    setTimeout(() => resolve("timeout"), ms).unref();
  });
}

/** `${endpoint}/v1/traces` unless the endpoint already names the traces path. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith("/v1/traces") ? base : `${base}/v1/traces`;
}

/** Renders the W3C traceparent header for a span context. */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${(flags & TraceFlags.SAMPLED) !== 0 ? "01" : "00"}`;
}

/** Wraps the OTLP exporter to count exported and failed spans and to tell the gate when spans leave the queue. */
class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly onHandOff: (n: number) => void,
    private readonly onResult: (n: number, result: ExportResult) => void,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.onHandOff(spans.length);
    this.inner.export(spans, (result) => {
      this.onResult(spans.length, result);
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Spans ended but not yet handed to the exporter; shared by the gate and the exporter wrapper. */
class QueueCount {
  value = 0;
  release(n: number): void {
    this.value = Math.max(0, this.value - n);
  }
}

/**
 * Bounded gate in front of a BatchSpanProcessor: drops — counted — once maxQueueSize spans
 * are queued, so the inner processor's own silent drop never happens. O(1), no allocation.
 */
class GatedProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly queued: QueueCount,
    private readonly maxQueueSize: number,
    private readonly onDrop: (n: number) => void,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued.value >= this.maxQueueSize) {
      this.onDrop(1);
      return;
    }
    this.queued.value++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * Runs a telemetry-internal warning outside any span: export callbacks and timers inherit
 * the context of the span whose end() scheduled them, and that trace_id would mislead.
 */
function quiet(fn: () => void): void {
  context.with(ROOT_CONTEXT, fn);
}

/** OpenTelemetry reports errors as JSON-stringified exceptions; keep just the message. */
function diagText(msg: string, args: unknown[]): string {
  let text = msg;
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === "string") text = parsed.message;
    } catch {
      // Not JSON after all: keep it as is.
    }
  }
  const extra = args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
  return extra === "" ? text : `${text} ${extra}`;
}

/** Routes OpenTelemetry's internal diagnostics (export timeouts, etc.) to our logger, rate-limited. */
function diagToLog(log: Log): DiagLogger {
  const noop = (): void => {};
  return {
    error: (msg, ...args) =>
      quiet(() => log.warnLimited("otel_diag_error", { detail: diagText(msg, args) }, "opentelemetry internal error")),
    warn: (msg, ...args) =>
      quiet(() => log.warnLimited("otel_diag_warn", { detail: diagText(msg, args) }, "opentelemetry warning")),
    info: noop,
    debug: noop,
    verbose: noop,
  };
}

/** Sets only defined primitive fields, so no attribute object is allocated per call. */
function setFields(span: ApiSpan, fields: Fields): void {
  for (const key in fields) {
    const v = fields[key];
    if (v !== undefined) span.setAttribute(key, v);
  }
}

class OtelSpanHandle implements SpanHandle {
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

  traceparent(): string | undefined {
    const sc = this.span.spanContext();
    return isSpanContextValid(sc) ? formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags) : undefined;
  }

  end(endTimeMs?: number): void {
    this.span.end(endTimeMs);
  }
}

/** Handle for a span the sampler would drop: records nothing, propagates its parent as is. */
class UnsampledHandle implements SpanHandle {
  constructor(private readonly parent: string | undefined) {}
  setAttributes(): void {}
  recordError(): void {}
  traceparent(): string | undefined {
    return this.parent;
  }
  end(): void {}
}

/** The unsampled root: nothing to propagate, so later work opens no spans for it. */
const UNSAMPLED_ROOT = new UnsampledHandle(undefined);

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/** Builds the tracer provider, processors and the facade Tracing implementation. */
export function createTracing(cfg: TelemetryConfig, opts: TracingOptions): TracingBackend {
  const traceStore = opts.traceStore ?? new TraceStore();
  const { metrics, log } = opts;
  const processors: SpanProcessor[] = [traceStore];

  if (cfg.otlpEndpoint !== undefined) {
    const x = opts.export ?? {};
    const maxQueueSize = x.maxQueueSize ?? 2048;
    const exportTimeoutMillis = x.exportTimeoutMillis ?? 3000;
    const otlp = new OTLPTraceExporter({
      url: tracesUrl(cfg.otlpEndpoint),
      // Slightly under the batch deadline so the exporter reports its own timeout first.
      timeoutMillis: Math.max(100, exportTimeoutMillis - 250),
      concurrencyLimit: x.concurrencyLimit ?? 4,
    });
    const queued = new QueueCount();
    const exporter = new CountingExporter(
      otlp,
      (n) => queued.release(n),
      (n, result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          metrics.spansExported(n);
          return;
        }
        metrics.spansDropped("export_failed", n);
        const error = result.error?.message ?? "unknown";
        quiet(() => log.warnLimited("otlp_export_failed", { spans: n, error }, "span export failed; spans dropped"));
      },
    );
    const batch = new BatchSpanProcessor(exporter, {
      maxQueueSize,
      maxExportBatchSize: Math.min(x.maxExportBatchSize ?? 512, maxQueueSize),
      scheduledDelayMillis: x.scheduledDelayMillis ?? 1000,
      exportTimeoutMillis,
    });
    processors.push(new GatedProcessor(batch, queued, maxQueueSize, (n) => {
      metrics.spansDropped("queue_full", n);
      quiet(() => log.warnLimited("otlp_queue_full", { max_queue_size: maxQueueSize }, "span export queue full; spans dropped"));
    }));
  }

  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME, zone: cfg.zone, shard: cfg.shard }),
    // Head sampling is ParentBased(ratio): children follow their parent, and a root is kept
    // with probability traceSample. The root's ratio draw happens in skip() below, which every
    // span passes before the SDK sees it, so the SDK's own root sampler must keep what
    // reaches it (a second ratio draw here would sample roots at traceSample squared).
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: processors,
  });
  const tracer = provider.getTracer(SERVICE_NAME);

  // A global context manager is what makes context.with() / trace.getActiveSpan() work for the
  // logger mixin. Register only if none is, and release it on shutdown so re-init works (tests).
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  const ownsContext = context.setGlobalContextManager(contextManager);
  if (!ownsContext) contextManager.disable();
  diag.setLogger(diagToLog(log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });

  const base: Attributes = Object.freeze({ zone: cfg.zone, shard: cfg.shard });

  /** The parent context: a valid remote traceparent, else the active context (invalid ones counted). */
  const parentContext = (parent: string | undefined): Context => {
    const active = context.active();
    if (parent === undefined || parent === "") return active;
    const sc = parent.length <= MAX_TRACEPARENT ? parseTraceParent(parent) : null;
    if (sc === null) {
      metrics.traceParentInvalid();
      return active;
    }
    return trace.setSpanContext(active, { ...sc, isRemote: true });
  };

  const start = (name: SpanName, fields: Fields, parent: string | undefined, startTime?: number): [ApiSpan, Context] => {
    const ctx = parentContext(parent);
    const span = tracer.startSpan(name, { attributes: base, startTime }, ctx);
    if (span.isRecording()) setFields(span, fields);
    return [span, ctx];
  };

  /**
   * Decides, before any SDK work, the spans ParentBased(TraceIdRatio) would never record: a
   * root span that loses the ratio draw, or a child of a valid parent whose sampled flag is
   * off. Those get an inert handle that passes the parent's traceparent on unchanged (W3C
   * propagation of an unsampled trace), so the hot paths that open spans every tick cost a
   * draw or a parse instead of a span, a context and an id. Returns null when a real span
   * must be started (the sampler then decides as configured).
   */
  const skip = (parent: string | undefined): SpanHandle | null => {
    if (parent === undefined || parent === "") {
      // A root only when no span is active (children of a live span follow their parent).
      if (trace.getSpan(context.active()) !== undefined) return null;
      return Math.random() < cfg.traceSample ? null : UNSAMPLED_ROOT;
    }
    const sc = parent.length <= MAX_TRACEPARENT ? parseTraceParent(parent) : null;
    if (sc === null || (sc.traceFlags & TraceFlags.SAMPLED) !== 0) return null;
    return new UnsampledHandle(parent);
  };

  const tracing: Tracing = {
    withSpan<T>(name: SpanName, fields: Fields, fn: (span: SpanHandle) => T, parent?: string): T {
      const unsampled = skip(parent);
      if (unsampled !== null) return fn(unsampled);
      const [span, ctx] = start(name, fields, parent);
      const handle = new OtelSpanHandle(span);
      return context.with(trace.setSpan(ctx, span), () => {
        let result: T;
        try {
          result = fn(handle);
        } catch (err) {
          handle.recordError(err);
          span.end();
          throw err;
        }
        if (isThenable(result)) {
          return Promise.resolve(result).then(
            (v) => {
              span.end();
              return v;
            },
            (err: unknown) => {
              handle.recordError(err);
              span.end();
              throw err;
            },
          ) as T;
        }
        span.end();
        return result;
      });
    },
    startSpan(name, fields, parent, startTimeMs) {
      return skip(parent) ?? new OtelSpanHandle(start(name, fields, parent, startTimeMs)[0]);
    },
  };

  let stopped: Promise<void> | undefined;
  return {
    tracing,
    provider,
    traceStore,
    async forceFlush(timeoutMs) {
      await Promise.race([provider.forceFlush().catch(() => {}), deadline(timeoutMs)]);
    },
    shutdown(timeoutMs) {
      stopped ??= (async () => {
        // A dead collector cannot hold shutdown past the deadline; its requests end on their own timeout.
        await Promise.race([
          (async () => {
            await provider.forceFlush().catch(() => {});
            await provider.shutdown().catch(() => {});
          })(),
          deadline(timeoutMs),
        ]);
        if (ownsContext) context.disable();
        diag.disable();
      })();
      return stopped;
    },
  };
}
