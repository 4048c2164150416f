// The static route against a real dist/-like directory on disk, over loopback HTTP. Requests
// go out through node:http with the path exactly as written (fetch would normalise `..`).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentSecurityPolicy, SECURITY_HEADERS } from "../../../src/server/http/security-headers.ts";
import { createStaticHandler, requestPath } from "../../../src/server/http/static.ts";
import { serve } from "./helpers.ts";

const PAGE = `<!doctype html><html lang="en"><head><title>t</title></head><body>${"page ".repeat(200)}</body></html>`;
const SCRIPT = `export const x = ${JSON.stringify("asset ".repeat(500))};\n`;
const SECRET = "TOP-SECRET-OUTSIDE-DIST";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let tmp: string;
let base: string;
let close: () => Promise<void>;
let badPaths = 0;

/** One request with `path` sent byte for byte. */
function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Writes `name` under dist with optional .br and .gz copies. */
function put(dist: string, name: string, content: string, variants = true): void {
  const file = join(dist, name);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, content);
  if (!variants) return;
  writeFileSync(`${file}.br`, brotliCompressSync(content));
  writeFileSync(`${file}.gz`, gzipSync(content));
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "static-test-"));
  const dist = join(tmp, "dist");
  put(dist, "index.html", PAGE);
  put(dist, "assets/index-AbC123_x.js", SCRIPT);
  put(dist, "assets/index-AbC123_x.css", "body{margin:0}\n".repeat(50));
  put(dist, "manifest.webmanifest", JSON.stringify({ name: "t", display: "fullscreen" }), false);
  put(dist, "favicon.svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`, false);
  put(dist, "icon-192.png", "\x89PNG fake", false);
  put(dist, "robots.txt", "User-agent: *\n", false);
  put(dist, "mod.wasm", "\0asm", false);
  put(dist, ".build-hash", "abc\n", false);
  // Outside the root: beside it, in a sibling whose name starts like it, and one level up.
  writeFileSync(join(tmp, "secret.txt"), SECRET);
  put(tmp, "dist-other/secret.txt", SECRET, false);
  const route = createStaticHandler(dist, { onBadPath: () => badPaths++ });
  const server = await serve(async (req, res) => route(req, res));
  base = server.url;
  close = server.close;
});

