// Shared helpers for the Chromium end-to-end tests: build the client when it is stale, start
// the real game server on a free loopback port (as a child process, or in-process through the
// real bootstrap when a test reads the server's telemetry), launch Debian's Chromium with
// WebGPU on SwiftShader, and collect page errors and requests.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import type { DestinationStream } from "pino";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startGame } from "../../src/server/bootstrap.ts";
import type { RunningGame } from "../../src/server/bootstrap.ts";
import { pathOf } from "../../src/server/http/routes.ts";
import type { TelemetryOptions } from "../../src/server/telemetry/index.ts";

/** The value of the Prometheus sample `name{labels}` in a scrape (extra labels allowed), or undefined. */
export { sample as metricSample } from "../prometheus-text.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
export const OUTPUT_DIR = join(ROOT, "test-output");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The flags WebGPU needs on a machine without a GPU (SwiftShader's Vulkan on the CPU). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--enable-unsafe-swiftshader",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-angle=swiftshader",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Builds the client when its sources changed since its last build (scripts/build.mjs, by content hash). */
export function ensureBuilt(): void {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "build.mjs"), "client"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`scripts/build.mjs client failed with status ${r.status}`);
}

/** A free TCP port on 127.0.0.1 (asked from the OS, then released for the server to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** A running game server. */
export interface GameServer {
  readonly url: string;
  /** Server stderr/stdout so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `tsx src/server/main.ts` on a free loopback port and waits until it serves the page. */
export async function startServer(env: Record<string, string> = {}): Promise<GameServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(join(ROOT, "node_modules", ".bin", "tsx"), ["src/server/main.ts"], {
    cwd: ROOT,
    // The metrics listener on a free port too: the default 9464 may be taken by another run.
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", METRICS_ADDR: "127.0.0.1:0", STORE: "memory", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`game server exited with ${child.exitCode}:\n${log}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`game server did not answer on ${url}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    output: () => log,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Launches headless Chromium with WebGPU on SwiftShader. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (sudo apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A page whose console errors and uncaught exceptions are collected. */
export interface WatchedPage {
  readonly page: Page;
  /** console.error messages and page errors, in order. */
  readonly errors: string[];
  /** Every console message ("type: text"), for failure diagnostics. */
  readonly console: string[];
}

/** Opens a page of `viewport` size that records errors; does not navigate. */
export async function openPage(browser: Browser, viewport = { width: 800, height: 600 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  const errors: string[] = [];
  const messages: string[] = [];
  page.on("console", (m) => {
    messages.push(`${m.type()}: ${m.text()}`);
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  return { page, errors, console: messages };
}

/** Writes a screenshot (PNG bytes) into test-output/ and returns the path. */
export function saveArtifact(name: string, png: Uint8Array): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, name);
  writeFileSync(path, png);
  return path;
}

/** The game server running in this process through the real bootstrap (src/server/bootstrap.ts). */
export interface InProcessGame {
  /** http://127.0.0.1:PORT/ (serves dist/). */
  readonly url: string;
  /** Base URL of the metrics listener: /metrics, /debug/tracez, /debug/crashes. */
  readonly metricsUrl: string;
  readonly running: RunningGame;
  /** "METHOD /path" of every request the game port received, in order (the server's own witness). */
  readonly served: string[];
  /** Server log lines (JSON), for failure messages. */
  readonly logs: string[];
  /** GET /metrics as text. */
  scrape(): Promise<string>;
  /** GET a JSON page of the metrics listener (e.g. "/debug/crashes"). */
  debugJson<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts the server with startGame() on free loopback ports, serving the built client. Only
 * `env` is read as the environment (not process.env), so the test is hermetic; the metrics
 * listener takes a free port unless `env` says otherwise.
 */
export async function startGameInProcess(env: Record<string, string> = {}, telemetry: TelemetryOptions = {}): Promise<InProcessGame> {
  const served: string[] = [];
  const logs: string[] = [];
  const sink = { write: (line: string) => void logs.push(line) } as DestinationStream;
  const running = await startGame(
    { METRICS_ADDR: "127.0.0.1:0", STORE: "memory", ...env },
    {
      server: {
        host: "127.0.0.1",
        port: 0,
        distDir: join(ROOT, "dist"),
        routes: [
          (req) => {
            served.push(`${req.method ?? "?"} ${pathOf(req) ?? "?"}`);
            return false;
          },
        ],
      },
      telemetry: { logDestination: sink, ...telemetry },
    },
  );
  const metricsUrl = running.telemetry.metricsServer?.url;
  if (metricsUrl === undefined) {
    await running.stop();
    throw new Error("the metrics listener is off (METRICS_ADDR=off)");
  }
  const get = async (path: string): Promise<Response> => {
    const res = await fetch(metricsUrl + path);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
    return res;
  };
  return {
    url: `${running.game.url}/`,
    metricsUrl,
    running,
    served,
    logs,
    scrape: async () => (await get("/metrics")).text(),
    debugJson: async <T>(path: string) => (await (await get(path)).json()) as T,
    stop: async () => {
      await running.stop("e2e done");
    },
  };
}

/** One request made by a page (or its workers). */
export interface PageRequest {
  readonly method: string;
  readonly url: string;
  /** Playwright's resource type: "fetch", "ping" (sendBeacon), "script", ... */
  readonly type: string;
}

/** Records every request made in the page's browser context from now on. */
export function recordRequests(context: BrowserContext): PageRequest[] {
  const seen: PageRequest[] = [];
  context.on("request", (r) => seen.push({ method: r.method(), url: r.url(), type: r.resourceType() }));
  return seen;
}

/**
 * Makes the page believe it was hidden and shown again (visibilitychange both ways), as
 * switching tabs does: client telemetry flushes on hide. headless Chromium never hides a page.
 */
export async function hideAndShowPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
    // Removing the own property brings back Document.prototype's getter ("visible").
    delete (document as { visibilityState?: unknown }).visibilityState;
    document.dispatchEvent(new Event("visibilitychange"));
  });
}

/** Polls `probe` every `everyMs` until it returns a value; fails after `ms` with `what` and the last error. */
export async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
