/**
 * Server telemetry bootstrap: metrics registry + listener, pino logs, OpenTelemetry tracing,
 * optional Sentry, then installs the facade backends so game code's logger()/metrics/tracing
 * calls go live. The returned handle's shutdown() flushes spans and logs within a bound.
 */
import type { DestinationStream } from "pino";
import type { Registry } from "prom-client";
import type { TelemetryConfig } from "./config.ts";
import { describeEffectiveConfig } from "./config.ts";
import { CrashInbox } from "./crash-inbox.ts";
import type { CrashInboxOptions } from "./crash-inbox.ts";
import { installBackends } from "./facade.ts";
import type { ClientMetrics, Log, Metrics, Tracing } from "./facade.ts";
import { startMetricsServer } from "./http.ts";
import type { MetricsServer } from "./http.ts";
import type { HttpRoute } from "../http/routes.ts";
import { createLogger } from "./logger.ts";
import type { TelemetryLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import type { GameMetrics } from "./metrics.ts";
import type { ServerSentry } from "./sentry.ts";
import { TraceStore } from "./trace-store.ts";
import type { TraceStoreOptions } from "./trace-store.ts";
import { createTracing } from "./tracing.ts";
import type { ExportOptions, RemoteSampleBudget } from "./tracing.ts";

export { DEFAULT_TELEMETRY_CONFIG } from "./config.ts";
export type { TelemetryConfig } from "./config.ts";
export type { StoredCrash } from "./crash-inbox.ts";
export type { MetricsServer } from "./http.ts";
export type { TelemetryLogger } from "./logger.ts";
export type { ServerSentry } from "./sentry.ts";
export type { StoredTrace } from "./trace-store.ts";
export type { ExportOptions, RemoteSampleBudget } from "./tracing.ts";

export interface TelemetryOptions {
  /** Log sink (tests capture lines); default stdout (async, or pretty when jsonLogs is false). */
  readonly logDestination?: DestinationStream;
  /** Install the facade backends (default true). */
  readonly installFacade?: boolean;
  /** OTLP batch/export bounds. */
  readonly export?: ExportOptions;
  /** Client-sampled traces honoured per session beyond the ratio (default 5, then one per 30 s). */
  readonly remoteSampleBudget?: RemoteSampleBudget;
  readonly traceStore?: TraceStoreOptions;
  readonly crashInbox?: CrashInboxOptions;
  /** prom-client process/Node.js metrics (default true). */
  readonly processMetrics?: boolean;
  /** Upper bound for span flush during shutdown (default 5000 ms). */
  readonly shutdownTimeoutMs?: number;
  /** warnLimited budget per call site (default 1 line per 10 s). */
  readonly rateLimit?: { readonly burst: number; readonly intervalMs: number };
  /** Sentry release/environment tags (only used with a DSN). */
  readonly release?: string;
  readonly environment?: string;
  /** Let Sentry capture uncaught exceptions/rejections (default true). */
  readonly sentryCaptureUncaught?: boolean;
  /** Extra routes on the metrics listener, tried first (the development fault switch). */
  readonly metricsRoutes?: readonly HttpRoute[];
}

export interface TelemetryHandle {
  readonly config: TelemetryConfig;
  readonly logger: TelemetryLogger;
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly clientMetrics: ClientMetrics;
  readonly tracing: Tracing;
  /** Undefined when METRICS_ADDR is "off". */
  readonly metricsServer: MetricsServer | undefined;
  readonly traceStore: TraceStore;
  readonly crashInbox: CrashInbox;
  readonly sentry: ServerSentry | undefined;
  /** Sets the head-sampling ratio from now on (the trace-ratio flag); TRACE_SAMPLE is the start value. */
  setTraceSample(ratio: number): void;
  /** Exports queued spans and flushes logs (bounded). */
  forceFlush(): Promise<void>;
  /** Flushes spans (bounded), closes the listener, flushes Sentry and logs, uninstalls the facade. Idempotent. */
  shutdown(): Promise<void>;
}

/** The metrics listener, unless METRICS_ADDR is "off". */
function startListener(
  config: TelemetryConfig, m: GameMetrics, traceStore: TraceStore, crashInbox: CrashInbox, log: Log, routes?: readonly HttpRoute[],
): Promise<MetricsServer | undefined> {
  if (config.metricsAddr === "off") return Promise.resolve(undefined);
  return startMetricsServer({
    addr: config.metricsAddr,
    registry: m.registry,
    traceStore,
    crashInbox,
    log,
    routes,
    metrics: m.recorders,
    crashTrigger: config.devCrashTrigger,
  });
}

/**
 * The server's own crash reporting, when a DSN is set. The SDK (some 600 modules) is loaded only
 * then: without a DSN it would add most of a second to every start, and so to recovery.
 */
async function startSentry(config: TelemetryConfig, opts: TelemetryOptions): Promise<ServerSentry | undefined> {
  if (config.sentryDsn === undefined) return undefined;
  const { initServerSentry } = await import("./sentry.ts");
  return initServerSentry({
    dsn: config.sentryDsn,
    release: opts.release,
    environment: opts.environment,
    zone: config.zone,
    shard: config.shard,
    captureUncaught: opts.sentryCaptureUncaught,
  });
}

/** Starts all telemetry for the server process and logs the effective config once. */
export async function initTelemetry(config: TelemetryConfig, opts: TelemetryOptions = {}): Promise<TelemetryHandle> {
  const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 5000;
  const gameMetrics = createMetrics({ zone: config.zone, shard: config.shard, processMetrics: opts.processMetrics });
  const logger = createLogger(config, {
    destination: opts.logDestination,
    onDropped: (c) => gameMetrics.internal.logDropped(c),
    rateLimit: opts.rateLimit,
  });
  const telemetryLog = logger.forComponent("telemetry");
  const traceStore = new TraceStore(opts.traceStore);
  const crashInbox = new CrashInbox({ dir: config.crashDir, ...opts.crashInbox });
  const tracingBackend = await createTracing(config, {
    metrics: gameMetrics.internal,
    log: telemetryLog,
    traceStore,
    export: opts.export,
    remoteBudget: opts.remoteSampleBudget,
  });

  let metricsServer: MetricsServer | undefined;
  try {
    metricsServer = await startListener(config, gameMetrics, traceStore, crashInbox, telemetryLog, opts.metricsRoutes);
  } catch (err) {
    await tracingBackend.shutdown(1000);
    await logger.flush();
    throw err;
  }
  const sentry = await startSentry(config, opts);
  const uninstall = opts.installFacade === false
    ? () => {}
    : installBackends({
      logger: (c) => logger.forComponent(c),
      metrics: gameMetrics.recorders,
      tracing: tracingBackend.tracing,
      clientMetrics: gameMetrics.client,
    });

  const summary = describeEffectiveConfig(config);
  logger.announce("telemetry", {
    ...summary,
    metrics_addr: metricsServer === undefined ? summary.metrics_addr : metricsServer.url.replace(/^http:\/\//, ""),
    crash_dir: config.crashDir ?? "off",
  }, "telemetry configured");

  let stopping: Promise<void> | undefined;
  return {
    config,
    logger,
    registry: gameMetrics.registry,
    metrics: gameMetrics.recorders,
    clientMetrics: gameMetrics.client,
    tracing: tracingBackend.tracing,
    metricsServer,
    traceStore,
    crashInbox,
    sentry,
    setTraceSample: (ratio) => tracingBackend.setSampleRatio(ratio),
    async forceFlush() {
      await tracingBackend.forceFlush(shutdownTimeoutMs);
      await logger.flush();
    },
    shutdown() {
      stopping ??= (async () => {
        // Game code still calling in after this point hits the no-op backends.
        uninstall();
        await Promise.all([
          tracingBackend.shutdown(shutdownTimeoutMs),
          metricsServer?.close(),
          sentry?.close(Math.min(shutdownTimeoutMs, 2000)).catch(() => {}),
        ]);
        await logger.flush();
        logger.flushSync();
      })();
      return stopping;
    },
  };
}
