/**
 * The metrics listener: a node:http server separate from the game port, serving
 * GET /metrics (Prometheus text), /debug/tracez (recent sampled traces, JSON or HTML),
 * /debug/crashes (the crash inbox) and /debug/world (the zone's log position and world checksum,
 * computed on each request, to compare a world before and after a restart). It binds to loopback by default because the debug pages
 * show trace attributes (session/impact ids); expose it only to the scrape network. It is
 * guarded like the game port (net/listener-guard.ts): short deadlines, small connection caps,
 * and every socket, request and response error counted with listener="metrics".
 *
 * With `crashTrigger` (DEV_CRASH_TRIGGER, refused in production) it also answers
 * POST /debug/crash?origin=uncaught_exception|unhandled_rejection by throwing an error nothing
 * catches, so the fatal-exit path can be proven end to end.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sendJson } from "../http/respond.ts";
import type { HttpRoute } from "../http/routes.ts";
import { httpServerOptions, ListenerGuard } from "../net/listener-guard.ts";
import type { ListenerLimits } from "../net/listener-guard.ts";
import type { HostPort } from "./config.ts";
import { formatHostPort } from "./config.ts";
import type { Log, Metrics } from "./facade.ts";
import { metricsRoutes } from "./metrics-routes.ts";
import type { MetricsRouteSources, WorldReport, WorldReportHolder } from "./metrics-routes.ts";

export type { WorldReport } from "./metrics-routes.ts";

export interface MetricsServerOptions extends MetricsRouteSources {
  readonly addr: HostPort;
  readonly log?: Log;
  /** Extra routes tried first (the development fault switch); each returns true when it answered. */
  readonly routes?: readonly HttpRoute[];
  /** Where the listener's own socket errors, refusals and open connections are counted. */
  readonly metrics?: Pick<Metrics, "socketError" | "connectionRefused" | "connectionsOpen">;
}

/**
 * Scrapes and debug pages are small and come from one Prometheus and a few operators' tools,
 * usually all from one address: short deadlines so no client can hold this listener's sockets,
 * and caps that bound its descriptors.
 */
export const METRICS_LISTENER_LIMITS: ListenerLimits = {
  maxConnections: 128,
  maxConnectionsPerAddress: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
};

export interface MetricsServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: HostPort;
  /** Sets what GET /debug/world reports (the game installs it once its world is loaded; 503 before). */
  setWorldReport(report: (() => WorldReport) | null): void;
  /** Base URL, e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the listener; resolves once bound (rejects with a message naming METRICS_ADDR). */
export function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const limits = METRICS_LISTENER_LIMITS;
  const server = createServer(httpServerOptions(limits));
  const noop = (): void => {};
  const guard = new ListenerGuard(server, {
    listener: "metrics",
    limits,
    fault: opts.metrics ? (stage, code) => opts.metrics?.socketError("metrics", stage, code) : noop,
    refused: opts.metrics ? (reason) => opts.metrics?.connectionRefused("metrics", reason) : noop,
    open: opts.metrics ? (n) => opts.metrics?.connectionsOpen("metrics", n) : noop,
    log: opts.log,
  });
  const world: WorldReportHolder = { report: null };
  const routes = [...(opts.routes ?? []), ...metricsRoutes({ ...opts, world })];
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const r of routes) if (await r(req, res)) return;
    sendJson(res, 404, { error: "not found" }, {}, req.method === "HEAD");
  };
  server.on("request", (req, res) => {
    guard.watch(req, res);
    if (guard.refuse(req, res)) return;
    route(req, res).catch((err: unknown) => {
      opts.log?.warnLimited("metrics_http_error", { error: err instanceof Error ? err.message : String(err) }, "metrics listener request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });

  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new Error(`METRICS_ADDR: cannot listen on ${formatHostPort(opts.addr)}: ${err.code ?? err.message}`));
    };
    server.once("error", onError);
    server.listen(opts.addr.port, opts.addr.host, () => {
      server.off("error", onError);
      const a = server.address() as AddressInfo;
      const address: HostPort = { host: a.address, port: a.port };
      let closing: Promise<void> | undefined;
      resolve({
        address,
        url: `http://${formatHostPort(address)}`,
        setWorldReport: (report) => {
          world.report = report;
        },
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
