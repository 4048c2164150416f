/**
 * OpenTelemetry backend for the facade's Tracing. Head sampling: a new root and a remote parent
 * are decided by TraceIdRatioBased on the trace id (the same function the browser uses, so
 * both sides agree; the ratio is TRACE_SAMPLE, or the trace-ratio flag once it names one; the
 * rare flags.evaluate root is always kept); a remote parent's own sampled flag is honoured
 * only within a per-session budget, since a client could otherwise trace every command it
 * sends; a local parent is followed. A synchronous-first context manager (context.ts) so logs
 * see the active span, the in-memory TraceStore always, and OTLP/HTTP export when an endpoint
 * is set. Export never blocks the caller: spans go through a bounded gate in front of the
 * BatchSpanProcessor (which would otherwise drop silently), so queue-full drops and failed
 * exports are counted and warned about at a limited rate.
 */
import { DiagLogLevel, ROOT_CONTEXT, SpanStatusCode, TraceFlags, context, diag, trace } from "@opentelemetry/api";
import type { Attributes, Context, DiagLogger, Span as ApiSpan } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  AlwaysOnSampler,
  RandomIdGenerator,
} from "@opentelemetry/sdk-trace-base";
import type { IdGenerator, ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { SERVICE_NAME, SPAN_NAMES } from "../../shared/telemetry/names.ts";
import type { SpanName } from "../../shared/telemetry/names.ts";
import { SAMPLED_FLAG, isSampled, parseTraceparent, ratioUpperBound, sampledByRatio } from "../../shared/telemetry/trace-context.ts";
import type { TraceContext } from "../../shared/telemetry/trace-context.ts";
import type { TelemetryConfig } from "./config.ts";
import { isAsyncFunction, SyncFirstContextManager } from "./context.ts";
import type { Fields, Log, SpanHandle, Tracing } from "./facade.ts";
import type { InternalMetrics } from "./metrics.ts";
import { KeyedTokenBuckets } from "./rate-limit.ts";
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
  /**
   * Development fault injection (FAULTS=1): while it returns true, each batch fails without
   * being sent and is counted as export_failed, as if the collector were down.
   */
  readonly failExport?: () => boolean;
}

/**
 * How many commands per session may be traced on the client's word alone (its sampled flag)
 * beyond what the ratio samples anyway: a token bucket per session id.
 */
export interface RemoteSampleBudget {
  readonly burst: number;
  /** One more trace per this many ms. */
  readonly refillMs: number;
  /** Sessions remembered (least recently used forgotten). */
  readonly maxSessions: number;
}

export const DEFAULT_REMOTE_SAMPLE_BUDGET: RemoteSampleBudget = { burst: 5, refillMs: 30_000, maxSessions: 10_000 };

export interface TracingOptions {
  readonly metrics: InternalMetrics;
  readonly remoteBudget?: RemoteSampleBudget;
  readonly now?: () => number;
  /** The telemetry component's logger, for rate-limited export warnings. */
  readonly log: Log;
  readonly traceStore?: TraceStore;
  readonly export?: ExportOptions;
}

export interface TracingBackend {
  readonly tracing: Tracing;
  /** Changes the head-sampling ratio of new roots and remote parents from now on (the trace-ratio flag). */
  setSampleRatio(ratio: number): void;
  readonly provider: BasicTracerProvider;
  readonly traceStore: TraceStore;
  /** Exports what is queued, bounded by timeoutMs. */
  forceFlush(timeoutMs: number): Promise<void>;
  /** Flushes and stops the provider within timeoutMs, then releases the global context manager. */
  shutdown(timeoutMs: number): Promise<void>;
}

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

/**
 * Trace ids for new roots: skip() draws the id first (the ratio decision is a function of it)
 * and hands it to the SDK through `next` for the span it then starts.
 */
class PresetIdGenerator implements IdGenerator {
  next: string | undefined = undefined;
  readonly random = new RandomIdGenerator();

  generateTraceId(): string {
    const id = this.next;
    this.next = undefined;
    return id ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}

/** Wraps the OTLP exporter to count exported and failed spans and to tell the gate when spans leave the queue. */
class CountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly onHandOff: (n: number) => void,
    private readonly onResult: (n: number, result: ExportResult) => void,
    private readonly fail: (() => boolean) | undefined,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.onHandOff(spans.length);
    if (this.fail?.() === true) {
      const result: ExportResult = { code: ExportResultCode.FAILED, error: new Error("export dropped by fault injection") };
      this.onResult(spans.length, result);
      resultCallback(result);
      return;
    }
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

/** Handle for a span the sampler would drop: records nothing, hands its children an unsampled parent. */
class UnsampledHandle implements SpanHandle {
  constructor(private readonly parent: TraceContext | undefined) {}
  setAttributes(): void {}
  recordError(): void {}
  context(): TraceContext | undefined {
    return this.parent;
  }
  end(): void {}
}

/**
 * Roots recorded whatever the ratio: rare and worth keeping. A flag evaluation happens once at
 * start and once per flags.json change, and its span carries the feature_flag.* events.
 */
const ALWAYS_RECORDED: ReadonlySet<SpanName> = new Set<SpanName>([SPAN_NAMES.flagsEvaluate]);

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
      x.failExport,
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

