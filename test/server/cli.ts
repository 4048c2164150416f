// The real CLI (`node --import tsx src/server/main.ts`) in a child process, for tests that end it
// the hard way (a fatal error, SIGKILL, SIGSTOP). It logs JSON lines; startCli resolves once both
// listeners are up, with the game and metrics URLs read from those lines. STORE defaults to
// memory so the CLI never writes the checkout's ./data; pass STORE to test persistence.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** One parsed JSON log line. */
export type Line = Record<string, unknown>;

/** A running CLI process. */
export interface Cli {
  readonly child: ChildProcess;
  readonly lines: Line[];
  readonly stderr: string[];
  readonly gameUrl: string;
  readonly metricsUrl: string;
  /** Milliseconds from the spawn to both listeners up. */
  readonly startMs: number;
  /** Resolves with the exit code (or the signal name) and when it happened. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const children: ChildProcess[] = [];

/** SIGKILLs every CLI this module started that is still running (a test file's afterAll). */
export function killClis(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.length = 0;
}

/** Spawns the CLI and resolves once both listeners are up (or rejects with its output). */
export function startCli(env: Record<string, string>): Promise<Cli> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test",
      HOST: "127.0.0.1", PORT: "0", METRICS_ADDR: "127.0.0.1:0", NPC_COUNT: "0", JSON_LOGS: "true", LOG_LEVEL: "info", STORE: "memory",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: Line[] = [];
  const stderr: string[] = [];
  let buf = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) => {
    child.once("exit", (code, signal) => r({ code, signal, at: performance.now() }));
  });
  child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
  return new Promise((resolveCli, reject) => {
    let gameUrl = "";
    let metricsUrl = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (text.trim() === "") continue;
        const line = JSON.parse(text) as Line;
        lines.push(line);
        if (line.msg === "telemetry configured") metricsUrl = `http://${String(line.metrics_addr)}`;
        if (line.msg === "game server listening") gameUrl = String(line.url);
        if (gameUrl !== "" && metricsUrl !== "") resolveCli({ child, lines, stderr, gameUrl, metricsUrl, startMs: performance.now() - t0, exited });
      }
    });
    void exited.then((e) => reject(new Error(`the server exited (${e.code ?? e.signal}) before listening: ${stderr.join("")}${lines.map((l) => JSON.stringify(l)).join("\n")}`)));
  });
}
