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
import type { Registry } from "prom-client";
import { httpServerOptions, ListenerGuard } from "../net/listener-guard.ts";
import type { ListenerLimits } from "../net/listener-guard.ts";
import type { HostPort } from "./config.ts";
import { formatHostPort } from "./config.ts";
import type { CrashInbox } from "./crash-inbox.ts";
import type { Log, Metrics } from "./facade.ts";
import type { TraceStore } from "./trace-store.ts";
import { renderTracezHtml } from "./tracez.ts";

export interface MetricsServerOptions {
  readonly addr: HostPort;
  readonly registry: Registry;
  readonly traceStore: TraceStore;
  readonly crashInbox: CrashInbox;
  readonly log?: Log;
  /** Where the listener's own socket errors, refusals and open connections are counted. */
  readonly metrics?: Pick<Metrics, "socketError" | "connectionRefused" | "connectionsOpen">;
  /** Serve the development-only POST /debug/crash (see the file comment). */
  readonly crashTrigger?: boolean;
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

/** The error thrown by POST /debug/crash. */
export class DevCrashError extends Error {
  override readonly name = "DevCrashError";
}

/** What GET /debug/world answers: the zone, its log's durable and snapshot seqs, and the world's checksum now. */
export interface WorldReport {
  readonly zone: string;
  readonly committed_seq: number;
  readonly snapshot_seq: number;
  readonly checksum: number;
}

export interface MetricsServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: HostPort;
  /** Sets what GET /debug/world reports (the game installs it once its world is loaded; 503 before). */
  setWorldReport(report: (() => WorldReport) | null): void;
  /** Base URL, e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value), head);
}

function wantsHtml(req: IncomingMessage, url: URL): boolean {
  const format = url.searchParams.get("format");
  if (format !== null) return format === "html";
  return (req.headers.accept ?? "").includes("text/html");
}

/** Routes one request; async only for the registry scrape. */
async function handle(req: IncomingMessage, res: ServerResponse, opts: MetricsServerOptions, world: { report: (() => WorldReport) | null }): Promise<void> {
  const url = new URL(req.url ?? "/", "http://metrics.local");
  const head = req.method === "HEAD";
  if (url.pathname === "/debug/crash" && opts.crashTrigger === true) return crash(req, res, url);
  const known = url.pathname === "/metrics" || url.pathname === "/debug/tracez" || url.pathname === "/debug/crashes" || url.pathname === "/debug/world";
  if (!known) return sendJson(res, 404, { error: "not found" }, head);
  if (req.method !== "GET" && !head) {
    res.setHeader("allow", "GET, HEAD");
    return sendJson(res, 405, { error: "method not allowed" }, false);
  }
  if (url.pathname === "/metrics") {
    const body = await opts.registry.metrics();
    return send(res, 200, opts.registry.contentType, body, head);
  }
  if (url.pathname === "/debug/world") {
    if (world.report === null) return sendJson(res, 503, { error: "no world loaded" }, head);
    return sendJson(res, 200, world.report(), head);
  }
  if (url.pathname === "/debug/tracez") {
    const id = url.searchParams.get("trace_id");
    const limitParam = Number(url.searchParams.get("limit") ?? 50);
    const limit = Number.isInteger(limitParam) && limitParam > 0 ? limitParam : 50;
    let traces;
    if (id !== null) {
      const t = TRACE_ID.test(id) ? opts.traceStore.get(id) : undefined;
      if (t === undefined) return sendJson(res, 404, { error: "trace not found" }, head);
      traces = [t];
    } else {
      traces = opts.traceStore.list(limit);
    }
    const stats = opts.traceStore.stats();
    if (wantsHtml(req, url)) return send(res, 200, "text/html; charset=utf-8", renderTracezHtml(traces, stats), head);
    return sendJson(res, 200, { ...stats, traces }, head);
  }
  return sendJson(res, 200, { ...opts.crashInbox.stats(), crashes: opts.crashInbox.list() }, head);
}

/** POST /debug/crash: answers 202, then lets an error escape to the process as `origin` says. */
function crash(req: IncomingMessage, res: ServerResponse, url: URL): void {
  const origin = url.searchParams.get("origin") ?? "uncaught_exception";
  if (req.method !== "POST" || (origin !== "uncaught_exception" && origin !== "unhandled_rejection")) {
    return sendJson(res, 400, { error: "POST /debug/crash?origin=uncaught_exception|unhandled_rejection" }, false);
  }
  sendJson(res, 202, { crashing: origin }, false);
  const err = new DevCrashError("crash requested through /debug/crash");
  setTimeout(() => {
    if (origin === "unhandled_rejection") void Promise.reject(err);
    else throw err;
  }, 50);
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
  const world: { report: (() => WorldReport) | null } = { report: null };
  server.on("request", (req, res) => {
    guard.watch(req, res);
    if (guard.refuse(req, res)) return;
    handle(req, res, opts, world).catch((err: unknown) => {
      opts.log?.warnLimited("metrics_http_error", { error: err instanceof Error ? err.message : String(err) }, "metrics listener request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" }, false);
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
