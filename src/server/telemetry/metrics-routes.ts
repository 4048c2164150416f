/**
 * The metrics listener's routes (http.ts serves them in this order, 404 after the last):
 *   GET /metrics         Prometheus text from the registry
 *   GET /debug/tracez    recent sampled traces, JSON or HTML (?format=html or Accept: text/html)
 *   GET /debug/crashes   the crash inbox
 *   POST /debug/crash    development only (crashTrigger): an error nothing catches
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { sendJson, sendText } from "../http/respond.ts";
import { pathOf } from "../http/routes.ts";
import type { HttpRoute } from "../http/routes.ts";
import type { CrashInbox } from "./crash-inbox.ts";
import type { TraceStore } from "./trace-store.ts";
import { renderTracezHtml } from "./tracez.ts";

/** What the routes read. */
export interface MetricsRouteSources {
  readonly registry: Registry;
  readonly traceStore: TraceStore;
  readonly crashInbox: CrashInbox;
  /** Serve the development-only POST /debug/crash. */
  readonly crashTrigger?: boolean;
  /** What GET /debug/world reports once the game has loaded its world (503 before). */
  readonly world?: WorldReportHolder;
}

/** What GET /debug/world answers: the zone, its log's durable and snapshot seqs, and the world's checksum now. */
export interface WorldReport {
  readonly zone: string;
  readonly committed_seq: number;
  readonly snapshot_seq: number;
  readonly checksum: number;
}

/** The /debug/world report, installed by the game once its world is loaded. */
export interface WorldReportHolder {
  report: (() => WorldReport) | null;
}

/** The error thrown by POST /debug/crash. */
class DevCrashError extends Error {
  override readonly name = "DevCrashError";
}

const TRACE_ID = /^[0-9a-f]{32}$/;

/** The query parameters of a request. */
function query(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  return new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
}

/** A GET/HEAD-only route at `path`: 405 for other methods, else `answer(req, res, head)`. */
function getRoute(path: string, answer: (req: IncomingMessage, res: ServerResponse, head: boolean) => void | Promise<void>): HttpRoute {
  return async (req, res) => {
    if (pathOf(req) !== path) return false;
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      sendJson(res, 405, { error: "method not allowed" }, { allow: "GET, HEAD" });
      return true;
    }
    await answer(req, res, head);
    return true;
  };
}

function wantsHtml(req: IncomingMessage, params: URLSearchParams): boolean {
  const format = params.get("format");
  if (format !== null) return format === "html";
  return (req.headers.accept ?? "").includes("text/html");
}

/** GET /debug/tracez[?trace_id=...&limit=N&format=html]. */
function tracezRoute(store: TraceStore): HttpRoute {
  return getRoute("/debug/tracez", (req, res, head) => {
    const params = query(req);
    const id = params.get("trace_id");
    const limitParam = Number(params.get("limit") ?? 50);
    const limit = Number.isInteger(limitParam) && limitParam > 0 ? limitParam : 50;
    let traces;
    if (id !== null) {
      const t = TRACE_ID.test(id) ? store.get(id) : undefined;
      if (t === undefined) return sendJson(res, 404, { error: "trace not found" }, {}, head);
      traces = [t];
    } else {
      traces = store.list(limit);
    }
    const stats = store.stats();
    if (wantsHtml(req, params)) return sendText(res, 200, "text/html; charset=utf-8", renderTracezHtml(traces, stats), {}, head);
    return sendJson(res, 200, { ...stats, traces }, {}, head);
  });
}

/** POST /debug/crash?origin=...: answers 202, then lets an error escape to the process as `origin` says. */
const crashRoute: HttpRoute = (req, res) => {
  if (pathOf(req) !== "/debug/crash") return false;
  const origin = query(req).get("origin") ?? "uncaught_exception";
  if (req.method !== "POST" || (origin !== "uncaught_exception" && origin !== "unhandled_rejection")) {
    sendJson(res, 400, { error: "POST /debug/crash?origin=uncaught_exception|unhandled_rejection" });
    return true;
  }
  sendJson(res, 202, { crashing: origin });
  const err = new DevCrashError("crash requested through /debug/crash");
  setTimeout(() => {
    if (origin === "unhandled_rejection") void Promise.reject(err);
    else throw err;
  }, 50);
  return true;
};

/** The listener's routes, in order. */
export function metricsRoutes(src: MetricsRouteSources): HttpRoute[] {
  return [
    ...(src.crashTrigger === true ? [crashRoute] : []),
    getRoute("/metrics", async (_req, res, head) => sendText(res, 200, src.registry.contentType, await src.registry.metrics(), {}, head)),
    tracezRoute(src.traceStore),
    getRoute("/debug/crashes", (_req, res, head) => sendJson(res, 200, { ...src.crashInbox.stats(), crashes: src.crashInbox.list() }, {}, head)),
    getRoute("/debug/world", (_req, res, head) => {
      const report = src.world?.report ?? null;
      if (report === null) sendJson(res, 503, { error: "no world loaded" }, {}, head);
      else sendJson(res, 200, report(), {}, head);
    }),
  ];
}
