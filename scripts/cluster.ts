// `npm run cluster -- --zones N [--base-port P] [--seed S] [--json]`: a whole zone cluster on
// this machine, for operators and for tests (startCluster). In one temporary directory, on
// loopback ports:
//   - Debian's redis-server, append-only with appendfsync always (test/server/zones/redis.ts);
//   - PostgreSQL run as the postgres user (test/server/store/postgres.ts), the zones' store;
//   - N zone processes zone-0 .. zone-(N-1) in a line (zone-i: west=zone-(i-1), east=zone-(i+1)),
//     each the compiled server (`node dist-server/server/main.js`, built first when its sources
//     changed, like `npm start`) with its own game port, metrics listener, world seed and log
//     file (<dir>/zone-i.log), under a supervisor that restarts a zone that exits or is killed,
//     after a backoff, on the same ports (its PUBLIC_URL in the directory stays valid);
//   - a Prometheus file_sd targets file (<dir>/file_sd.json), rewritten (atomically, by rename)
//     whenever the zone directory in Redis (`voxel:zone:*`, docs in ZONES) changes; read every
//     second. Point a `file_sd_configs` scrape job at it (with honor_labels: true, as
//     deploy/prometheus/prometheus.yml: the game labels its series with zone and shard itself).
// Once every zone answers /healthz it prints ONE JSON line on stdout:
//   {"zones":[{"zone","url","metrics"}],"redis","postgres","file_sd"}
// Ctrl-C or SIGTERM stops everything: the zones (SIGTERM, a clean stop), then Redis and
// PostgreSQL, then the directory. Restarts and directory read failures are logged on stderr
// (as JSON lines with --json).
//
// Ports: free ones by default; with --base-port P, zone i serves players on P+2i and metrics on
// P+2i+1 (Redis and PostgreSQL still take free ports). Seeds: zone i gets WORLD_SEED S+i
// (default S=1). Extra settings for every zone come from the environment of this command
// (e.g. NPC_COUNT, TELEMETRY_CONFIG); the cluster sets the zone ones itself.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { z } from "zod";
import { freePort, startPostgres } from "../test/server/store/postgres.ts";
import type { TestPostgres } from "../test/server/store/postgres.ts";
import { startRedis } from "../test/server/zones/redis.ts";
import type { TestRedis } from "../test/server/zones/redis.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SERVER_MAIN = join(ROOT, "dist-server", "server", "main.js");
/** First restart delay; it doubles with each restart of a zone that had not stayed up, up to the cap. */
const RESTART_BACKOFF_MS = 250;
const RESTART_BACKOFF_CAP_MS = 10_000;
/** A zone that ran this long before exiting restarts after the first delay again. */
const STABLE_MS = 10_000;
/** A zone's clean stop: its SHUTDOWN_TIMEOUT_MS default plus the hard-exit margin, then SIGKILL. */
const ZONE_STOP_MS = 12_000;
/** How often the file_sd file is refreshed from the directory. */
const FILE_SD_EVERY_MS = 1000;
const DIRECTORY_PREFIX = "voxel:zone:";
const ZONE_NAME = /^[a-z0-9_-]{1,32}$/;

/** One directory entry (ZONES: `voxel:zone:<zone>`); only the fields the targets need are checked. */
const DirectoryEntry = z.object({
  zone: z.string().regex(ZONE_NAME),
  url: z.string(),
  metrics: z.string().regex(/^[^\s/]+:\d{1,5}$/).nullable(),
});

/** One Prometheus file_sd target group. */
export interface TargetGroup {
  targets: string[];
  labels: { zone: string };
}

/** The line `npm run cluster` prints once every zone is healthy. */
export interface ClusterLine {
  zones: { zone: string; url: string; metrics: string }[];
  redis: string;
  postgres: string;
  file_sd: string;
}

/** A log sink: one event with fields (`--json` prints it as a JSON line). */
export type ClusterLog = (event: string, fields?: Record<string, unknown>) => void;

