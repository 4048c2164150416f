// The senders' lifecycle: each sender runs only while its consent is granted and the server
// accepts client telemetry, and stops the moment consent is withdrawn:
//   performance consent -> breadcrumb batches + OpenTelemetry command traces,
//   crash consent       -> Sentry through the server's tunnel.
// Before any consent nothing is requested from a telemetry endpoint, not even the config. The
// OpenTelemetry and Sentry modules are loaded on first use only.
import type { ClientTelemetryConfig } from "../../shared/telemetry/client-config.ts";
import { BREADCRUMBS_PATH, CLIENT_CONFIG_PATH, OTLP_TRACES_PATH, SENTRY_TUNNEL_PATH } from "../../shared/telemetry/client-config.ts";
import { ClientConfigLoader } from "./config.ts";
import type { ConfigFetch } from "./config.ts";
import type { ConsentChannel } from "./consent.ts";
import type { Senders, TelemetryContext, TelemetryFeature } from "./context.ts";
import { BreadcrumbBatcher } from "./transport.ts";
import type { FetchLike } from "./transport.ts";

export const senders: TelemetryFeature = {
  name: "senders",
  install(ctx) {
    const lifecycle = new SenderLifecycle(ctx);
    const unsubscribe = ctx.consent.subscribe((channel, _prev, next) => lifecycle.consentChanged(channel, next === "granted"));
    void lifecycle.reconcile();
    return () => {
      unsubscribe();
      lifecycle.dispose();
    };
  },
};

/** What the senders are doing, in a few words (the dev overlay's "sending" figure). */
export function deliveryState(s: Readonly<Senders>): string {
  if (s.serverOff) return "server off";
  const parts: string[] = [];
  if (s.batcher) {
    const b = s.batcher.stats;
    parts.push(`crumbs ${b.sentBatches} sent/${b.queued} queued/${b.stored} stored/${b.dropped} dropped`);
  }
  if (s.tracer) parts.push("traces");
  if (s.crash) parts.push("crashes");
  return parts.length ? parts.join(", ") : "off";
}

/** Starts and stops the senders in ctx.senders as consent and the server config say. */
class SenderLifecycle {
  private readonly config: ClientConfigLoader;
  private starting = false;
  /** A consent change arrived during a start: reconcile again once it is done. */
  private again = false;
  private disposed = false;

  constructor(private readonly ctx: TelemetryContext) {
    this.config = new ClientConfigLoader(CLIENT_CONFIG_PATH, ctx.fetch as ConfigFetch);
  }

  /** A consent switch moved. Withdrawal is handled synchronously, before set() returns to the UI. */
  consentChanged(channel: ConsentChannel, granted: boolean): void {
    if (!granted) {
      if (channel === "performance") {
        this.stopPerformance();
        this.ctx.pending.clear();
      } else this.stopCrash();
    }
    void this.reconcile();
  }

  /** Brings the senders in line with consent and the server config. */
  async reconcile(): Promise<void> {
    const { consent, senders } = this.ctx;
    if (!consent.granted("performance")) this.stopPerformance();
    if (!consent.granted("crash")) this.stopCrash();
    if (this.disposed || senders.serverOff) return;
    if (!consent.granted("performance") && !consent.granted("crash")) return;
    if (this.starting) {
      // Re-run once the start in progress has finished, with the consent as it is then.
      this.again = true;
      return;
    }
    this.starting = true;
    try {
      const cfg = await this.config.load();
      if (this.disposed) return;
      if (!cfg.ingest) {
        senders.serverOff = true;
        return;
      }
      if (consent.granted("performance")) await this.startPerformance(cfg);
      if (consent.granted("crash")) await this.startCrash(cfg);
    } catch {
      // A failed dynamic import (offline, new deploy) leaves that sender off; the next consent change retries.
    } finally {
      this.starting = false;
    }
    if (this.again && !this.disposed) {
      this.again = false;
      void this.reconcile();
    }
  }

  /** Stops every sender at once and starts nothing more. */
  dispose(): void {
    this.disposed = true;
    this.stopPerformance();
    this.stopCrash();
  }

  private async startPerformance(cfg: ClientTelemetryConfig): Promise<void> {
    const { ctx } = this;
    const s = ctx.senders;
    if (!s.batcher) {
      ctx.recorders.aggregator.reset();
      if (!ctx.meta.build) ctx.meta.build = cfg.build;
      const nav = ctx.win.navigator;
      s.batcher = new BreadcrumbBatcher({
        url: BREADCRUMBS_PATH,
        meta: ctx.meta,
        collect: () => ctx.recorders.aggregator.closeWindow(),
        fetch: ctx.fetch as FetchLike,
        sendBeacon: nav.sendBeacon ? nav.sendBeacon.bind(nav) : undefined,
        pending: ctx.pending,
        intervalMs: ctx.options.flushIntervalMs,
        onIngestOff: () => {
          s.serverOff = true;
          this.stopPerformance();
          this.stopCrash();
        },
      });
      s.batcher.start();
    }
    if (!s.tracer && cfg.trace_sample_ratio > 0) {
      const { startTracing } = await import("./otel.ts");
      // Consent may have been withdrawn while the module loaded.
      if (this.disposed || !ctx.consent.granted("performance") || s.tracer) return;
      s.tracer = startTracing({
        url: new URL(OTLP_TRACES_PATH, ctx.win.location.href).href,
        sampleRatio: cfg.trace_sample_ratio,
        serviceVersion: ctx.meta.build || "unknown",
        environment: cfg.sentry?.environment ?? envMode(),
        sessionId: ctx.sessionId,
      });
    }
  }

  private async startCrash(cfg: ClientTelemetryConfig): Promise<void> {
    const { ctx } = this;
    if (ctx.senders.crash || !cfg.sentry) return;
    const { startCrashReporting } = await import("./sentry.ts");
    if (this.disposed || !ctx.consent.granted("crash") || ctx.senders.crash) return;
    const reporter = startCrashReporting({
      dsn: cfg.sentry.dsn,
      sampleRate: cfg.sentry.sample_rate,
      tunnel: SENTRY_TUNNEL_PATH,
      release: `voxel-shooter@${ctx.meta.build || cfg.build || "unknown"}`,
      environment: cfg.sentry.environment,
      gpu: ctx.meta.gpu,
    });
    ctx.senders.crash = reporter;
    ctx.recorders.gpu.setReporter((report) => reporter.captureGpu(report));
  }

  private stopPerformance(): void {
    const s = this.ctx.senders;
    s.batcher?.stop();
    s.batcher = null;
    void s.tracer?.shutdown();
    s.tracer = null;
  }

  private stopCrash(): void {
    const s = this.ctx.senders;
    this.ctx.recorders.gpu.setReporter(null);
    void s.crash?.close();
    s.crash = null;
  }
}

function envMode(): string {
  const m = import.meta.env.MODE as unknown;
  return typeof m === "string" && /^[a-z0-9._-]{1,32}$/.test(m) ? m : "production";
}
