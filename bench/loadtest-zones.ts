// `npm run loadtest -- --zones N --travel`: the zone part of the load benchmark (bench/loadtest.ts
// documents the flags and the method). A cluster of N zone processes (scripts/cluster.ts:
// the compiled server, Redis and PostgreSQL on loopback), travelling bots in a child process
// (bench/bots/travellers.ts), a kill-feed publisher on the bus, samplers of the zones'
// populations and directory entries, and the report.
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { nearestRank } from "../src/shared/telemetry/percentiles.ts";
import { startCluster } from "../scripts/cluster.ts";
import type { Cluster, ClusterZone } from "../scripts/cluster.ts";
import type { TravelConfig, TravelResult } from "./bots/travellers.ts";

/** What the zone run takes from the loadtest's arguments. */
export interface ZoneArgs {
  zones: number;
  bots: number;
  seconds: number;
  warmup: number;
  tickHz: number;
  json: boolean;
}

/** 64x64x128 voxels (handoff.test.ts's ZONE_WORLD): the spawn plaza spans the zone, so the walk between edges is flat. */
const ZONE_WORLD = { chunksX: 2, chunksY: 2, chunksZ: 4 } as const;
/** Benchmark kill-feed events per second on the bus. */
const BUS_EVENTS_PER_S = 10;
/** The bus stream's cap (coordinator-redis.ts BUS_STREAM_MAX). */
const BUS_STREAM_MAX = 10_000;
const BUS_PREFIX = "lt ";
/** How often every zone's /healthz population is sampled (sessions_duplicated). */
const POPULATION_EVERY_MS = 250;
/** How often the directory entries (tick_p99_ms over the zone's last 1024 ticks) are read. */
const DIRECTORY_EVERY_MS = 1000;
/** Ticks the zone's tick_p99_ms covers (TickStats ring). */
const TICK_RING = 1024;
/** HANDOFF_TICKET_TTL_MS of the zones: a bot still between zones after this holds no valid ticket. */
const TICKET_TTL_MS = 10_000;
const ARRIVED = "player arrived from another zone";
const REFUSED = "hand-off refused; the player stays";

const r2 = (x: number): number => Math.round(x * 100) / 100;
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : r2(nearestRank(s, p));
};

/** One sample of a Prometheus text exposition: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (the lines the zones' /metrics serve; comments skipped). */
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const l of text.split("\n")) {
    const m = line.exec(l);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(label)) labels[k] = v;
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(zone: ClusterZone): Promise<Sample[]> {
  const res = await fetch(`http://${zone.metrics}/metrics`, { signal: AbortSignal.timeout(5000) });
  return parseMetrics(await res.text());
}

/** Per-zone counters and the tick histogram at one moment. */
interface ZoneCounters {
  handoffs: Record<string, number>;
  /** Cumulative tick count per bucket bound (s), summed over variants. */
  tickBuckets: Map<number, number>;
  tickSum: number;
  tickCount: number;
  /** Cumulative kill-feed bus lag (published -> drained by the zone's tick) per bucket bound (s). */
  busBuckets: Map<number, number>;
}

function counters(samples: Sample[]): ZoneCounters {
  const c: ZoneCounters = { handoffs: {}, tickBuckets: new Map(), tickSum: 0, tickCount: 0, busBuckets: new Map() };
  for (const s of samples) {
    if (s.name === "game_zone_handoffs_total") c.handoffs[s.labels.result] = (c.handoffs[s.labels.result] ?? 0) + s.value;
    else if (s.name === "game_tick_duration_seconds_bucket") {
      const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
      c.tickBuckets.set(le, (c.tickBuckets.get(le) ?? 0) + s.value);
    } else if (s.name === "game_zone_bus_lag_seconds_bucket" && s.labels.topic === "kill_feed") {
      const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
      c.busBuckets.set(le, (c.busBuckets.get(le) ?? 0) + s.value);
    } else if (s.name === "game_tick_duration_seconds_sum") c.tickSum += s.value;
    else if (s.name === "game_tick_duration_seconds_count") c.tickCount += s.value;
  }
  return c;
}

/** The bucket bound (ms) under which 99% of a histogram's window observations fell, from two scrapes' cumulative buckets. */
function bucketP99Ms(a: Map<number, number>, b: Map<number, number>): number {
  const total = (b.get(Infinity) ?? 0) - (a.get(Infinity) ?? 0);
  if (total <= 0) return Number.NaN;
  for (const le of [...b.keys()].sort((x, y) => x - y)) {
    if ((b.get(le) ?? 0) - (a.get(le) ?? 0) >= 0.99 * total) return le * 1000;
  }
  return Number.NaN;
}

