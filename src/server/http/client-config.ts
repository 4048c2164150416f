// GET /telemetry/v1/config on the game port: what a consenting client may send (ingest on or
// off, the trace sampling ratio, where crash reports go). The shape is the shared schema's
// (shared/telemetry/client-config.ts), so the server builds exactly what the client parses.
import type { ClientTelemetryConfig } from "../../shared/telemetry/client-config.ts";
import { CLIENT_CONFIG_OFF, CLIENT_CONFIG_PATH, PLACEHOLDER_SENTRY_DSN } from "../../shared/telemetry/client-config.ts";
import { sendJson } from "./respond.ts";
import { pathOf } from "./routes.ts";
import type { HttpRoute } from "./routes.ts";

/** What the server's client config answer is built from. */
export interface ClientConfigSource {
  traceSampleRatio: number;
  /** Public DSN for browsers; undefined means crashes stay in the local inbox (placeholder DSN). */
  sentryDsn: string | undefined;
  sentrySampleRate?: number;
  environment: string;
  build: string;
}

/** Builds the GET /telemetry/v1/config answer. */
function buildClientConfig(enabled: boolean, src: ClientConfigSource): ClientTelemetryConfig {
  if (!enabled) return CLIENT_CONFIG_OFF;
  return {
    v: 1,
    ingest: true,
    trace_sample_ratio: src.traceSampleRatio,
    sentry: { dsn: src.sentryDsn ?? PLACEHOLDER_SENTRY_DSN, sample_rate: src.sentrySampleRate ?? 1, environment: src.environment },
    build: src.build,
  };
}

/** The config route (answers at once, never a promise); `enabled` and `config` are read per request. */
export function clientConfigRoute(enabled: () => boolean, config: () => ClientConfigSource): (...args: Parameters<HttpRoute>) => boolean {
  return (req, res) => {
    if (pathOf(req) !== CLIENT_CONFIG_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });
      return true;
    }
    sendJson(res, 200, buildClientConfig(enabled(), config()), {}, req.method === "HEAD");
    return true;
  };
}
