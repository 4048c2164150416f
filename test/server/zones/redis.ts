// A real Redis for tests, benchmarks and `npm run cluster`: Debian's `redis-server` on a free
// loopback port, its data in a temporary directory, append-only with `appendfsync always` (every
// write is on disk before Redis answers it) and no RDB snapshots. scripts/ensure-system-deps.sh
// installs the `redis-server` package when it is missing. Each caller gets its own server, so a
// test may kill it and start it again ("Redis down for a few seconds") without disturbing others;
// stop() removes everything.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../store/postgres.ts";

const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? "/usr/bin/redis-server";
/** How long a start may take before it fails with the server's log. */
const START_TIMEOUT_MS = 20_000;
/** How long a graceful stop may take before the server is killed. */
const STOP_TIMEOUT_MS = 5000;

/** A running test Redis. */
export interface TestRedis {
  /** redis://127.0.0.1:PORT (no password, loopback only). */
  readonly url: string;
  readonly port: number;
  /** The server's directory (appendonly files, redis.log). */
  readonly dir: string;
  /** Kills the server (SIGKILL, as a crash would), keeping its data; resolves once it has exited. */
  pause(): Promise<void>;
  /** Starts it again on the same port and data (what was fsynced before pause() is still there). */
  resume(): Promise<void>;
  /** A new client on this server (the caller quits it). */
  client(): Redis;
  /** Stops the server (SIGTERM, then SIGKILL) and, unless it was given `dir`, deletes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of startRedis. */
export interface StartRedisOptions {
  /** Keep the data in this existing directory (the caller removes it); default: a new temporary one. */
  readonly dir?: string;
}

/** Resolves when `child` has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Answers PING within the deadline, or throws. */
async function waitForPing(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const c = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    c.on("error", () => {});
    try {
      await c.connect();
      if ((await c.ping()) === "PONG") return;
    } catch (err) {
      last = err;
    } finally {
      c.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "";
  throw new Error(`redis-server on port ${port} did not answer (exit ${child.exitCode ?? child.signalCode ?? "none"}): ${String(last)}\n${log}`);
}

/** Starts Debian's redis-server on a free loopback port and waits until it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} not found: install Debian's redis-server (scripts/ensure-system-deps.sh does) or set REDIS_SERVER_PATH`);
  }
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "voxel-redis-"));
  const ownsDir = options.dir === undefined;
  const logFile = join(dir, "redis.log");
  let port = 0;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    // Everything on the command line: no config file, nothing from /etc/redis.
    child = spawn(REDIS_SERVER, [
      "--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
      "--dir", dir, "--logfile", logFile, "--daemonize", "no",
      "--appendonly", "yes", "--appendfsync", "always", "--save", "",
    ], { stdio: "ignore" });
    child.on("error", () => {});
    await waitForPing(port, child, logFile);
  };
  // Another process may take the free port before the server binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (err) {
      if (child) {
        child.kill("SIGKILL");
        await exited(child);
      }
      if (attempt >= 3) {
        if (ownsDir) rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c) return;
    const done = exited(c);
    c.kill(signal);
    const timer = signal === "SIGKILL" ? undefined : setTimeout(() => c.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await done;
    if (timer) clearTimeout(timer);
  };
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pause: () => kill("SIGKILL"),
    resume: start,
    client: () => new Redis({ host: "127.0.0.1", port }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await kill("SIGTERM");
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
