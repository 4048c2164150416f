// Crash reporting with @sentry/browser (crash consent only). This module is loaded with a
// dynamic import after consent, so Sentry is neither loaded nor initialised before it. All
// envelopes go through the game server's tunnel; the server forwards them to the DSN's host
// or keeps them in its local crash inbox. Withdrawing consent closes the gate first (nothing
// more leaves, even what the SDK already queued), then closes the client.

import {
  breadcrumbsIntegration,
  browserApiErrorsIntegration,
  captureException,
  captureMessage,
  close,
  dedupeIntegration,
  eventFiltersIntegration,
  functionToStringIntegration,
  globalHandlersIntegration,
  httpContextIntegration,
  init,
  linkedErrorsIntegration,
  makeFetchTransport,
} from "@sentry/browser";
import type { BrowserOptions } from "@sentry/browser";
import type { GpuErrorReport } from "./gpu-errors.ts";
import { sentryDataCollection } from "../../shared/telemetry/scrub.ts";
import { scrubBreadcrumb, scrubEvent } from "./scrub.ts";

export interface CrashReportingOptions {
  dsn: string;
  sampleRate: number;
  /** Same-origin tunnel path, "/telemetry/sentry". */
  tunnel: string;
  release: string;
  environment: string;
  /** GPU adapter tokens for the `gpu` context (already reduced to [a-z0-9.-]). */
  gpu: { vendor: string; arch: string };
}

/** What the rest of telemetry calls; every method is a no-op after close(). */
export interface CrashReporter {
  captureError(err: unknown): void;
  captureGpu(report: GpuErrorReport): void;
  /** Stops sending at once (queued envelopes are dropped), then shuts the SDK down. */
  close(): Promise<void>;
}

type TransportFactory = NonNullable<BrowserOptions["transport"]>;

/** Wraps the fetch transport so that nothing is sent once the gate is shut. */
function gatedTransport(isOpen: () => boolean): TransportFactory {
  return (options) => {
    const inner = makeFetchTransport(options);
    return {
      send: (envelope) => (isOpen() ? inner.send(envelope) : Promise.resolve({})),
      flush: (timeout) => (isOpen() ? inner.flush(timeout) : Promise.resolve(true)),
    };
  };
}

/** Initialises Sentry for this page (call only with crash consent). */
export function startCrashReporting(options: CrashReportingOptions): CrashReporter {
  let open = true;
  init({
    dsn: options.dsn,
    tunnel: options.tunnel,
    release: options.release,
    environment: options.environment,
    sampleRate: options.sampleRate,
    maxBreadcrumbs: 30,
    sendClientReports: false,
    // v11 collects user info, headers, cookies and query strings unless told not to.
    dataCollection: { ...sentryDataCollection(), frameContextLines: 0 },
    // An explicit list: no session tracking, console capture, culture context or DOM breadcrumbs.
    defaultIntegrations: false,
    integrations: [
      eventFiltersIntegration(),
      functionToStringIntegration(),
      browserApiErrorsIntegration(),
      breadcrumbsIntegration({ dom: false, sentry: false }),
      globalHandlersIntegration({ onerror: true, onunhandledrejection: true }),
      linkedErrorsIntegration(),
      dedupeIntegration(),
      httpContextIntegration(),
    ],
    initialScope: { contexts: { gpu: { vendor: options.gpu.vendor, arch: options.gpu.arch } } },
    beforeSend: (event) => (open ? scrubEvent(event) : null),
    beforeBreadcrumb: (crumb) => (open ? scrubBreadcrumb(crumb) : null),
    transport: gatedTransport(() => open),
  });

  return {
    captureError(err) {
      if (open) captureException(err);
    },
    captureGpu(report) {
      if (!open) return;
      const level = report.kind === "device_lost" ? "fatal" : "error";
      captureMessage(`webgpu ${report.kind}: ${report.message}`, {
        level,
        tags: { gpu_error: report.kind, gpu_site: report.site, ...(report.reason ? { device_lost_reason: report.reason } : {}) },
        fingerprint: ["webgpu", report.kind, report.site, report.message],
      });
    },
    async close() {
      if (!open) return;
      open = false;
      await close(0).catch(() => false);
    },
  };
}
