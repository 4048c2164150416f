// The game port's HTTP routing: an ordered list of handlers, each answering or passing. Other
// features (client telemetry ingest, debug pages) add their own routes through startServer.
import type { IncomingMessage, ServerResponse } from "node:http";

/** A route: returns true (or a promise of true) when it answered the request. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** The request's pathname, or null when the URL cannot be parsed. */
export function pathOf(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? "/", "http://local").pathname;
  } catch {
    return null;
  }
}