/** Options of startCluster. */
export interface ClusterOptions {
  /** Number of zones in the line (1..64). */
  zones: number;
  /** Zone i on port basePort+2i, its metrics on basePort+2i+1; default: free ports. */
  basePort?: number;
  /** Zone i's WORLD_SEED is seed+i (default 1). */
  seed?: number;
  /** Settings for every zone (environment variables), over `process.env`; the zone settings win. */
  env?: Readonly<Record<string, string>>;
  /** Parts scripts/build.mjs builds first when their sources changed (default both; the zones serve the client). */
  build?: readonly ("client" | "server")[];
  /** How long the zones may take to answer /healthz (ms; default 120 s). */
  readyTimeoutMs?: number;
  /** Aborting it during the start stops what started so far, and the start rejects. */
  signal?: AbortSignal;
  log?: ClusterLog;
}

/** A zone of a running cluster. */
export interface ClusterZone {
  readonly zone: string;
  /** ws://127.0.0.1:PORT/ws (its PUBLIC_URL). */
  readonly url: string;
  /** http://127.0.0.1:PORT (the page and /healthz). */
  readonly http: string;
  /** host:port of its metrics listener. */
  readonly metrics: string;
  readonly logFile: string;
  /** The running process's id (undefined between a death and its restart). */
  pid(): number | undefined;
  /** Restarts so far. */
  restarts(): number;
}

/** A running cluster. */
export interface Cluster {
  readonly dir: string;
  readonly zones: readonly ClusterZone[];
  readonly redis: TestRedis;
  readonly postgres: TestPostgres;
  readonly fileSd: string;
  /** The line `npm run cluster` prints. */
  line(): ClusterLine;
  /** Sends a signal to a zone's process (the supervisor restarts it). */
  kill(zone: string, signal?: NodeJS.Signals): void;
  /** Resolves when the zone answers /healthz with 200; rejects after timeoutMs. */
  waitHealthy(zone: string, timeoutMs?: number): Promise<void>;
  /** Reads the directory and rewrites the file_sd file now (it also happens every second). */
  refreshTargets(): Promise<TargetGroup[]>;
  /** Stops the zones (SIGTERM), then Redis and PostgreSQL, then removes the directory. Idempotent. */
  stop(): Promise<void>;
}

/** Builds what the zones run (scripts/build.mjs, a no-op when nothing changed). */
function build(parts: readonly string[]): Promise<void> {
  if (parts.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts", "build.mjs"), ...parts], { cwd: ROOT, stdio: ["ignore", 2, 2] });
    child.once("error", reject);
    child.once("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`scripts/build.mjs ${parts.join(" ")} failed (${signal ?? `exit ${code}`})`))));
  });
}

/** ZONE_LINKS of zone i in a line of n. */
function lineLinks(i: number, n: number): string {
  const links: string[] = [];
  if (i > 0) links.push(`west=zone-${i - 1}`);
  if (i < n - 1) links.push(`east=zone-${i + 1}`);
  return links.join(",");
}

/** The last `chars` of a file, or "" when it cannot be read. */
function tail(path: string, chars = 3000): string {
  try {
    return readFileSync(path, "utf8").slice(-chars);
  } catch {
    return "";
  }
}

/** True when http://127.0.0.1:port/healthz answers 200. */
async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** One zone process under supervision: restarted with backoff whenever it exits, until stop(). */
class ZoneSupervisor implements ClusterZone {
  readonly url: string;
  readonly http: string;
  readonly metrics: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private restartCount = 0;
  private failuresInARow = 0;
  private startedAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopping = false;
  /** Set once the zone has answered /healthz: before that, an exit is a failed start, not a crash. */
  everHealthy = false;
  /** Why the first start failed, if it did (the cluster does not start). */
  failed: Error | undefined;

  constructor(readonly zone: string, readonly port: number, metricsPort: number, private readonly env: Record<string, string>, dir: string, private readonly log: ClusterLog) {
    this.url = `ws://127.0.0.1:${port}/ws`;
    this.http = `http://127.0.0.1:${port}`;
    this.metrics = `127.0.0.1:${metricsPort}`;
    this.logFile = join(dir, `${zone}.log`);
  }

  pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  restarts(): number {
    return this.restartCount;
  }

  start(): void {
    const fd = openSync(this.logFile, "a");
    try {
      this.child = spawn(process.execPath, ["--enable-source-maps", SERVER_MAIN], { cwd: ROOT, env: this.env, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.startedAt = Date.now();
    const child = this.child;
    this.log("zone_started", { zone: this.zone, pid: child.pid, restarts: this.restartCount, log: this.logFile });
    child.once("error", (err) => this.log("zone_spawn_error", { zone: this.zone, error: err.message }));
    child.once("exit", (code, signal) => this.onExit(child, code, signal));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || child !== this.child) return;
    if (!this.everHealthy) {
      this.failed = new Error(`${this.zone} exited before answering /healthz (${signal ?? `exit ${code}`}); its log (${this.logFile}) ends:\n${tail(this.logFile)}`);
      return;
    }
    const upMs = Date.now() - this.startedAt;
    this.failuresInARow = upMs >= STABLE_MS ? 0 : this.failuresInARow + 1;
    const delayMs = Math.min(RESTART_BACKOFF_CAP_MS, RESTART_BACKOFF_MS * 2 ** this.failuresInARow);
    this.restartCount++;
    this.log("zone_exited", { zone: this.zone, code, signal, up_ms: upMs, restart_in_ms: delayMs, restarts: this.restartCount });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopping) this.start();
    }, delayMs);
  }

  kill(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGTERM (a clean stop), SIGKILL after ZONE_STOP_MS; no restart after this. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const hard = setTimeout(() => child.kill("SIGKILL"), ZONE_STOP_MS);
    await exited;
    clearTimeout(hard);
  }
}

/** The environment of zone i (ZONES: the zone process settings). */
function zoneEnv(base: Readonly<Record<string, string | undefined>>, i: number, n: number, port: number, metricsPort: number, seed: number, redis: TestRedis, postgres: TestPostgres): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  return Object.assign(env, {
    ZONE: `zone-${i}`,
    COORD: redis.url,
    STORE: postgres.url,
    ZONE_LINKS: lineLinks(i, n),
    HOST: "127.0.0.1",
    PORT: String(port),
    PUBLIC_URL: `ws://127.0.0.1:${port}/ws`,
    METRICS_ADDR: `127.0.0.1:${metricsPort}`,
    WORLD_SEED: String(seed + i),
  });
}

/**
 * Reads the zone directory from Redis: one target group per entry with a metrics listener,
 * sorted by zone name, and the keys of entries that are not the contract's JSON (skipped).
 */
