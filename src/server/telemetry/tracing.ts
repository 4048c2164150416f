/**
 * OpenTelemetry backend for the facade's Tracing, wired from its parts: head sampling
 * (head-sampler.ts), the facade's span calls (otel-tracing.ts), the in-memory TraceStore always
 * and OTLP/HTTP export when an endpoint is set (span-export.ts), and a synchronous-first
 * context manager (context.ts) so logs see the active span. OpenTelemetry's own diagnostics go to our
 * logger at a limited rate.
 */
import { DiagLogLevel, context, diag } from "@opentelemetry/api";
import type { DiagLogger } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, BasicTracerProvider, ParentBasedSampler } from "@opentelemetry/sdk-trace-base";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { SERVICE_NAME } from "../../shared/telemetry/names.ts";
import type { TelemetryConfig } from "./config.ts";
import { SyncFirstContextManager } from "./context.ts";
import type { Log, Tracing } from "./facade.ts";
import { HeadSampler } from "./head-sampler.ts";
import type { RemoteSampleBudget } from "./head-sampler.ts";
import type { InternalMetrics } from "./metrics.ts";
import { otelTracing } from "./otel-tracing.ts";
import { otlpProcessor, quiet } from "./span-export.ts";
import type { ExportOptions } from "./span-export.ts";
import { TraceStore } from "./trace-store.ts";

export type { RemoteSampleBudget } from "./head-sampler.ts";
export type { ExportOptions } from "./span-export.ts";

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

/**
 * Registers a global context manager (what makes context.with() / trace.getActiveSpan() work
 * for the logger mixin) if none is; returns whether this one owns it, to release on shutdown
 * so re-init works (tests).
 */
function registerContextManager(): boolean {
  // Synchronous first: see context.ts for why not AsyncLocalStorage throughout.
  const contextManager = new SyncFirstContextManager();
  contextManager.enable();
  const owns = context.setGlobalContextManager(contextManager);
  if (!owns) contextManager.disable();
  return owns;
}

/** Builds the tracer provider, processors (the OTLP exporter only with an endpoint) and the facade Tracing implementation. */
export async function createTracing(cfg: TelemetryConfig, opts: TracingOptions): Promise<TracingBackend> {
  const traceStore = opts.traceStore ?? new TraceStore();
  const processors: SpanProcessor[] = [traceStore];
  if (cfg.otlpEndpoint !== undefined) processors.push(await otlpProcessor(cfg.otlpEndpoint, cfg.otlpProtocol, opts.export ?? {}, opts.metrics, opts.log));
  const sampler = new HeadSampler(cfg.traceSample, opts.remoteBudget, opts.now);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME, zone: cfg.zone, shard: cfg.shard }),
    // Every sampling decision is made by the head sampler before the SDK sees a span: whatever
    // reaches the SDK is to be recorded, except a child of a local span that was not.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: processors,
    idGenerator: sampler.ids,
  });
  const ownsContext = registerContextManager();
  diag.setLogger(diagToLog(opts.log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const tracing = otelTracing(provider.getTracer(SERVICE_NAME), sampler, opts.metrics, Object.freeze({ zone: cfg.zone, shard: cfg.shard }));

  let stopped: Promise<void> | undefined;
  return {
    tracing,
    setSampleRatio: (ratio) => sampler.setRatio(ratio),
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