afterAll(async () => {
  await close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("precompressed files by Accept-Encoding", () => {
  it("serves brotli when accepted, preferring it over gzip at equal quality", async () => {
    const r = await get("/assets/index-AbC123_x.js", { "accept-encoding": "gzip, deflate, br" });
    expect(r.status).toBe(200);
    expect(r.headers["content-encoding"]).toBe("br");
    expect(r.headers.vary).toBe("Accept-Encoding");
    expect(r.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(Number(r.headers["content-length"])).toBe(r.body.length);
    expect(r.body.length).toBeLessThan(SCRIPT.length / 4);
    expect(brotliDecompressSync(r.body).toString()).toBe(SCRIPT);
  });

  it("serves gzip when brotli is not accepted, and identity when neither is", async () => {
    for (const ae of ["gzip", "br;q=0, gzip;q=0.5", "gzip;q=1, br;q=0.1"]) {
      const r = await get("/", { "accept-encoding": ae });
      expect(r.headers["content-encoding"], ae).toBe("gzip");
      expect(gunzipSync(r.body).toString()).toBe(PAGE);
    }
    for (const ae of [undefined, "identity", "br;q=0, gzip;q=0", "deflate"]) {
      const r = await get("/", ae === undefined ? {} : { "accept-encoding": ae });
      expect(r.headers["content-encoding"], ae).toBeUndefined();
      expect(r.headers.vary).toBe("Accept-Encoding");
      expect(r.body.toString()).toBe(PAGE);
    }
  });

  it("serves a file without copies as it is, without Vary", async () => {
    const r = await get("/robots.txt", { "accept-encoding": "br, gzip" });
    expect(r.headers["content-encoding"]).toBeUndefined();
    expect(r.headers.vary).toBeUndefined();
    expect(r.body.toString()).toBe("User-agent: *\n");
  });
});

describe("validators, ranges, HEAD, types and caching", () => {
  it("answers a matching ETag or Last-Modified with 304, per encoding", async () => {
    const first = await get("/assets/index-AbC123_x.js", { "accept-encoding": "br" });
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await get("/assets/index-AbC123_x.js", { "accept-encoding": "br", "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // The gzip copy is another representation: the brotli ETag does not match it.
    const gz = await get("/assets/index-AbC123_x.js", { "accept-encoding": "gzip", "if-none-match": etag });
    expect(gz.status).toBe(200);
    expect(gz.headers.etag).not.toBe(etag);
    const since = await get("/robots.txt", { "if-modified-since": String(first.headers["last-modified"]) });
    expect(since.status).toBe(304);
    const stale = await get("/robots.txt", { "if-none-match": `W/"nope"` });
    expect(stale.status).toBe(200);
  });

  it("answers Range requests: a span, a suffix, and 416 past the end", async () => {
    const span = await get("/assets/index-AbC123_x.js", { range: "bytes=7-11" });
    expect(span.status).toBe(206);
    expect(span.headers["content-range"]).toBe(`bytes 7-11/${SCRIPT.length}`);
    expect(span.body.toString()).toBe(SCRIPT.slice(7, 12));
    const suffix = await get("/assets/index-AbC123_x.js", { range: "bytes=-4" });
    expect(suffix.status).toBe(206);
    expect(suffix.body.toString()).toBe(SCRIPT.slice(-4));
    const past = await get("/assets/index-AbC123_x.js", { range: `bytes=${SCRIPT.length + 10}-` });
    expect(past.status).toBe(416);
    expect(past.headers["content-range"]).toBe(`bytes */${SCRIPT.length}`);
  });

  it("answers HEAD with the GET headers and no body", async () => {
    const r = await get("/", {}, "HEAD");
    expect(r.status).toBe(200);
    expect(Number(r.headers["content-length"])).toBe(PAGE.length);
    expect(r.body.length).toBe(0);
  });

  it("sends the right MIME type for each kind of file", async () => {
    const types: Record<string, string> = {
      "/": "text/html; charset=utf-8",
      "/assets/index-AbC123_x.js": "text/javascript; charset=utf-8",
      "/assets/index-AbC123_x.css": "text/css; charset=utf-8",
      "/manifest.webmanifest": "application/manifest+json; charset=utf-8",
      "/favicon.svg": "image/svg+xml",
      "/icon-192.png": "image/png",
      "/robots.txt": "text/plain; charset=utf-8",
      "/mod.wasm": "application/wasm",
    };
    for (const [path, type] of Object.entries(types)) {
      for (const ae of ["", "br"]) expect((await get(path, { "accept-encoding": ae })).headers["content-type"], `${path} ${ae}`).toBe(type);
    }
  });

  it("caches hashed assets for a year as immutable and makes the rest revalidate", async () => {
    expect((await get("/assets/index-AbC123_x.js")).headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    for (const path of ["/", "/index.html", "/play", "/robots.txt", "/manifest.webmanifest"]) {
      expect((await get(path)).headers["cache-control"], path).toBe("no-cache");
    }
    expect((await get("/assets/missing.js")).headers["cache-control"]).toBe("no-store");
  });
});

describe("paths", () => {
  it("never serves a file outside the root, whatever the encoding", async () => {
    const attempts = [
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E/secret.txt",
      "/.%2e/secret.txt",
      "/..%2fsecret.txt",
      "/%2e%2e%2fsecret.txt",
      "/assets%2f..%2f..%2fsecret.txt",
      "/%252e%252e%252fsecret.txt",
      "/%252e%252e/secret.txt",
      "/%25252e%25252e%25252fsecret.txt",
      "/secret.txt%00.js",
      "/%00",
      "/..\\secret.txt",
      "/assets\\..\\..\\secret.txt",
      "/%5c..%5csecret.txt",
      "/..%5csecret.txt",
      "/%c0%ae%c0%ae/secret.txt",
      "/../dist-other/secret.txt",
      "/%2e%2e/dist-other/secret.txt",
      "//secret.txt",
      `/${"../".repeat(12)}etc/passwd`,
      `/${"%2e%2e%2f".repeat(12)}etc/passwd`,
      "/%",
      "/%zz",
    ];
    for (const path of attempts) {
      const r = await get(path);
      expect([400, 403, 404], `${path} -> ${r.status}`).toContain(r.status);
      expect(r.body.toString(), path).not.toContain(SECRET);
      expect(r.body.toString(), path).not.toContain("root:");
      expect(r.headers["content-type"], path).toBe("text/plain; charset=utf-8");
    }
  });

  it("counts each refused path", async () => {
    const before = badPaths;
    expect((await get("/%2e%2e/secret.txt")).status).toBe(400);
    expect((await get("/..%5csecret.txt")).status).toBe(400);
    expect(badPaths - before).toBe(2);
    expect((await get("/assets/missing.js")).status).toBe(404);
    expect(badPaths - before).toBe(2);
  });

  it("answers 404 for missing files and dotfiles, and falls back to the page only for page routes", async () => {
    for (const path of ["/assets/missing.js", "/missing.png", "/favicon.ico", "/assets/", "/assets", "/assets/chunk", "/.build-hash", "/nested/missing.css"]) {
      const r = await get(path, { accept: "text/html" });
      expect(r.status, path).toBe(404);
      expect(r.body.toString(), path).not.toContain("<html");
    }
    for (const path of ["/", "/play", "/play/", "/rooms/42", "/?view=3&autotest=1"]) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers["content-type"], path).toBe("text/html; charset=utf-8");
      expect(r.body.toString(), path).toBe(PAGE);
    }
  });

  it("passes other methods on to the next route", async () => {
    expect((await get("/", {}, "POST")).status).toBe(404);
    expect((await get("/", {}, "DELETE")).status).toBe(404);
  });

  it("decodes safe paths and refuses the rest", () => {
    expect(requestPath("/assets/a-B_1.js?x=%zz")).toBe("/assets/a-B_1.js");
    expect(requestPath("/a%20b")).toBeNull();
    expect(requestPath("/a%40b")).toBe("/a@b");
    expect(requestPath("/play/")).toBe("/play/");
    expect(requestPath("http://evil.test/x")).toBeNull();
    expect(requestPath("*")).toBeNull();
    expect(requestPath("/a/./b")).toBeNull();
  });
});

describe("security headers", () => {
  it("are on every static answer: a file, a 304, a 404 and a 400", async () => {
    const etag = String((await get("/")).headers.etag);
    const replies = [await get("/"), await get("/", { "if-none-match": etag }), await get("/assets/missing.js"), await get("/%2e%2e/x")];
    expect(replies.map((r) => r.status)).toEqual([200, 304, 404, 400]);
    for (const r of replies) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(r.headers[name.toLowerCase()], `${r.status} ${name}`).toBe(value);
    }
  });

  it("let a page connect to the other zones' WebSocket origins, and to nothing that is not one", async () => {
    const zones = ["ws://127.0.0.1:4001", "wss://zone-2.example.org"];
    expect(contentSecurityPolicy(zones)).toContain("connect-src 'self' ws://127.0.0.1:4001 wss://zone-2.example.org;");
    expect(contentSecurityPolicy(["https://evil.example", "ws://x; script-src *", "*"])).toBe(SECURITY_HEADERS["Content-Security-Policy"]);
    expect(contentSecurityPolicy([])).toBe(SECURITY_HEADERS["Content-Security-Policy"]);
    const route = createStaticHandler(join(tmp, "dist"), { connectSources: () => zones });
    const server = await serve(async (req, res) => route(req, res));
    try {
      const res = await fetch(`${server.url}/`);
      expect(res.headers.get("content-security-policy")).toBe(contentSecurityPolicy(zones));
    } finally {
      await server.close();
    }
  });

  it("say what the issue asks: isolation, no inline script, own-origin connections", () => {
    const csp = SECURITY_HEADERS["Content-Security-Policy"];
    const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives.get("default-src")).toEqual(["'none'"]);
    for (const name of ["connect-src", "worker-src", "style-src"]) expect(directives.get(name), name).toEqual(["'self'"]);
    // WebAssembly compilation (the mesher workers), and no JavaScript eval.
    expect(directives.get("script-src")).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(csp.replace("'wasm-unsafe-eval'", "")).not.toMatch(/unsafe-inline|unsafe-eval|\*|data:|blob:/);
    expect(SECURITY_HEADERS["Cross-Origin-Opener-Policy"]).toBe("same-origin");
    expect(SECURITY_HEADERS["Cross-Origin-Embedder-Policy"]).toBe("require-corp");
    expect(SECURITY_HEADERS["Referrer-Policy"]).toBe("no-referrer");
    expect(SECURITY_HEADERS["X-Content-Type-Options"]).toBe("nosniff");
    expect(SECURITY_HEADERS["Permissions-Policy"]).toMatch(/camera=\(\).*microphone=\(\)/);
  });
});