/** One zone's log lines in [from, to] (epoch ms): hand-off durations it admitted, refusals it logged. */
function readZoneLog(zone: ClusterZone, from: number, to: number): { arrivedMs: number[]; refusedLines: number } {
  const arrivedMs: number[] = [];
  let refusedLines = 0;
  for (const l of readFileSync(zone.logFile, "utf8").split("\n")) {
    if (!l.startsWith("{")) continue;
    let o: { msg?: string; time?: string; handoff_ms?: number };
    try {
      o = JSON.parse(l) as typeof o;
    } catch {
      continue;
    }
    const t = Date.parse(o.time ?? "");
    if (!(t >= from && t <= to)) continue;
    if (o.msg === ARRIVED && typeof o.handoff_ms === "number") arrivedMs.push(o.handoff_ms);
    else if (o.msg === REFUSED) refusedLines++;
  }
  return { arrivedMs, refusedLines };
}

/** Samples every zone's /healthz `clients` (its live players) together; tracks the sum against the bots. */
function populationSampler(cluster: Cluster, bots: number): { stop(): void; figures(): { samples: number; maxSum: number; excessSamples: number; duplicated: number } } {
  let samples = 0;
  let maxSum = 0;
  let excessSamples = 0;
  let prevExcess = 0;
  let duplicated = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    Promise.all(cluster.zones.map(async (z) => {
      const res = await fetch(`${z.http}/healthz`, { signal: AbortSignal.timeout(2000) });
      return ((await res.json()) as { clients: number }).clients;
    })).then((counts) => {
      const sum = counts.reduce((a, b) => a + b, 0);
      const excess = Math.max(0, sum - bots);
      samples++;
      maxSum = Math.max(maxSum, sum);
      if (excess > 0) excessSamples++;
      // A real duplicate stays; a player read in A just before it left and in B just after it
      // arrived (the zones are read a few ms apart) does not: count only what two samples agree on.
      duplicated = Math.max(duplicated, Math.min(prevExcess, excess));
      prevExcess = excess;
    }, () => {}).finally(() => (busy = false));
  }, POPULATION_EVERY_MS);
  return { stop: () => clearInterval(timer), figures: () => ({ samples, maxSum, excessSamples, duplicated }) };
}

/** Reads every zone's directory entry each second: tick_p99_ms (p99 of its last 1024 ticks) once the ring is all window. */
function directorySampler(redis: Redis, cluster: Cluster, windowAt: number, tickHz: number): { stop(): void; p99: Map<string, number[]> } {
  const p99 = new Map<string, number[]>(cluster.zones.map((z) => [z.zone, []]));
  const fullAt = windowAt + (TICK_RING / tickHz) * 1000;
  const timer = setInterval(() => {
    if (Date.now() < fullAt) return;
    redis.mget(...cluster.zones.map((z) => `voxel:zone:${z.zone}`)).then((values) => {
      values.forEach((v, i) => {
        if (v === null) return;
        const e = JSON.parse(v) as { tick_p99_ms?: number };
        if (typeof e.tick_p99_ms === "number") p99.get(cluster.zones[i].zone)!.push(e.tick_p99_ms);
      });
    }, () => {});
  }, DIRECTORY_EVERY_MS);
  return { stop: () => clearInterval(timer), p99 };
}

