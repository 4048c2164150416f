/**
 * Span export to an OTLP/HTTP collector that never blocks the caller: spans go through a
 * bounded gate in front of the BatchSpanProcessor (which would otherwise drop silently), so
 * queue-full drops and failed exports are counted and warned about at a limited rate.
 */
import { ROOT_CONTEXT, TraceFlags, context } from "@opentelemetry/api";
import type { Context } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { tracesUrl } from "../http/forward.ts";
import type { OtlpProtocol } from "./config.ts";
import type { Log } from "./facade.ts";
import type { InternalMetrics } from "./metrics.ts";

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
export function quiet(fn: () => void): void {
  context.with(ROOT_CONTEXT, fn);
}

/**
 * The processor that exports to `endpoint` (an OTLP/HTTP base URL) through the gate, counting
 * what happens to each span, encoded as `protocol` says. The OTLP exporter (some 200 modules
 * with its transformer) is loaded here, only when an endpoint is set: a server without one
 * never loads it. The protobuf encoding writes each span straight into bytes; the JSON one
 * first builds an object per span, attribute and id, then stringifies it (about 8,000 more
 * instructions a span in `npm run bench:telemetry` at ratio 1.0, of some 80,000).
 */
export async function otlpProcessor(endpoint: string, protocol: OtlpProtocol, x: ExportOptions, metrics: InternalMetrics, log: Log): Promise<SpanProcessor> {
  const { OTLPTraceExporter } = protocol === "http/json" ? await import("@opentelemetry/exporter-trace-otlp-http") : await import("@opentelemetry/exporter-trace-otlp-proto");
  const maxQueueSize = x.maxQueueSize ?? 2048;
  const exportTimeoutMillis = x.exportTimeoutMillis ?? 3000;
  const otlp = new OTLPTraceExporter({
    url: tracesUrl(endpoint),
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
  return new GatedProcessor(batch, queued, maxQueueSize, (n) => {
    metrics.spansDropped("queue_full", n);
    quiet(() => log.warnLimited("otlp_queue_full", { max_queue_size: maxQueueSize }, "span export queue full; spans dropped"));
  });
}
