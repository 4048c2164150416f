// `npm run cluster` as an operator runs it (scripts/cluster.ts, real processes): three zones of the
// compiled server in a line with Debian's redis-server and PostgreSQL on loopback. It prints one
// JSON line once every zone is healthy; the Prometheus file_sd file follows the Redis zone
// directory; Debian's Prometheus scrapes every zone through that file; a zone killed with SIGKILL
// is restarted on the same port; SIGTERM stops every process and removes the temporary directory.
// Then startCluster itself, as other tests use it: a zone that cannot start fails the start and
// leaves nothing behind; kill() and the restart; the file_sd file kept while Redis is down.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startCluster } from "../../../scripts/cluster.ts";
import type { ClusterLine, TargetGroup } from "../../../scripts/cluster.ts";
import { DEPLOY, readYaml, ROOT } from "../../deploy/deploy-files.ts";
import { eventually as pollUntil } from "../../e2e/harness.ts";
import { freePort } from "../store/postgres.ts";
import { Bot } from "../../../src/server/bots/bot.ts";

const ZONES = 3;
const PROMETHEUS = process.env.PROMETHEUS_PATH ?? "/usr/bin/prometheus";

let cli: ChildProcess;
let stdout = "";
let stderr = "";
let line: ClusterLine;
let redis: Redis;
let prometheus: ChildProcess | undefined;
let promDir = "";
let promOutput = "";

/** The --json events the command logged on stderr so far. */
function events(): Record<string, unknown>[] {
  return stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The e2e harness's poll (every 200 ms), with the command's stderr added to a timeout. */
async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  try {
    return await pollUntil(what, ms, async () => probe(), 200);
  } catch (err) {
    const cause = err instanceof Error && err.cause !== undefined ? `: ${String(err.cause)}` : "";
    throw new Error(`${err instanceof Error ? err.message : String(err)}${cause}\ncluster stderr:\n${stderr.slice(-3000)}`, { cause: err });
  }
}