  const ids = new PresetIdGenerator();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME, zone: cfg.zone, shard: cfg.shard }),
    // Every sampling decision is made in skip() below, before the SDK sees a span: whatever
    // reaches the SDK is to be recorded, except a child of a local span that was not.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: processors,
    idGenerator: ids,
  });
  const tracer = provider.getTracer(SERVICE_NAME);

  // A global context manager is what makes context.with() / trace.getActiveSpan() work for the
  // logger mixin. Register only if none is, and release it on shutdown so re-init works (tests).
  // Synchronous first: see context.ts for why not AsyncLocalStorage throughout.
  const contextManager = new SyncFirstContextManager();
  contextManager.enable();
  const ownsContext = context.setGlobalContextManager(contextManager);
  if (!ownsContext) contextManager.disable();
  diag.setLogger(diagToLog(log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });

  const base: Attributes = Object.freeze({ zone: cfg.zone, shard: cfg.shard });
  let upperBound = ratioUpperBound(cfg.traceSample);
  const budget = opts.remoteBudget ?? DEFAULT_REMOTE_SAMPLE_BUDGET;
  const remoteBudget = new KeyedTokenBuckets(budget.burst, budget.refillMs, budget.maxSessions, opts.now ?? Date.now);

  /** The parent context: the given one (an explicit parent) or the active context. */
  const parentContext = (parent: TraceContext | undefined): Context => {
    const active = context.active();
    if (parent === undefined) return active;
    return trace.setSpanContext(active, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags, isRemote: parent.isRemote });
  };

  const start = (name: SpanName, fields: Fields, parent: TraceContext | undefined, startTime?: number): [ApiSpan, Context] => {
    const ctx = parentContext(parent);
    const span = tracer.startSpan(name, { attributes: base, startTime }, ctx);
    if (span.isRecording()) setFields(span, fields);
    return [span, ctx];
  };

  /**
   * The head-sampling policy, decided before any SDK work; returns an inert handle for a span
   * not to record, or null when a real span must be started (`parent` may come back with its
   * sampled flag set: see below).
   * - No parent and no active span (a new root): TraceIdRatioBased on a freshly drawn trace id,
   *   which the SDK then uses for the span.
   * - A remote parent (from a client): sampled when the ratio samples its trace id (the
   *   browser's sampler decides the same way), or when the client flagged it sampled and its
   *   session still has budget. Otherwise its children get it back unsampled.
   * - A local parent: followed (an unsampled one passes on unchanged).
   * The hot paths that open spans every tick thus cost a hash or a flag test, not a span.
   */
  const skip = (name: SpanName, parent: TraceContext | undefined, fields: Fields): SpanHandle | null => {
    if (parent === undefined) {
      // A root only when no span is active (children of a live span follow their parent).
      if (trace.getSpan(context.active()) !== undefined) return null;
      const traceId = ids.random.generateTraceId();
      if (!sampledByRatio(traceId, upperBound) && !ALWAYS_RECORDED.has(name)) return UNSAMPLED_ROOT;
      ids.next = traceId;
      return null;
    }
    if (!parent.isRemote) return isSampled(parent) ? null : new UnsampledHandle(parent);
    if (sampledByRatio(parent.traceId, upperBound)) return null;
    if (isSampled(parent)) {
      const session = typeof fields.session_id === "string" ? fields.session_id : "";
      if (remoteBudget.take(session) === 0) return null;
    }
    return new UnsampledHandle({ traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags & ~SAMPLED_FLAG, isRemote: false });
  };

  /** A remote parent the policy kept is recorded whatever its flag said (the SDK follows flags). */
  const kept = (parent: TraceContext | undefined): TraceContext | undefined =>
    parent === undefined || !parent.isRemote || isSampled(parent) ? parent : { ...parent, traceFlags: parent.traceFlags | SAMPLED_FLAG };

  const tracing: Tracing = {
    extract(traceparent) {
      if (traceparent === undefined || traceparent === null) return undefined;
      const parsed = parseTraceparent(traceparent);
      if (parsed.ok) return parsed.value;
      metrics.traceParentInvalid(parsed.reason);
      return undefined;
    },
    withSpan<T>(name: SpanName, fields: Fields, fn: (span: SpanHandle) => T, parent?: TraceContext): T {
      const unsampled = skip(name, parent, fields);
      if (unsampled !== null) return fn(unsampled);
      const [span, ctx] = start(name, fields, kept(parent));
      const handle = new OtelSpanHandle(span);
      const active = trace.setSpan(ctx, span);
      const ended = <V>(v: V): V => {
        span.end();
        return v;
      };
      const failed = (err: unknown): never => {
        handle.recordError(err);
        span.end();
        throw err;
      };
      // An async function keeps the span active across its awaits (context.ts); anything else
      // has it for its synchronous run, and a promise it returns still ends the span on settling.
      if (isAsyncFunction(fn)) return context.with(active, async () => fn(handle)).then(ended, failed) as T;
      return context.with(active, () => {
        let result: T;
        try {
          result = fn(handle);
        } catch (err) {
          return failed(err);
        }
        return isThenable(result) ? (Promise.resolve(result).then(ended, failed) as T) : ended(result);
      });
    },
    startSpan(name, fields, parent, startTimeMs) {
      return skip(name, parent, fields) ?? new OtelSpanHandle(start(name, fields, kept(parent), startTimeMs)[0]);
    },
  };

  let stopped: Promise<void> | undefined;
  return {
    tracing,
    setSampleRatio(ratio) {
      upperBound = ratioUpperBound(ratio);
    },
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
