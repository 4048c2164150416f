/**
 * Starts the real game server in-process with its telemetry (metrics listener on a free loopback
 * port), for tests that check the deploy files against what the server really exposes.
 */
import type { DestinationStream } from "pino";
import { startServer } from "../../src/server/app.ts";
import type { ServerHandle, StartServerOptions } from "../../src/server/app.ts";
import { DEFAULT_TELEMETRY_CONFIG, initTelemetry } from "../../src/server/telemetry/index.ts";
import type { TelemetryConfig, TelemetryHandle } from "../../src/server/telemetry/index.ts";

export interface LiveServer {
  readonly server: ServerHandle;
  readonly telemetry: TelemetryHandle;
  /** http://127.0.0.1:PORT of the metrics listener. */
  readonly metricsUrl: string;
  /** Log lines written so far (JSON strings), for failure messages. */
  readonly logs: string[];
  /** GET /metrics as text. */
  scrape(): Promise<string>;
  stop(): Promise<void>;
}

/** Zone and shard the live servers run as (label values seen in every scrape). */
export const LIVE_ZONE = "z1";
export const LIVE_SHARD = "s1";

/**
 * Telemetry first (so the facade is live before the world is built), then the game on a free
 * port with a small world. `metricsPort` 0 lets the OS choose.
 */
export async function startLiveServer(
  opts: { metricsPort?: number; telemetry?: Partial<TelemetryConfig>; server?: StartServerOptions } = {},
): Promise<LiveServer> {
  const logs: string[] = [];
  const sink = { write: (s: string) => void logs.push(s) } as DestinationStream;
  const telemetry = await initTelemetry(
    {
      ...DEFAULT_TELEMETRY_CONFIG,
      metricsAddr: { host: "127.0.0.1", port: opts.metricsPort ?? 0 },
      otlpEndpoint: undefined,
      zone: LIVE_ZONE,
      shard: LIVE_SHARD,
      ...opts.telemetry,
    },
    { logDestination: sink },
  );
  let server: ServerHandle;
  try {
    server = await startServer({
      host: "127.0.0.1",
      port: 0,
      zone: LIVE_ZONE,
      shard: LIVE_SHARD,
      seed: 4242,
      chunksX: 8,
      chunksY: 4,
      chunksZ: 8,
      npcCount: 8,
      meshWorkers: 1,
      store: "memory",
      ...opts.server,
    });
  } catch (err) {
    await telemetry.shutdown();
    throw err;
  }
  const metricsUrl = telemetry.metricsServer?.url;
  if (metricsUrl === undefined) throw new Error("the metrics listener did not start");
  return {
    server,
    telemetry,
    metricsUrl,
    logs,
    scrape: async () => {
      const res = await fetch(`${metricsUrl}/metrics`);
      if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
      return res.text();
    },
    stop: async () => {
      await server.stop();
      await telemetry.shutdown();
    },
  };
}
