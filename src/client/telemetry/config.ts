// Fetches the server's client-telemetry config, once per page load, and only after a consent
// has been granted: before that, not even this request may leave the page.

import type { ClientTelemetryConfig } from "../../shared/telemetry/client-config.ts";
import { CLIENT_CONFIG_OFF, parseClientConfig } from "../../shared/telemetry/client-config.ts";

export type ConfigFetch = (url: string, init: RequestInit) => Promise<Pick<Response, "status" | "json">>;

/** Loads the config lazily and caches it; a failed load (network, 5xx) is retried on the next call. */
export class ClientConfigLoader {
  private cached: Promise<ClientTelemetryConfig> | null = null;

  constructor(
    private readonly url: string,
    private readonly fetchFn: ConfigFetch,
  ) {}

  /** The config; "off" when the server says so, answers badly, or cannot be reached. */
  load(): Promise<ClientTelemetryConfig> {
    if (!this.cached) {
      this.cached = this.fetchOnce().then(({ config, transient }) => {
        if (transient) this.cached = null;
        return config;
      });
    }
    return this.cached;
  }

  private async fetchOnce(): Promise<{ config: ClientTelemetryConfig; transient: boolean }> {
    try {
      const res = await this.fetchFn(this.url, { method: "GET", credentials: "omit", cache: "no-store" });
      if (res.status === 200) return { config: parseClientConfig(await res.json()), transient: false };
      return { config: CLIENT_CONFIG_OFF, transient: res.status >= 500 || res.status === 429 };
    } catch {
      return { config: CLIENT_CONFIG_OFF, transient: true };
    }
  }
}
