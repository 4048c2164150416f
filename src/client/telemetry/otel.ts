// OpenTelemetry web tracing for player commands (performance consent only). Loaded with a
// dynamic import once consent is granted, so the SDK is neither parsed nor run before that.
// A command span runs from "fire" until the server's confirmation; its W3C traceparent goes
// into the command envelope so the server continues the same trace. Spans are exported as
// OTLP/HTTP JSON to the game server's /v1/traces relay.

import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Span, Tracer } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  WebTracerProvider,
} from "@opentelemetry/sdk-trace-web";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-web";
import type { CommandOutcome, CommandTracer, TracedCommand } from "./commands.ts";
import { formatTraceparent } from "../../shared/telemetry/trace-context.ts";
import { CLIENT_SPANS } from "./commands.ts";

export interface TracingOptions {
  /** Absolute URL of the relay (the browser exporter needs an absolute URL). */
  url: string;
  sampleRatio: number;
  serviceVersion: string;
  environment: string;
  sessionId: string;
  /** Unconfirmed command spans end as "timeout" after this long (default 10 s). */
  commandTimeoutMs?: number;
  /** Open command spans kept at most (default 128): older ones end as "superseded". */
  maxOpenCommands?: number;
}

/**
 * An exporter gate: after close() it answers success without sending, so spans still queued
 * in the batch processor when consent is withdrawn are dropped rather than flushed.
 */
class GatedExporter implements SpanExporter {
  private open = true;

  constructor(private readonly inner: SpanExporter) {}

  /** Stops forwarding; spans handed over later are discarded. */
  close(): void {
    this.open = false;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (!this.open) {
      done({ code: ExportResultCode.SUCCESS });
      return;
    }
    this.inner.export(spans, done);
  }

  shutdown(): Promise<void> {
    this.open = false;
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.open ? (this.inner.forceFlush?.() ?? Promise.resolve()) : Promise.resolve();
  }
}

/** Starts tracing; returns the command tracer. */
export function startTracing(options: TracingOptions): CommandTracer {
  const exporter = new GatedExporter(
    new OTLPTraceExporter({ url: options.url, headers: {}, timeoutMillis: 10_000, concurrencyLimit: 4 }),
  );
  const provider = new WebTracerProvider({
    resource: resourceFromAttributes({
      "service.name": "voxel-shooter-client",
      "service.version": options.serviceVersion,
      "deployment.environment.name": options.environment,
      // The relay rate-limits per session: the same random per-page-load id the breadcrumbs carry.
      "session.id": options.sessionId,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        maxQueueSize: 512,
        maxExportBatchSize: 64,
        scheduledDelayMillis: 5_000,
        exportTimeoutMillis: 10_000,
      }),
    ],
  });
  return new Commands(provider.getTracer("voxel-shooter-client"), exporter, provider, options);
}

class Commands implements CommandTracer {
  private readonly open = new Map<number, { span: Span; startedAt: number }>();
  private readonly timeoutMs: number;
  private readonly maxOpen: number;
  private readonly sweep: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    private readonly tracer: Tracer,
    private readonly exporter: GatedExporter,
    private readonly provider: WebTracerProvider,
    private readonly options: TracingOptions,
  ) {
    this.timeoutMs = options.commandTimeoutMs ?? 10_000;
    this.maxOpen = options.maxOpenCommands ?? 128;
    this.sweep = setInterval(() => this.expire(performance.now()), Math.max(1_000, this.timeoutMs / 2));
  }

  begin(commandId: number, kind: TracedCommand): string {
    this.end(commandId, "superseded");
    const span = this.tracer.startSpan(CLIENT_SPANS.command, {
      kind: SpanKind.CLIENT,
      attributes: {
        [CLIENT_SPANS.attrKind]: kind,
        [CLIENT_SPANS.attrId]: commandId,
        [CLIENT_SPANS.attrSession]: this.options.sessionId,
      },
    });
    if (!this.closed) {
      this.open.set(commandId, { span, startedAt: performance.now() });
      if (this.open.size > this.maxOpen) {
        const oldest = this.open.keys().next().value;
        if (oldest !== undefined) this.end(oldest, "superseded");
      }
    }
    return formatTraceparent(span.spanContext());
  }

  end(commandId: number, outcome: CommandOutcome): void {
    const entry = this.open.get(commandId);
    if (!entry) return;
    this.open.delete(commandId);
    entry.span.setAttribute(CLIENT_SPANS.attrOutcome, outcome);
    if (outcome !== "confirmed") entry.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    entry.span.end();
  }

  async flush(): Promise<void> {
    if (!this.closed) await this.provider.forceFlush().catch(() => {});
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    this.exporter.close();
    this.open.clear();
    await this.provider.shutdown().catch(() => {});
  }

  private expire(now: number): void {
    for (const [id, e] of this.open) {
      if (now - e.startedAt < this.timeoutMs) break;
      this.end(id, "timeout");
    }
  }
}