/** Publishes benchmark kill-feed events onto the bus as another zone would (coordinator-redis publish()). */
function busPublisher(redis: Redis): { stop(): void; published: () => number; failed: () => number } {
  const pub = `loadtest-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  let seq = 0;
  let failed = 0;
  const timer = setInterval(() => {
    const n = ++seq;
    const at = Date.now();
    redis.xadd("voxel:bus", "MAXLEN", "~", BUS_STREAM_MAX, "*", "topic", "kill_feed", "from", "loadtest", "pub", pub, "seq", n, "ts", at,
      "p.shooter", `${BUS_PREFIX}${n}`, "p.shooter_kind", "1", "p.shooter_team", "0", "p.target", String(at), "p.target_kind", "1", "p.target_team", "0")
      .catch(() => failed++);
  }, 1000 / BUS_EVENTS_PER_S);
  return { stop: () => clearInterval(timer), published: () => seq, failed: () => failed };
}

/** Forks the travellers and resolves once their bots have joined. */
async function startTravellers(config: TravelConfig): Promise<{ child: ChildProcess; joinMs: number }> {
  const child = fork(fileURLToPath(new URL("./bots/travellers.ts", import.meta.url)), [], { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const joinMs = await new Promise<number>((resolve, reject) => {
    child.on("message", (m: { type: string; joinMs?: number; error?: string }) => {
      if (m.type === "ready") resolve(m.joinMs ?? 0);
      if (m.type === "failed") reject(new Error(m.error));
    });
    child.once("exit", (code) => reject(new Error(`bot process exited early (${code})`)));
    child.send({ type: "start", config });
  });
  return { child, joinMs };
}

/** Redis's own latency monitor: events slower than this (ms) are recorded (LATENCY HISTORY). */
const REDIS_LATENCY_THRESHOLD_MS = 5;

/** Redis latency events (aof-fsync-always: the fsync every write waits for, in ms) since the monitor was reset. */
async function redisLatency(redis: Redis): Promise<Record<string, { events: number; max_ms: number }>> {
  const latest = (await redis.call("LATENCY", "LATEST")) as [string, number, number, number][];
  const out: Record<string, { events: number; max_ms: number }> = {};
  for (const [event] of latest) {
    const history = (await redis.call("LATENCY", "HISTORY", event)) as [number, number][];
    out[event] = { events: history.length, max_ms: Math.max(0, ...history.map(([, ms]) => ms)) };
  }
  return out;
}

/** Resolves once every zone is in the directory (the hand-offs route through it). */
async function waitDirectory(redis: Redis, cluster: Cluster): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const values = await redis.mget(...cluster.zones.map((z) => `voxel:zone:${z.zone}`));
    if (values.every((v) => v !== null)) return;
    if (Date.now() > deadline) throw new Error("the zones did not all appear in the directory within 30 s");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The settings every zone gets (over this process's environment; scripts/cluster.ts sets the zone ones). */
function zoneEnv(dir: string, args: ZoneArgs): Record<string, string> {
  const file = join(dir, "zone-config.json");
  writeFileSync(file, JSON.stringify(ZONE_WORLD));
  return {
    TELEMETRY_CONFIG: file, NPC_COUNT: "2", MESH_WORKERS: "1", STORE_LEASE_MS: "1000", TICK_HZ: String(args.tickHz),
    LOG_LEVEL: "info", HANDOFF_TICKET_TTL_MS: String(TICKET_TTL_MS), MAX_PLAYERS: String(Math.max(256, args.bots + 8)),
  };
}

/** What the window measured, before it becomes the report. */
interface Window {
  from: number;
  to: number;
  before: ZoneCounters[];
  after: ZoneCounters[];
  result: TravelResult;
  population: ReturnType<ReturnType<typeof populationSampler>["figures"]>;
  tickP99: Map<string, number[]>;
  bus: { published: number; failed: number };
  locations: (string | null)[];
  joinMs: number;
  redisLatency: Record<string, { events: number; max_ms: number }>;
}

/** Runs the travellers' window with the samplers and the bus publisher around it. */
async function runWindow(cluster: Cluster, redis: Redis, args: ZoneArgs): Promise<Window> {
  const config: TravelConfig = {
    zones: cluster.zones.map((z) => ({ zone: z.zone, url: z.url })), bots: args.bots, seconds: args.seconds, warmup: args.warmup,
    inputHz: args.tickHz, busPrefix: BUS_PREFIX, settleMs: TICKET_TTL_MS,
  };
  const { child, joinMs } = await startTravellers(config);
  let from = 0;
  let before: ZoneCounters[] = [];
  let population: ReturnType<typeof populationSampler> | undefined;
  let directory: ReturnType<typeof directorySampler> | undefined;
  let bus: ReturnType<typeof busPublisher> | undefined;
  const result = await new Promise<TravelResult>((resolve, reject) => {
    child.on("message", (m: { type: string; at?: number } | TravelResult) => {
      if (m.type === "window") {
        from = Date.now();
        void redis.call("LATENCY", "RESET").catch(() => {});
        population = populationSampler(cluster, args.bots);
        directory = directorySampler(redis, cluster, from, args.tickHz);
        bus = busPublisher(redis);
        void Promise.all(cluster.zones.map(scrape)).then((s) => (before = s.map(counters)), reject);
      } else if (m.type === "result") {
        resolve(m as TravelResult);
      }
    });
    child.once("exit", (code) => reject(new Error(`bot process exited before its result (${code})`)));
    child.send({ type: "measure" });
  });
  // The window closed when the bots stopped walking (result.seconds after it opened); the result came after the settle.
  const to = from + result.seconds * 1000;
  bus?.stop();
  population?.stop();
  directory?.stop();
  const after = (await Promise.all(cluster.zones.map(scrape))).map(counters);
  const latency = await redisLatency(redis).catch(() => ({}));
  const locations = await Promise.all(result.bots.map((b) => (b.session === "" ? null : redis.hget(`voxel:player:${b.session}`, "zone"))));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.send({ type: "close" });
  await exited;
  return {
    from, to, before, after, result, population: population!.figures(), tickP99: directory!.p99,
    bus: { published: bus!.published(), failed: bus!.failed() }, locations, joinMs, redisLatency: latency,
  };
}

/** The report (one JSON object with --json). */
function report(cluster: Cluster, args: ZoneArgs, w: Window) {
  const { result } = w;
  const logs = cluster.zones.map((z) => readZoneLog(z, w.from, w.to + 1000));
  const serverMs = logs.flatMap((l) => l.arrivedMs);
  const byResult: Record<string, number> = {};
  cluster.zones.forEach((_, i) => {
    for (const [k, v] of Object.entries(w.after[i].handoffs)) byResult[k] = (byResult[k] ?? 0) + v - (w.before[i]?.handoffs[k] ?? 0);
  });
  const attempts = Object.values(byResult).reduce((a, b) => a + b, 0);
  const zoneNames = cluster.zones.map((z) => z.zone);
  const seqs = Object.values(result.busZonesBySeq);
  const lost = result.bots.filter((b) => !b.playing);
  return {
    zones: args.zones,
    bots: args.bots,
    connected: result.connected,
    seconds: r2(result.seconds),
    warmup_s: args.warmup,
    tick_hz: args.tickHz,
    join_s: r2(w.joinMs / 1000),
    handoffs: byResult.ok ?? 0,
    handoff_attempts: attempts,
    handoff_results: byResult,
    handoff_success: attempts === 0 ? null : Math.round(((byResult.ok ?? 0) / attempts) * 10000) / 10000,
    handoff_refused_log_lines: logs.reduce((a, l) => a + l.refusedLines, 0),
    handoff_admitted_logged: serverMs.length,
    handoff_p50_ms: pct(serverMs, 50),
    handoff_p90_ms: pct(serverMs, 90),
    handoff_p95_ms: pct(serverMs, 95),
    handoff_p99_ms: pct(serverMs, 99),
    handoff_max_ms: pct(serverMs, 100),
    client_handoffs: result.clientHandoffMs.length,
    client_handoff_p50_ms: pct(result.clientHandoffMs, 50),
    client_handoff_p99_ms: pct(result.clientHandoffMs, 99),
    client_handoff_max_ms: pct(result.clientHandoffMs, 100),
    sessions_lost: lost.length,
    sessions_lost_detail: lost.map((b) => ({ zone: b.zone, status: b.status, closed: b.closedCode })),
    sessions_misplaced: result.bots.filter((b, i) => b.playing && w.locations[i] !== b.zone).length,
    sessions_duplicated: w.population.duplicated,
    population_samples: w.population.samples,
    population_max_sum: w.population.maxSum,
    population_excess_samples: w.population.excessSamples,
    bus_published: w.bus.published,
    bus_publish_failed: w.bus.failed,
    bus_receipts: result.busLatencyMs.length,
    bus_events_in_every_zone: seqs.filter((z) => zoneNames.every((n) => z.includes(n))).length,
    bus_p50_ms: pct(result.busLatencyMs, 50),
    bus_p99_ms: pct(result.busLatencyMs, 99),
    bus_max_ms: pct(result.busLatencyMs, 100),
    bus_first_p50_ms: pct(result.busFirstMs, 50),
    bus_first_p99_ms: pct(result.busFirstMs, 99),
    bus_lag_p99_bucket_ms: Object.fromEntries(zoneNames.map((n, i) => [n, r2(bucketP99Ms(w.before[i].busBuckets, w.after[i].busBuckets))])),
    zone_tick_p99_ms: Object.fromEntries(zoneNames.map((n) => [n, w.tickP99.get(n)!.length === 0 ? null : Math.max(...w.tickP99.get(n)!)])),
    zone_tick_p99_source: `directory entry tick_p99_ms (exact p99 of the zone's last ${TICK_RING} ticks), max of the samples taken each second once those ticks all fell in the window`,
    zone_tick_p99_bucket_ms: Object.fromEntries(zoneNames.map((n, i) => [n, r2(bucketP99Ms(w.before[i].tickBuckets, w.after[i].tickBuckets))])),
    zone_tick_mean_ms: Object.fromEntries(zoneNames.map((n, i) => [n, r2(((w.after[i].tickSum - w.before[i].tickSum) / Math.max(1, w.after[i].tickCount - w.before[i].tickCount)) * 1000)])),
    redis_latency_events: w.redisLatency,
    redis_latency_threshold_ms: REDIS_LATENCY_THRESHOLD_MS,
    zone_restarts: Object.fromEntries(cluster.zones.map((z) => [z.zone, z.restarts()])),
    bots_cpu_percent: r2(result.cpuPercent),
    transfers_total: result.transfersTotal,
  };
}

