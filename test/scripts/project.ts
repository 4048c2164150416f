// A copy of the project in a temporary directory, for tests and benchmarks of `npm start`
// (scripts/start.mjs) that build and run it without touching the checkout's dist/. Its
// node_modules links every installed package one by one, so a package can be left out
// (tsx: the production server must run without it).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../e2e/harness.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** What a start needs besides node_modules. */
const PROJECT_FILES = ["index.html", "flags.json", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.server.json", "vite.config.ts", "public", "src", "scripts"];

/** A project copy; `cleanup` removes it. */
export interface ProjectCopy {
  readonly dir: string;
  cleanup(): void;
}

/** Copies the sources and links node_modules/<pkg> for every package but those in `omit`. */
export function copyProject(omit: readonly string[] = []): ProjectCopy {
  const dir = mkdtempSync(join(tmpdir(), "voxel-start-"));
  for (const name of PROJECT_FILES) cpSync(join(ROOT, name), join(dir, name), { recursive: true });
  const modules = join(dir, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(join(ROOT, "node_modules"))) {
    // .bin, .vite and caches are per install; the build resolves tools through package.json.
    if (entry.startsWith(".") || omit.includes(entry)) continue;
    symlinkSync(join(ROOT, "node_modules", entry), join(modules, entry), "dir");
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A `node scripts/start.mjs` process that answered /healthz with 200. */
export interface StartedServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly metricsUrl: string;
  /** Milliseconds from spawning the command to the first 200 from /healthz. */
  readonly msToHealthy: number;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash); resolves once the process is gone, with performance.now() then. */
  kill(): Promise<number>;
}

/** startProject options. */
export interface StartOptions {
  /** Node arguments of the command (default: scripts/start.mjs, which is `npm start`). */
  readonly argv?: readonly string[];
  readonly timeoutMs?: number;
}

/** Runs `node scripts/start.mjs` (or `argv`) in `dir` on free loopback ports and waits for /healthz 200. */
export async function startProject(dir: string, env: Record<string, string> = {}, opts: StartOptions = {}): Promise<StartedServer> {
  const { argv = ["scripts/start.mjs"], timeoutMs = 180_000 } = opts;
  const port = await freePort();
  const metricsPort = await freePort();
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, argv, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, PORT: String(port), HOST: "127.0.0.1", METRICS_ADDR: `127.0.0.1:${metricsPort}`, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`start exited with ${child.exitCode}:\n${log}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (performance.now() - t0 > timeoutMs) {
      child.kill("SIGKILL");
      throw new Error(`no /healthz 200 within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const msToHealthy = performance.now() - t0;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    msToHealthy,
    output: () => log,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      return performance.now();
    },
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs `node scripts/start.mjs` to its end (for a start that must fail); resolves to exit code and output. */
export function runStartToExit(dir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ["scripts/start.mjs"], { cwd: dir, env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", METRICS_ADDR: "off" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}
