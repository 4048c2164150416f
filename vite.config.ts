import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { compression, defineAlgorithm } from "vite-plugin-compression2";
import { ISOLATION_HEADERS } from "./src/server/http/security-headers.ts";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The client build version that breadcrumbs and crash reports carry: VITE_BUILD_VERSION when
 * the environment sets it (CI), else "<package.json version>-<short git sha>", or the build
 * date (yyyymmdd) in place of the sha outside a git checkout. Reduced to the breadcrumb
 * token alphabet [a-z0-9.-], at most 32 characters.
 */
function buildVersion(): string {
  const fromEnv = process.env.VITE_BUILD_VERSION;
  if (fromEnv) return token(fromEnv);
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  let revision: string;
  try {
    revision = execFileSync("git", ["rev-parse", "--short=7", "HEAD"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).trim();
  } catch {
    revision = new Date().toISOString().slice(0, 10).replaceAll("-", "");
  }
  return token(`${version}-${revision}`);
}

function token(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 32);
}

// The game server (npm start) serves dist/ and the WebSocket on one port.
// `npm run dev` runs Vite with HMR and proxies the server routes to a game server on GAME_PORT.
const gamePort = Number(process.env.GAME_PORT ?? 8080);

/**
 * Text files that get a brotli (quality 11) and a gzip (level 9) copy beside them, `x.br` and
 * `x.gz`, which the game server picks by Accept-Encoding (src/server/http/static.ts). Source
 * maps are left out: only developer tools fetch them, and they are most of the compression time.
 * A copy not smaller than its original is not written.
 */
const COMPRESSIBLE = /\.(html|css|js|mjs|json|webmanifest|svg|txt|wasm)$/;

export default defineConfig({
  root: ".",
  // Read by client telemetry (src/client/telemetry/index.ts) as the build of this bundle.
  define: { "import.meta.env.VITE_BUILD_VERSION": JSON.stringify(buildVersion()) },
  publicDir: "public",
  build: {
    outDir: "dist", assetsDir: "assets", target: "es2022", sourcemap: true, emptyOutDir: true,
    // The compression plugin's time counts against vite's own hook; its timing warning is noise.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  worker: { format: "es" },
  plugins: [
    compression({
      include: COMPRESSIBLE,
      algorithms: [defineAlgorithm("brotliCompress"), defineAlgorithm("gzip")],
      logLevel: "silent",
    }),
  ],
  // Cross-origin isolated in development too, so timings read the same as in production. The
  // CSP is not sent here: Vite's dev client injects <style> elements.
  server: {
    host: "127.0.0.1",
    headers: ISOLATION_HEADERS,
    proxy: {
      "/ws": { target: `ws://127.0.0.1:${gamePort}`, ws: true },
      "/telemetry": `http://127.0.0.1:${gamePort}`,
      "/v1": `http://127.0.0.1:${gamePort}`,
      "/healthz": `http://127.0.0.1:${gamePort}`,
    },
  },
  preview: { headers: ISOLATION_HEADERS },
});
