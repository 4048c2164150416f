// The game port's HTTP routing: an ordered list of routes, each answering or passing. Other
// features (client telemetry ingest, debug pages) add their own routes through startServer;
// the metrics listener (telemetry/http.ts) routes the same way.
import type { IncomingMessage, ServerResponse } from "node:http";

/** A route: returns true (or a promise of true) when it answered the request. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/**
 * The request path as sent, without the query string. Not decoded or normalised: a route
 * matches its exact path (the static route decodes and checks its own, see static.ts).
 */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}