export async function readTargets(redis: Redis): Promise<{ groups: TargetGroup[]; malformed: string[] }> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${DIRECTORY_PREFIX}*`, "COUNT", 100);
    cursor = next;
    // Only `voxel:zone:<zone>` itself: other keys may share the prefix (voxel:zone:<zone>:...).
    for (const k of batch) if (ZONE_NAME.test(k.slice(DIRECTORY_PREFIX.length))) keys.push(k);
  } while (cursor !== "0");
  const groups: TargetGroup[] = [];
  const malformed: string[] = [];
  if (keys.length === 0) return { groups, malformed };
  const values = await redis.mget(...keys);
  for (let i = 0; i < keys.length; i++) {
    const raw = values[i];
    if (raw === null) continue; // expired between SCAN and MGET
    let entry: z.infer<typeof DirectoryEntry> | undefined;
    try {
      entry = DirectoryEntry.parse(JSON.parse(raw));
    } catch {
      entry = undefined;
    }
    if (entry === undefined || entry.zone !== keys[i].slice(DIRECTORY_PREFIX.length)) {
      malformed.push(keys[i]);
      continue;
    }
    if (entry.metrics !== null) groups.push({ targets: [entry.metrics], labels: { zone: entry.zone } });
  }
  groups.sort((a, b) => (a.labels.zone < b.labels.zone ? -1 : a.labels.zone > b.labels.zone ? 1 : 0));
  return { groups, malformed };
}

/** Writes `text` to `path` through a temporary file and a rename: a reader sees the old file or the new one, never half. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Keeps the file_sd file current from the directory; a failed read keeps the last file (the zones still run). */
class TargetsWriter {
  private readonly redis: Redis;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private written = "";
  private failing = false;
  /** Malformed entries already logged (each is logged once while it stays malformed). */
  private malformed = new Set<string>();
  private stopped = false;

  constructor(redisUrl: string, private readonly path: string, private readonly log: ClusterLog) {
    // A reader of a routing hint: commands fail fast while Redis is down rather than queue.
    this.redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, retryStrategy: () => 500 });
    this.redis.on("error", () => {});
    this.write([]);
  }

  private write(groups: TargetGroup[]): void {
    const text = `${JSON.stringify(groups)}\n`;
    if (text === this.written) return;
    writeAtomically(this.path, text);
    this.written = text;
  }

  async refresh(): Promise<TargetGroup[]> {
    try {
      const { groups, malformed } = await readTargets(this.redis);
      for (const key of malformed) if (!this.malformed.has(key)) this.log("directory_entry_malformed", { key });
      this.malformed = new Set(malformed);
      if (!this.stopped) this.write(groups);
      if (this.failing) this.log("directory_read_recovered");
      this.failing = false;
      return groups;
    } catch (err) {
      if (this.stopped) throw err; // the connection was closed by stop()
      if (!this.failing) this.log("directory_read_failed", { error: err instanceof Error ? err.message : String(err) });
      this.failing = true;
      throw err;
    }
  }

  start(): void {
    const loop = (): void => {
      this.timer = setTimeout(() => {
        void this.refresh().catch(() => {}).finally(() => {
          if (!this.stopped) loop();
        });
      }, FILE_SD_EVERY_MS);
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.redis.disconnect();
  }
}

/** Starts Redis and PostgreSQL in `dir`; if one fails, stops the other and throws. */
async function startEngines(dir: string): Promise<{ redis: TestRedis; postgres: TestPostgres }> {
  const redisDir = join(dir, "redis");
  mkdirSync(redisDir);
  const [redis, postgres] = await Promise.allSettled([startRedis({ dir: redisDir }), startPostgres({ parent: dir })]);
  if (redis.status === "fulfilled" && postgres.status === "fulfilled") return { redis: redis.value, postgres: postgres.value };
  if (redis.status === "fulfilled") await redis.value.stop();
  if (postgres.status === "fulfilled") await postgres.value.stop();
  throw redis.status === "rejected" ? redis.reason : (postgres as PromiseRejectedResult).reason;
}

/** The game and metrics ports of each zone: basePort+2i and basePort+2i+1, or free ones. */
async function zonePorts(n: number, basePort: number | undefined): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    out.push(basePort === undefined ? [await freePort(), await freePort()] : [basePort + 2 * i, basePort + 2 * i + 1]);
  }
  return out;
}

/** Polls a zone's /healthz until it answers 200; throws its failed start, or after timeoutMs. */
async function waitZoneHealthy(z: ZoneSupervisor, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (z.failed) throw z.failed;
    signal?.throwIfAborted();
    if (await healthy(z.port)) {
      z.everHealthy = true;
      return;
    }
    if (Date.now() > deadline) throw new Error(`${z.zone} did not answer /healthz within ${timeoutMs} ms; its log (${z.logFile}) ends:\n${tail(z.logFile)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts a cluster (see the top of this file) and resolves once every zone answers /healthz.
 * Throws on a bad zone count, a failed build, an engine that does not start or a zone that
 * exits or stays unhealthy before it is ready; everything started so far is stopped first.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const n = options.zones;
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`zones must be an integer in [1, 64], got ${n}`);
  const log = options.log ?? (() => {});
  await build(options.build ?? ["client", "server"]);
  options.signal?.throwIfAborted();
  const dir = mkdtempSync(join(tmpdir(), "voxel-cluster-"));
  chmodSync(dir, 0o755); // the postgres user enters it to reach its own cluster directory
  let engines: { redis: TestRedis; postgres: TestPostgres };
  try {
    engines = await startEngines(dir);
    if (options.signal?.aborted) {
      await Promise.all([engines.redis.stop(), engines.postgres.stop()]);
      options.signal.throwIfAborted();
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { redis, postgres } = engines;
  const fileSd = join(dir, "file_sd.json");
  const targets = new TargetsWriter(redis.url, fileSd, log);
  const ports = await zonePorts(n, options.basePort);
  const base = { ...process.env, ...options.env };
  const zones = ports.map(([port, metricsPort], i) =>
    new ZoneSupervisor(`zone-${i}`, port, metricsPort, zoneEnv(base, i, n, port, metricsPort, options.seed ?? 1, redis, postgres), dir, log));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      targets.stop();
      await Promise.all(zones.map((z) => z.stop()));
      await Promise.all([redis.stop(), postgres.stop()]);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const byName = (zone: string): ZoneSupervisor => {
    const z = zones.find((x) => x.zone === zone);
    if (!z) throw new Error(`no zone ${zone} (zones: ${zones.map((x) => x.zone).join(", ")})`);
    return z;
  };
  try {
    for (const z of zones) z.start();
    targets.start();
    await Promise.all(zones.map((z) => waitZoneHealthy(z, options.readyTimeoutMs ?? 120_000, options.signal)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir, zones, redis, postgres, fileSd,
    line: () => ({ zones: zones.map((z) => ({ zone: z.zone, url: z.url, metrics: z.metrics })), redis: redis.url, postgres: postgres.url, file_sd: fileSd }),
    kill: (zone, signal = "SIGTERM") => byName(zone).kill(signal),
    waitHealthy: (zone, timeoutMs = 60_000) => waitZoneHealthy(byName(zone), timeoutMs),
    refreshTargets: () => targets.refresh(),
    stop,
  };
}

/** The CLI's logger: `cluster: event k=v ...` lines, or JSON lines with --json, on stderr. */
function cliLog(json: boolean): ClusterLog {
  return (event, fields = {}) => {
    if (json) process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
    else process.stderr.write(`cluster: ${event}${Object.entries(fields).map(([k, v]) => ` ${k}=${String(v)}`).join("")}\n`);
  };
}

/** Parses the CLI's arguments; throws a usage error. */
function cliOptions(argv: string[]): { options: ClusterOptions; json: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: { zones: { type: "string", default: "3" }, "base-port": { type: "string" }, seed: { type: "string" }, json: { type: "boolean", default: false } },
    strict: true,
  });
  const int = (name: string, v: string | undefined, lo: number, hi: number): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isInteger(x) || x < lo || x > hi) throw new Error(`--${name} must be an integer in [${lo}, ${hi}], got ${v}`);
    return x;
  };
  const zones = int("zones", values.zones, 1, 64)!;
  const basePort = int("base-port", values["base-port"], 1024, 65535 - 2 * zones);
  const seed = int("seed", values.seed, -2147483648, 4294967295 - zones);
  return { options: { zones, basePort, seed, log: cliLog(values.json) }, json: values.json };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof cliOptions>;
  try {
    parsed = cliOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\nusage: npm run cluster -- --zones N [--base-port P] [--seed S] [--json]`);
    process.exit(2);
  }
  const log = parsed.options.log!;
  // A signal during the start aborts it (startCluster stops what started); after it, stops the cluster.
  const starting = new AbortController();
  let cluster: Cluster | undefined;
  let signalled = false;
  const onSignal = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    log("stopping", { signal });
    if (!cluster) {
      starting.abort(new Error(`${signal} during the start`));
      return;
    }
    cluster.stop().then(() => process.exit(0), (err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  try {
    cluster = await startCluster({ ...parsed.options, signal: starting.signal });
  } catch (err) {
    if (starting.signal.aborted) process.exit(0);
    throw err;
  }
  process.stdout.write(`${JSON.stringify(cluster.line())}\n`);
  if (!parsed.json) log("ready", { zones: cluster.zones.length, dir: cluster.dir, logs: join(cluster.dir, "zone-*.log") });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
