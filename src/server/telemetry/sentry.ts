/**
 * Server crash reporting with @sentry/node, only when SENTRY_DSN is set. Deliberately small:
 * errors only (no Sentry tracing, no OpenTelemetry setup — our own provider owns tracing),
 * no PII (v11 replaced `sendDefaultPii` with `dataCollection`: all collection of user info,
 * cookies, headers, bodies, query strings and local variables is off, and beforeSend strips
 * user, server name and request details as a second line),
 * no console/http breadcrumbs (they could carry client-supplied text).
 */
import * as Sentry from "@sentry/node";
import type { ErrorEvent, NodeOptions } from "@sentry/node";

type IntegrationList = Extract<NonNullable<NodeOptions["integrations"]>, readonly unknown[]>;

export interface ServerSentryOptions {
  readonly dsn: string;
  readonly release?: string;
  readonly environment?: string;
  readonly zone: string;
  readonly shard: string;
  /** Install process-level uncaught exception / unhandled rejection capture; default true. */
  readonly captureUncaught?: boolean;
}

export interface ServerSentry {
  captureException(err: unknown, tags?: Record<string, string>): void;
  /** Reports an error that is ending the process: level fatal, unhandled, `mechanism` says how it escaped. */
  captureFatal(err: unknown, mechanism: string, tags: Record<string, string>): void;
  /** Sends queued events, bounded by timeoutMs; false if it ran out of time. */
  flush(timeoutMs: number): Promise<boolean>;
  /** Flushes and disables the client. */
  close(timeoutMs: number): Promise<void>;
}

/** Removes identity and request details from an event before it leaves the process. */
export function scrubEvent(event: ErrorEvent): ErrorEvent {
  delete event.user;
  delete event.server_name;
  if (event.request !== undefined) {
    delete event.request.headers;
    delete event.request.cookies;
    delete event.request.env;
    delete event.request.data;
    delete event.request.query_string;
  }
  return event;
}

/** Initialises @sentry/node for the server process; call only when a DSN is configured. */
export function initServerSentry(opts: ServerSentryOptions): ServerSentry {
  const integrations: IntegrationList = [
    Sentry.eventFiltersIntegration(),
    Sentry.functionToStringIntegration(),
    Sentry.linkedErrorsIntegration(),
    Sentry.dedupeIntegration(),
    Sentry.contextLinesIntegration(),
    Sentry.nodeContextIntegration(),
  ];
  if (opts.captureUncaught !== false) {
    integrations.push(Sentry.onUncaughtExceptionIntegration(), Sentry.onUnhandledRejectionIntegration());
  }
  const client = Sentry.initWithoutDefaultIntegrations({
    dsn: opts.dsn,
    release: opts.release,
    environment: opts.environment,
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      stackFrameVariables: false,
    },
    sendClientReports: false,
    enableOpenTelemetrySetup: false,
    // Framework channel injection rewrites modules at load; we use none of those integrations.
    enableRuntimeChannelInjection: false,
    integrations,
    initialScope: { tags: { zone: opts.zone, shard: opts.shard } },
    beforeSend: (event) => scrubEvent(event),
    beforeBreadcrumb: (crumb) => (crumb.category === "console" || crumb.category === "http" ? null : crumb),
  });
  return {
    captureException(err, tags) {
      Sentry.captureException(err, tags === undefined ? undefined : { tags });
    },
    captureFatal(err, mechanism, tags) {
      Sentry.withScope((scope) => {
        scope.setLevel("fatal");
        scope.setTags(tags);
        Sentry.captureException(err, { mechanism: { type: mechanism, handled: false } });
      });
    },
    flush(timeoutMs) {
      return client === undefined ? Promise.resolve(true) : Promise.resolve(client.flush(timeoutMs));
    },
    async close(timeoutMs) {
      if (client === undefined) return;
      await client.close(timeoutMs);
    },
  };
}
