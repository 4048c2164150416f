// GET /flags/v1/client: the client-scoped part of flags.json as a flagd flag-definition
// document, for the page to evaluate in-process (src/client/flags/). Nothing about the player is
// sent or needed: the page assigns itself to variants by a random id it keeps. 404 when the
// server runs without a flag file (the page then uses its defaults).
import { pathOf } from "./routes.ts";
import type { HttpRoute } from "./routes.ts";
import { sendJson } from "./respond.ts";
import { CLIENT_FLAGS_PATH } from "../../shared/flags/definitions.ts";

/** The route; `definitions` is read per request, so a reloaded flags.json is served at once. */
export function clientFlagsRoute(definitions: () => string | null): HttpRoute {
  return (req, res) => {
    if (pathOf(req) !== CLIENT_FLAGS_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });
      return true;
    }
    const doc = definitions();
    if (doc === null) {
      sendJson(res, 404, { error: "no_flags" }, {}, req.method === "HEAD");
      return true;
    }
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(doc),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.end(req.method === "HEAD" ? undefined : doc);
    return true;
  };
}