type Report = ReturnType<typeof report>;

/** The report as the console prints it, with the goals. */
function lines(r: Report): string[] {
  const mark = (ok: boolean): string => (ok ? "ok" : "MISSED");
  const ticks = Object.entries(r.zone_tick_p99_ms);
  return [
    `loadtest --zones ${r.zones} --travel: ${r.connected}/${r.bots} bots, ${r.seconds} s measured after ${r.warmup_s} s warm-up, ${r.tick_hz} Hz, zone processes on loopback (joined in ${r.join_s} s)`,
    `hand-offs      ${r.handoffs} ok of ${r.handoff_attempts} attempts (${JSON.stringify(r.handoff_results)}), success ${r.handoff_success} [goal >= 0.995: ${mark((r.handoff_success ?? 0) >= 0.995)}]`,
    `server ms      p50 ${r.handoff_p50_ms}  p90 ${r.handoff_p90_ms}  p95 ${r.handoff_p95_ms}  p99 ${r.handoff_p99_ms}  max ${r.handoff_max_ms} (A froze -> B admitted, ${r.handoff_admitted_logged} logged) [goal p99 <= 250: ${mark(r.handoff_p99_ms <= 250)}]`,
    `bot ms         p50 ${r.client_handoff_p50_ms}  p99 ${r.client_handoff_p99_ms}  max ${r.client_handoff_max_ms} (Transfer -> first snapshot from B, ${r.client_handoffs}) [goal p99 <= 300: ${mark(r.client_handoff_p99_ms <= 300)}]`,
    `sessions       lost ${r.sessions_lost}  duplicated ${r.sessions_duplicated}  misplaced in the directory ${r.sessions_misplaced}  (population: ${r.population_samples} samples, max sum ${r.population_max_sum}, ${r.population_excess_samples} single samples above the bots)`,
    `bus ms         p50 ${r.bus_p50_ms}  p99 ${r.bus_p99_ms}  max ${r.bus_max_ms}, first bot per zone p50 ${r.bus_first_p50_ms}  p99 ${r.bus_first_p99_ms} (${r.bus_published} events, ${r.bus_receipts} receipts, ${r.bus_events_in_every_zone} reached every zone; zones' own lag to their tick, p99 bucket: ${Object.entries(r.bus_lag_p99_bucket_ms).map(([z, v]) => `${z} <=${v}`).join("  ")}) [goal p99 <= 50: ${mark(r.bus_p99_ms <= 50)}]`,
    `tick p99 ms    ${ticks.map(([z, v]) => `${z} ${v}`).join("  ")} (histogram bucket: ${Object.entries(r.zone_tick_p99_bucket_ms).map(([z, v]) => `${z} <=${v}`).join("  ")}) [goal <= 25: ${ticks.every(([, v]) => v === null) ? `n/a, the window is shorter than ${TICK_RING} ticks` : mark(ticks.every(([, v]) => v !== null && v <= 25))}]`,
    `redis          latency events over ${r.redis_latency_threshold_ms} ms: ${JSON.stringify(r.redis_latency_events)}`,
    `tick mean ms   ${Object.entries(r.zone_tick_mean_ms).map(([z, v]) => `${z} ${v}`).join("  ")}   zone restarts ${JSON.stringify(r.zone_restarts)}   bot process cpu ${r.bots_cpu_percent}%`,
  ];
}

/** Starts the cluster, runs the window, prints the report, stops everything. */
export async function runZones(args: ZoneArgs): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "voxel-loadtest-zones-"));
  const log = args.json ? undefined : (event: string, fields: Record<string, unknown> = {}) => console.error(`cluster: ${event} ${JSON.stringify(fields)}`);
  let cluster: Cluster | undefined;
  let redis: Redis | undefined;
  try {
    cluster = await startCluster({ zones: args.zones, env: zoneEnv(dir, args), log });
    redis = new Redis(cluster.redis.url, { maxRetriesPerRequest: 1 });
    redis.on("error", () => {});
    await redis.call("CONFIG", "SET", "latency-monitor-threshold", String(REDIS_LATENCY_THRESHOLD_MS));
    await waitDirectory(redis, cluster);
    const w = await runWindow(cluster, redis, args);
    const r = report(cluster, args, w);
    console.log(args.json ? JSON.stringify(r) : lines(r).join("\n"));
  } finally {
    redis?.disconnect();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
