// Forwarding to an upstream collector (the Sentry host, the OTLP endpoint): one POST with a
// deadline. The caller counts a failed request (stage "forward"); an error while draining the
// upstream's answer goes to `onBodyError` and is counted the same way.
import { OTLP_TRACES_PATH } from "../../shared/telemetry/client-config.ts";

/** Sends bytes upstream; resolves with the status and Retry-After, rejects when the request fails. */
export type Forwarder = (url: string, body: Uint8Array, headers: Record<string, string>) => Promise<{ status: number; retryAfter?: string | null }>;

/** The default forwarder: fetch with a timeout of `timeoutMs`. */
export function fetchForwarder(timeoutMs: number, onBodyError: (err: unknown) => void = () => {}): Forwarder {
  return async (url, body, headers) => {
    // Copy into a plain ArrayBuffer-backed view (fetch's BodyInit does not take pooled Buffers).
    const res = await fetch(url, { method: "POST", body: new Uint8Array(body), headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(onBodyError);
    return { status: res.status, retryAfter: res.headers.get("retry-after") };
  };
}

/** The traces URL of an OTLP/HTTP base endpoint: `${endpoint}/v1/traces` unless it already ends so. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith(OTLP_TRACES_PATH) ? base : base + OTLP_TRACES_PATH;
}
