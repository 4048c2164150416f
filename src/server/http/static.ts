// Serves the built client (vite's dist/) through serve-static, which is `send` underneath.
// Chosen over sirv and @fastify/static: send answers conditional requests by RFC 9110 (weak
// and strong ETag lists, If-Modified-Since, If-Match -> 412, If-Range), parses Range with
// range-parser (suffix ranges, 416, several ranges -> the whole file), sends no body for HEAD,
// refuses `..` and NUL itself, and gives a read error to our callback instead of throwing:
// sirv 3 pipes a read stream without an error listener (a file removed by a rebuild while the
// server runs would end the process) and reads `bytes=-500` as the first 500 bytes.
// @fastify/static needs a Fastify server; this one is node:http with a list of routes.
// serve-static has no precompressed variants, so this file adds that part: the build writes
// `x.br` and `x.gz` beside `x` (vite-plugin-compression2), and negotiator picks one by
// Accept-Encoding; the variant is then served by serve-static like any file.
import { stat } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, resolve } from "node:path";
import { contentType } from "mime-types";
import Negotiator from "negotiator";
import serveStatic from "serve-static";
import type { HttpRoute } from "./routes.ts";
import { contentSecurityPolicy, SECURITY_HEADERS } from "./security-headers.ts";

/** Cache-Control of vite's content-hashed files (their name changes with their bytes). */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** Cache-Control of everything else (the page, icons, manifest, robots.txt): revalidate by ETag. */
const REVALIDATE = "no-cache";
/** Where vite writes hashed files (build.assetsDir). */
const HASHED_PREFIX = "/assets/";

/** Precompressed variants by content-coding, in server preference order (identity last). */
const VARIANTS = [
  { coding: "br", suffix: ".br" },
  { coding: "gzip", suffix: ".gz" },
] as const;
const CODINGS = [...VARIANTS.map((v) => v.coding), "identity"];

/** Decoded request paths we serve: URL path characters only, no `%`, `\`, NUL or controls. */
const SAFE_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;
/** Paths that may fall back to index.html: extension-less segments of word characters. */
const PAGE_ROUTE = /^(?:\/[A-Za-z0-9_-]+)*\/?$/;

/** createStaticHandler options. */
export interface StaticOptions {
  /** Called once per request refused as a bad path (400), e.g. to count it. */
  readonly onBadPath?: () => void;
  /** WebSocket origins the page may connect to besides its own (the other zones'; see contentSecurityPolicy). */
  readonly connectSources?: () => readonly string[];
}

/**
 * The static route for `root`: answers every GET and HEAD (a file, the page for page routes,
 * 400 for a malformed or traversing path, 404 for the rest), passes other methods on. Every
 * answer carries SECURITY_HEADERS. Files are looked up on each request, so a rebuilt dist/
 * is served without a restart.
 */
export function createStaticHandler(root: string, options: StaticOptions = {}): HttpRoute {
  const base = resolve(root);
  const serve = serveStatic(base, {
    index: false, dotfiles: "ignore", etag: true, lastModified: true, cacheControl: false, redirect: false, fallthrough: true,
  });
  return async function serveFile(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const extra = options.connectSources?.() ?? [];
    if (extra.length > 0) res.setHeader("Content-Security-Policy", contentSecurityPolicy(extra));
    const path = requestPath(req.url ?? "/");
    if (path === null) {
      options.onBadPath?.();
      answer(res, 400, "Bad Request: bad path\n");
      return true;
    }
    const file = await pickFile(base, path);
    if (file === null) {
      answer(res, 404, "Not Found\n");
      return true;
    }
    const variant = await pickVariant(base, file, req);
    res.setHeader("Cache-Control", file.startsWith(HASHED_PREFIX) ? IMMUTABLE : REVALIDATE);
    res.setHeader("Content-Type", contentType(extname(file)) || "application/octet-stream");
    if (variant.vary) res.setHeader("Vary", "Accept-Encoding");
    if (variant.coding !== "identity") res.setHeader("Content-Encoding", variant.coding);
    const originalUrl = req.url;
    // SAFE_PATH leaves nothing to percent-encode: serve-static decodes this back to itself.
    req.url = file + variant.suffix;
    serve(req, res, (err?: { statusCode?: unknown }) => {
      req.url = originalUrl;
      if (res.headersSent) {
        // A read error after the status line: the client sees a cut response, not a wrong one.
        res.destroy();
        return;
      }
      for (const name of ["Content-Encoding", "Content-Type", "Cache-Control", "Vary"]) res.removeHeader(name);
      // send's answers that are not a file: 416 (with its Content-Range), 412, 404 when the
      // file vanished since our stat (a rebuild); a failed read is a 500.
      const status = err === undefined ? 404 : typeof err.statusCode === "number" ? err.statusCode : 500;
      answer(res, status, `${STATUS_CODES[status] ?? "error"}\n`);
    });
    return true;
  };
}

/**
 * The decoded path of a request target, or null when it is malformed or could reach outside
 * the root: bad percent-encoding, a still-encoded `%` (double encoding), NUL, backslash,
 * control characters, `.` or `..` segments, empty segments, or an absolute-form target.
 */
export function requestPath(target: string): string | null {
  const raw = target.split(/[?#]/, 1)[0];
  if (!raw.startsWith("/")) return null;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (!SAFE_PATH.test(path)) return null;
  const segments = path.split("/");
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i];
    if (s === "." || s === "..") return null;
    if (s === "" && i < segments.length - 1) return null;
  }
  return path;
}

/** The file to serve for `path` (relative to base, with a leading slash), or null for 404. */
async function pickFile(base: string, path: string): Promise<string | null> {
  const file = path.endsWith("/") ? `${path}index.html` : path;
  if (await isFile(join(base, file))) return file;
  const pageRoute = PAGE_ROUTE.test(path) && path !== "/assets" && !path.startsWith(HASHED_PREFIX);
  return pageRoute && (await isFile(join(base, "index.html"))) ? "/index.html" : null;
}

/** The best precompressed variant of `file` the client accepts (identity when none). */
async function pickVariant(base: string, file: string, req: IncomingMessage): Promise<{ coding: string; suffix: string; vary: boolean }> {
  const present = await Promise.all(VARIANTS.map((v) => isFile(join(base, file + v.suffix))));
  const available = VARIANTS.filter((_, i) => present[i]);
  if (available.length === 0) return { coding: "identity", suffix: "", vary: false };
  // negotiator 1.x takes the server's preference for ties (its @types still describe 0.6).
  const negotiator = new Negotiator(req) as Negotiator & { encoding(available: readonly string[], opts: { preferred: readonly string[] }): string | undefined };
  const coding = negotiator.encoding([...available.map((v) => v.coding), "identity"], { preferred: CODINGS });
  const chosen = available.find((v) => v.coding === coding);
  return chosen ? { ...chosen, vary: true } : { coding: "identity", suffix: "", vary: true };
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(body);
}
