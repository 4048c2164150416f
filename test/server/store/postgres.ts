// A real PostgreSQL for tests and benchmarks: a fresh cluster in a temporary directory, on a free
// loopback port, started with Debian's initdb and pg_ctl as the `postgres` user (PostgreSQL
// refuses to run as root). scripts/ensure-system-deps.sh installs the `postgresql` package when
// it is missing. Each caller gets its own cluster, so a test may stop and start its database
// without disturbing others; stop() removes everything.
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** A running test cluster. */
export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/voxel (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown: open sessions are cut), keeping its data. */
  pause(): Promise<void>;
  /** Starts it again on the same port and data. */
  resume(): Promise<void>;
  /** Runs one statement on a short-lived connection. */
  query<R extends Record<string, unknown>>(sql: string, values?: unknown[]): Promise<R[]>;
  /** Stops the server and deletes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Debian's newest installed PostgreSQL bin directory. */
function pgBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  if (versions.length === 0) throw new Error("PostgreSQL is not installed (scripts/ensure-system-deps.sh installs the postgresql package)");
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0], "bin");
}

/** Runs a PostgreSQL tool as the postgres user (directly when not root). */
function asPostgres(tool: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const bin = join(pgBin(), tool);
  if (process.getuid?.() === 0) return run("runuser", ["-u", "postgres", "--", bin, ...args], { timeout: 60_000 });
  return run(bin, args, { timeout: 60_000 });
}

/** A port free on loopback right now (another process may take it before the caller binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Options of startPostgres. */
export interface StartPostgresOptions {
  /** Make the cluster's directory inside this one (which the postgres user must be able to enter); default: the system's temporary directory. */
  readonly parent?: string;
}

/** Initialises and starts a cluster, and creates the `voxel` database. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(options.parent ?? tmpdir(), "voxel-pg-"));
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, "data");
  await asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
  let port = 0;
  const start = async (): Promise<void> => {
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50 -c shared_buffers=32MB`;
    await asPostgres("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", opts, "-w", "-t", "30", "start"]);
  };
  // Another process may take the free port before the server binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const query = async <R extends Record<string, unknown>>(sql: string, values: unknown[] = [], url = `postgres://postgres@127.0.0.1:${port}/voxel`): Promise<R[]> => {
    const c = new pg.Client({ connectionString: url });
    c.on("error", () => {});
    await c.connect();
    try {
      return (await c.query<R>(sql, values)).rows;
    } finally {
      await c.end();
    }
  };
  await query("CREATE DATABASE voxel", [], admin);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/voxel`,
    port,
    pause: async () => {
      await asPostgres("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    },
    resume: start,
    query: (sql, values) => query(sql, values),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await asPostgres("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