async function healthz(url: string): Promise<number> {
  const res = await fetch(`${url.replace(/^ws/, "http").replace(/\/ws$/, "")}/healthz`, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.status;
}

/** True while a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

const portOf = (url: string): number => Number(new URL(url).port);
const zonePids = (): Map<string, number> => new Map(events().filter((e) => e.event === "zone_started").map((e) => [e.zone as string, e.pid as number]));

describe("npm run cluster", () => {
  beforeAll(async () => {
    // One process (tsx as a loader, not its CLI wrapper), so the test's SIGTERM reaches the command itself.
    cli = spawn(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "cluster.ts"), "--zones", String(ZONES), "--json"], {
      cwd: ROOT,
      env: { ...process.env, NPC_COUNT: "4", MESH_WORKERS: "1", STORE_LEASE_MS: "1000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    cli.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    cli.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const first = await eventually("the cluster's JSON line", 60_000, () => {
      if (cli.exitCode !== null) throw new Error(`npm run cluster exited with ${cli.exitCode}`);
      const nl = stdout.indexOf("\n");
      return nl < 0 ? undefined : stdout.slice(0, nl);
    });
    line = JSON.parse(first) as ClusterLine;
    redis = new Redis(line.redis);
    redis.on("error", () => {});
  }, 90_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise<void>((r) => prometheus!.once("exit", () => r()));
      prometheus.kill("SIGKILL");
      await exited;
    }
    if (promDir !== "") rmSync(promDir, { recursive: true, force: true });
    redis?.disconnect();
    if (cli && cli.exitCode === null && cli.signalCode === null) {
      const exited = new Promise<void>((r) => cli.once("exit", () => r()));
      cli.kill("SIGTERM");
      await exited;
    }
  }, 60_000);

  it("prints one JSON line naming every zone, Redis, PostgreSQL and the file_sd file, once each zone is healthy", async () => {
    expect(Object.keys(line).sort()).toEqual(["file_sd", "postgres", "redis", "zones"]);
    expect(line.zones.map((z) => z.zone)).toEqual(["zone-0", "zone-1", "zone-2"]);
    for (const z of line.zones) {
      expect(Object.keys(z).sort()).toEqual(["metrics", "url", "zone"]);
      expect(z.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      expect(z.metrics).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await healthz(z.url)).toBe(200);
      // Its metrics listener serves this zone's series.
      const metrics = await (await fetch(`http://${z.metrics}/metrics`)).text();
      expect(metrics).toContain(`zone="${z.zone}"`);
    }
    expect(new Set(line.zones.flatMap((z) => [portOf(z.url), Number(z.metrics.split(":")[1])])).size).toBe(2 * ZONES);
    expect(line.redis).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await redis.ping()).toBe("PONG");
    expect(line.postgres).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/voxel$/);
    expect(await listening(portOf(line.postgres))).toBe(true);
    expect(existsSync(line.file_sd)).toBe(true);
    expect(stdout.trim().split("\n")).toHaveLength(1);
    // Each zone's own log file, in the cluster's directory, says which zone it is.
    expect(readFileSync(join(dirname(line.file_sd), "zone-2.log"), "utf8")).toContain('"zone":"zone-2"');
  });

  it("keeps the file_sd file current from the directory: entries with a metrics listener, by zone; expired and malformed ones are dropped", async () => {
    const read = (): TargetGroup[] => JSON.parse(readFileSync(line.file_sd, "utf8")) as TargetGroup[];
    const entry = (zone: string, metrics: string | null) =>
      JSON.stringify({ zone, url: "ws://127.0.0.1:1/ws", metrics, population: 0, tick_p99_ms: 1, instance: "test", at_ms: Date.now() });
    await redis.set("voxel:zone:zz-short", entry("zz-short", "127.0.0.1:9"), "PX", 1500);
    await redis.set("voxel:zone:zz-nometrics", entry("zz-nometrics", null), "PX", 30_000);
    await redis.set("voxel:zone:zz-bad", "{not json", "PX", 30_000);
    await redis.set("voxel:zone:zz-liar", entry("zz-other", "127.0.0.1:8"), "PX", 30_000);
    await redis.set("voxel:zone:zz-short:extra", "x", "PX", 30_000);
    const withShort = await eventually("the short-lived entry in file_sd", 5000, () => {
      const groups = read();
      return groups.some((g) => g.labels.zone === "zz-short") ? groups : undefined;
    });
    expect(withShort.filter((g) => g.labels.zone.startsWith("zz-"))).toEqual([{ targets: ["127.0.0.1:9"], labels: { zone: "zz-short" } }]);
    // Its TTL lapses: the target goes.
    await eventually("the expired entry gone from file_sd", 5000, () => (read().some((g) => g.labels.zone === "zz-short") ? undefined : true));
    expect(read().filter((g) => g.labels.zone.startsWith("zz-"))).toEqual([]);
    const malformed = events().filter((e) => e.event === "directory_entry_malformed").map((e) => e.key);
    expect(malformed.sort()).toEqual(["voxel:zone:zz-bad", "voxel:zone:zz-liar"]);
    await redis.del("voxel:zone:zz-nometrics", "voxel:zone:zz-bad", "voxel:zone:zz-liar", "voxel:zone:zz-short:extra");
  });

  it("Debian's Prometheus scrapes every zone through the file_sd file: count(up == 1) is the zone count", async () => {
    // The zone servers advertise themselves in the directory (src/server/zones/coordinator-redis.ts);
    // the cluster's file_sd writer follows it.
    await eventually("every zone in file_sd", 5000, () => {
      const groups = JSON.parse(readFileSync(line.file_sd, "utf8")) as TargetGroup[];
      return groups.length === ZONES ? true : undefined;
    });
    expect(existsSync(PROMETHEUS), `${PROMETHEUS} (Debian's prometheus; scripts/ensure-system-deps.sh installs it)`).toBe(true);
    promDir = mkdtempSync(join(tmpdir(), "voxel-cluster-prom-"));
    // deploy/prometheus/prometheus.yml's scrape job, pointed at the file instead of a static target.
    const cfg = readYaml(join(DEPLOY, "prometheus", "prometheus.yml")) as {
      global: Record<string, unknown>;
      rule_files?: unknown;
      alerting?: unknown;
      scrape_configs: Record<string, unknown>[];
    };
    cfg.global.scrape_interval = "1s";
    delete cfg.rule_files;
    delete cfg.alerting;
    expect(cfg.scrape_configs[0].honor_labels).toBe(true);
    delete cfg.scrape_configs[0].static_configs;
    cfg.scrape_configs[0].file_sd_configs = [{ files: [line.file_sd], refresh_interval: "1s" }];
    writeFileSync(join(promDir, "prometheus.yml"), stringify(cfg));
    const port = await freePort();
    prometheus = spawn(PROMETHEUS, [
      `--config.file=${join(promDir, "prometheus.yml")}`, `--storage.tsdb.path=${join(promDir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    prometheus.stdout!.on("data", (d: Buffer) => (promOutput += d.toString()));
    prometheus.stderr!.on("data", (d: Buffer) => (promOutput += d.toString()));
    const query = async (expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
      const body = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: never[] } };
      return body.data.result;
    };
    const up = await eventually("count(up == 1) == 3", 40_000, async () => {
      if (prometheus!.exitCode !== null) throw new Error(`prometheus exited: ${promOutput.slice(-2000)}`);
      const r = await query("count(up == 1)");
      return r.length === 1 && r[0].value[1] === String(ZONES) ? r : undefined;
    });
    expect(up[0].value[1]).toBe("3");
    // Each target carries its zone, and the series scraped from it say the same zone.
    const zones = await query("sum by (zone) (game_net_clients)");
    expect(zones.map((s) => s.metric.zone).sort()).toEqual(["zone-0", "zone-1", "zone-2"]);
    // Players spread over the zones: the operator's one view adds up to every bot.
    const bots = await Promise.all([0, 0, 1].map((i) => Bot.connect({ url: line.zones[i].url, trackWorld: false })));
    try {
      const total = await eventually("sum(game_net_clients) == 3", 20_000, async () => {
        const r = await query("sum(game_net_clients)");
        return r.length === 1 && r[0].value[1] === "3" ? r : undefined;
      });
      expect(total[0].value[1]).toBe(String(bots.length));
    } finally {
      await Promise.all(bots.map((b) => b.close()));
    }
  }, 60_000);

  it("restarts a zone killed with SIGKILL, on the same port", async () => {
    const zone = line.zones[1];
    const pid = zonePids().get(zone.zone)!;
    expect(alive(pid)).toBe(true);
    process.kill(pid, "SIGKILL");
    const exitedEvent = await eventually("the zone_exited event", 10_000, () => events().find((e) => e.event === "zone_exited" && e.zone === zone.zone));
    expect(exitedEvent).toMatchObject({ signal: "SIGKILL", restarts: 1 });
    const restarted = await eventually("the zone started again", 15_000, () => {
      const p = zonePids().get(zone.zone);
      return p !== undefined && p !== pid ? p : undefined;
    });
    expect(alive(restarted)).toBe(true);
    // The restarted zone claims its store lease once the dead one's lapses, then answers again.
    expect(await eventually("/healthz 200 again", 40_000, async () => ((await healthz(zone.url)) === 200 ? true : undefined))).toBe(true);
    expect(events().filter((e) => e.event === "zone_started" && e.zone === zone.zone).map((e) => e.restarts)).toEqual([0, 1]);
    // The others were left alone.
    for (const other of [line.zones[0], line.zones[2]]) expect(alive(zonePids().get(other.zone)!)).toBe(true);
  }, 60_000);

  it("SIGTERM stops every zone, Redis and PostgreSQL, and removes the temporary directory", async () => {
    const pids = [...zonePids().values()];
    const exited = new Promise<number | null>((r) => cli.once("exit", (code) => r(code)));
    cli.kill("SIGTERM");
    expect(await exited).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(await listening(portOf(line.redis))).toBe(false);
    expect(await listening(portOf(line.postgres))).toBe(false);
    for (const z of line.zones) expect(await listening(portOf(z.url))).toBe(false);
    expect(existsSync(dirname(line.file_sd))).toBe(false);
  }, 30_000);
});

describe("startCluster", () => {
  it("rejects when a zone cannot start, with the zone's own error, and leaves nothing behind", async () => {
    const err = await startCluster({ zones: 1, build: ["server"], env: { MAX_PLAYERS: "0" } }).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/zone-0 exited before answering \/healthz \(exit 1\)/);
    expect(err?.message).toContain("MAX_PLAYERS");
    const logFile = /its log \((\S+)\)/.exec(err!.message)![1];
    expect(existsSync(dirname(logFile))).toBe(false);
  }, 60_000);

  it("restarts a killed zone (kill), keeps the last file_sd file while Redis is down, and stops cleanly", async () => {
    const cluster = await startCluster({ zones: 1, build: ["server"], env: { NPC_COUNT: "2", MESH_WORKERS: "1", STORE_LEASE_MS: "1000" } });
    try {
      const [zone] = cluster.zones;
      const pid = zone.pid();
      cluster.kill("zone-0", "SIGKILL");
      await eventually("the restart", 15_000, () => (zone.restarts() === 1 && zone.pid() !== undefined ? true : undefined));
      expect(zone.pid()).not.toBe(pid);
      await cluster.waitHealthy("zone-0", 40_000);

      // The restarted zone writes its own directory entry (a later start replaces the dead one's).
      await eventually("the restarted zone's entry", 15_000, async () => ((await cluster.refreshTargets()).length === 1 ? true : undefined));
      const groups = await cluster.refreshTargets();
      expect(groups).toEqual([{ targets: [zone.metrics], labels: { zone: "zone-0" } }]);
      const before = readFileSync(cluster.fileSd, "utf8");
      await cluster.redis.pause();
      await expect(cluster.refreshTargets()).rejects.toThrow();
      expect(readFileSync(cluster.fileSd, "utf8")).toBe(before);
      await cluster.redis.resume();
      // The entry outlived the crash (append-only); the reader reconnects by itself.
      expect(await eventually("a read after Redis returns", 10_000, () => cluster.refreshTargets())).toEqual(groups);
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dir)).toBe(false);
    expect(cluster.zones[0].pid()).toBeUndefined();
  }, 90_000);
});
