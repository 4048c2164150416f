/**
 * Server telemetry bootstrap: metrics registry + listener, pino logs, OpenTelemetry tracing,
 * optional Sentry, then installs the facade backends so game code's logger()/metrics/tracing
 * calls go live. The returned handle's shutdown() flushes spans and logs within a bound.
 */
import type { DestinationStream } from "pino";
import type { Registry } from "prom-client";
import type { TelemetryConfig } from "./config.ts";
import { describeEffectiveConfig, loadTelemetryConfig } from "./config.ts";
import { CrashInbox } from "./crash-inbox.ts";
import type { CrashInboxOptions } from "./crash-inbox.ts";
import { installBackends } from "./facade.ts";
import type { ClientMetrics, Metrics, Tracing } from "./facade.ts";
import { startMetricsServer } from "./http.ts";
import type { MetricsRoute, MetricsServer } from "./http.ts";
import { createLogger } from "./logger.ts";
import type { TelemetryLogger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { initServerSentry } from "./sentry.ts";
import type { ServerSentry } from "./sentry.ts";
import { TraceStore } from "./trace-store.ts";
import type { TraceStoreOptions } from "./trace-store.ts";
import { createTracing } from "./tracing.ts";
import type { ExportOptions, RemoteSampleBudget } from "./tracing.ts";

export { ConfigError, DEFAULT_TELEMETRY_CONFIG, describeEffectiveConfig, loadTelemetryConfig } from "./config.ts";
export type { HostPort, LogLevel, LogLevelDirectives, TelemetryConfig } from "./config.ts";
export { CrashInbox, parseEnvelope } from "./crash-inbox.ts";
export type { CrashEnvelope, CrashItem, StoredCrash } from "./crash-inbox.ts";
export type { MetricsRoute, MetricsServer } from "./http.ts";
export type { TelemetryLogger } from "./logger.ts";
export type { ServerSentry } from "./sentry.ts";
export { TraceStore } from "./trace-store.ts";
export type { StoredSpan, StoredTrace } from "./trace-store.ts";
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
  readonly metricsRoutes?: readonly MetricsRoute[];
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
  const tracingBackend = createTracing(config, {
    metrics: gameMetrics.internal,
    log: telemetryLog,
    traceStore,
    export: opts.export,
    remoteBudget: opts.remoteSampleBudget,
  });

  let metricsServer: MetricsServer | undefined;
  if (config.metricsAddr !== "off") {
    try {
      metricsServer = await startMetricsServer({
        addr: config.metricsAddr,
        registry: gameMetrics.registry,
        traceStore,
        crashInbox,
        log: telemetryLog,
        routes: opts.metricsRoutes,
        metrics: gameMetrics.recorders,
        crashTrigger: config.devCrashTrigger,
      });
    } catch (err) {
      await tracingBackend.shutdown(1000);
      await logger.flush();
      throw err;
    }
  }

  const sentry = config.sentryDsn === undefined
    ? undefined
    : initServerSentry({
      dsn: config.sentryDsn,
      release: opts.release,
      environment: opts.environment,
      zone: config.zone,
      shard: config.shard,
      captureUncaught: opts.sentryCaptureUncaught,
    });

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

/** Loads config from env/argv and starts telemetry: the one-call path for src/server/main.ts. */
export function initTelemetryFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
  opts: TelemetryOptions = {},
): Promise<TelemetryHandle> {
  return initTelemetry(loadTelemetryConfig(env, argv), opts);
}
