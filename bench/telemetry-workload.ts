// The deterministic workload of `npm run bench:telemetry`, run once per variant under
// `valgrind --tool=callgrind` by bench/telemetry-cost.ts: the real game (world, sessions and
// every system through the real Scheduler) over the in-memory transport, a fixed script of
// bots drawn from a seeded Rng, and a fixed number of ticks.
//
// What makes the instruction count repeatable:
// - bot frames (inputs, fires, the traceparents of the bots whose player consented to tracing)
//   are encoded before the first tick from a seeded Rng, identical in every variant;
// - the clock is simulated: performance.now() and Date.now() advance by the tick period per
//   tick (plus 1 µs per read, so they stay monotonic), not with how slowly valgrind runs;
// - V8 runs with --single-threaded (no concurrent compiler or GC threads) and --random-seed, so
//   Math.random (trace and span ids) draws the same ids, and head sampling, a function of the
//   trace id, picks the same ticks and commands;
// - meshing runs inline (MESH_WORKERS=0 semantics) instead of on a worker thread;
// - span export to the OTLP sink (a separate process, not counted) happens every second of game
//   time (the batch processor's 1 s delay in production) and when a batch of 512 spans is full,
//   not on a wall-clock timer, and is awaited without a deadline (a 3 s export timeout, ~50 ms
//   of native time under valgrind, failed exports on a busy machine and moved their spans into
//   the window); the Prometheus scrape is a registry.metrics() call every 5 s of game time.
//   Both run during the warm-up too, so the window sees them warm, as a server does;
// - log lines are written synchronously (to /dev/null): an asynchronous destination batches
//   lines by when its previous write finished, so its write calls would vary.
// The measured window is marked by two os.loadavg() calls: the driver runs callgrind with
// --dump-before=uv_loadavg, so the second of the three dumps is exactly the window (warm-up,
// world build and module loading excluded). Nothing else in the process calls uv_loadavg.
import { devNull, loadavg } from "node:os";
import { pino } from "pino";
import type { DestinationStream } from "pino";
import type { Registry } from "prom-client";
import { context } from "@opentelemetry/api";
import { resolveServerConfig } from "../src/server/config.ts";
import { Game } from "../src/server/game/state.ts";
import { Scheduler } from "../src/server/loop/scheduler.ts";
import type { MutableTickContext } from "../src/server/loop/scheduler.ts";
import { MeshPool } from "../src/server/mesh/pool.ts";
import { MemoryTransport } from "../src/server/net/memory-transport.ts";
import type { MemoryClient } from "../src/server/net/memory-transport.ts";
import { SessionManager } from "../src/server/net/sessions.ts";
import { SYSTEM_ORDER } from "../src/server/systems/index.ts";
import { installBackends, NOOP_BACKENDS } from "../src/server/telemetry/facade.ts";
import type { TelemetryBackends } from "../src/server/telemetry/facade.ts";
import { DEFAULT_TELEMETRY_CONFIG, initTelemetry } from "../src/server/telemetry/index.ts";
import type { TelemetryConfig } from "../src/server/telemetry/index.ts";
import { createLogger } from "../src/server/telemetry/logger.ts";
import { createMetrics } from "../src/server/telemetry/metrics.ts";
import { SyncFirstContextManager } from "../src/server/telemetry/context.ts";
import { createTracing } from "../src/server/telemetry/tracing.ts";
import { ByteWriter, encodeFire, encodeHello, encodeInput, PROTOCOL_VERSION } from "../src/shared/protocol/index.ts";
import { METRICS } from "../src/shared/telemetry/names.ts";
import { formatTraceparent, ratioUpperBound, sampledByRatio } from "../src/shared/telemetry/trace-context.ts";
import { worldChecksum } from "../src/shared/voxel/checksum.ts";
import { Rng } from "../src/shared/voxel/rng.ts";
import { DEFAULT_WORLD_GEN } from "../src/shared/voxel/worldgen.ts";

/** Which telemetry the workload runs with. */
export const VARIANTS = ["off", "logger", "metrics", "context", "tracing", "full"] as const;
export type Variant = (typeof VARIANTS)[number];

/** The workload's knobs (the driver passes them as --flags). */
export interface WorkloadOptions {
  variant: Variant;
  /** Head-sampling ratio of the tracing and full variants. */
  ratio: number;
  bots: number;
  warmupTicks: number;
  ticks: number;
  /** OTLP/HTTP base URL of the sink (tracing and full variants). */
  sink: string | null;
  seed: number;
  /**
   * Before the window, print WINDOW_READY on stdout and wait for a line on stdin: the driver
   * then turns callgrind's instrumentation on (the warm-up runs uninstrumented, ~10x faster).
   */
  gate: boolean;
}

/** The line the workload prints, with --gate 1, when the warm-up is done and it waits for the driver. */
export const WINDOW_READY = "window-ready";

/** What the workload prints (one JSON line on stdout) for the driver to check. */
export interface WorkloadReport {
  variant: Variant;
  ratio: number;
  ticks: number;
  players: number;
  fires: number;
  /** Spans exported to the sink during the window. */
  spans_exported: number;
  server_tick: number;
  /** The game's outcome (the same in every variant, or telemetry changed the game). */
  game: { checksum: number; shots: number; carves: number; chunks_meshed: number; delta_bytes: number; errors: number };
}

const TICK_HZ = 30;
/** Fraction of bots whose player consented to tracing: their fires carry a traceparent. */
const TRACED_BOTS = 0.3;
/** The client's own sampling ratio (the server default it is told): sets the traceparent flag. */
const CLIENT_RATIO = DEFAULT_TELEMETRY_CONFIG.traceSample;
/** Game-time seconds between Prometheus scrapes (deploy/prometheus/prometheus.yml). */
const SCRAPE_EVERY_S = 5;
/** Game-time seconds between span exports (the batch processor's scheduledDelayMillis). */
const EXPORT_EVERY_S = 1;

/** Parses `--variant full --ratio 0.05 --bots 100 --warmup 150 --ticks 300 --sink URL --seed N`. */
export function parseWorkloadArgs(argv: readonly string[]): WorkloadOptions {
  const o: WorkloadOptions = { variant: "off", ratio: 0.05, bots: 100, warmupTicks: 150, ticks: 300, sink: null, seed: 20240501, gate: false };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case "--variant":
        if (!(VARIANTS as readonly string[]).includes(v)) throw new Error(`--variant must be one of ${VARIANTS.join(", ")}`);
        o.variant = v as Variant;
        break;
      case "--ratio": o.ratio = Number(v); break;
      case "--bots": o.bots = Number(v); break;
      case "--warmup": o.warmupTicks = Number(v); break;
      case "--ticks": o.ticks = Number(v); break;
      case "--sink": o.sink = v; break;
      case "--seed": o.seed = Number(v); break;
      case "--gate": o.gate = v === "1"; break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  for (const k of ["ratio", "bots", "warmupTicks", "ticks", "seed"] as const) {
    if (!Number.isFinite(o[k]) || o[k] < 0) throw new Error(`bad --${k}: ${o[k]}`);
  }
  return o;
}

/** Replaces performance.now and Date.now with a clock the workload advances per tick. */
function installSimulatedClock(): { advance(ms: number): void } {
  let base = 1_000;
  let reads = 0;
  const epoch = Date.UTC(2025, 0, 1);
  const now = (): number => base + ++reads * 1e-3;
  Object.defineProperty(performance, "now", { value: now, configurable: true });
  Date.now = () => Math.floor(epoch + now());
  return {
    advance(ms) {
      base += ms;
    },
  };
}

/** Every bot's frames for every tick, encoded up front (index: tick * bots + bot; null = none). */
interface Script {
  inputs: Uint8Array[];
  fires: (Uint8Array | null)[];
  fireCount: number;
}

/** Draws the bots' play from the seed: walking legs, turns, jumps, and shots every 1-3 s. */
function writeScript(bots: number, ticks: number, seed: number): Script {
  const w = new ByteWriter(256);
  const inputs: Uint8Array[] = [];
  const fires: (Uint8Array | null)[] = [];
  const upper = ratioUpperBound(CLIENT_RATIO);
  const state = Array.from({ length: bots }, (_, b) => {
    const rng = new Rng(seed + b * 7919);
    return { rng, yaw: rng.next() * Math.PI * 2, leg: 0, walking: true, nextFire: rng.range(5, 90), seq: 0, command: 0, traced: rng.next() < TRACED_BOTS };
  });
  let fireCount = 0;
  const dt = 1 / TICK_HZ;
  for (let t = 0; t < ticks; t++) {
    for (const s of state) {
      if ((s.leg -= dt) <= 0) {
        s.leg = 2 + s.rng.next() * 4;
        s.walking = s.rng.next() > 0.1;
        s.yaw = s.rng.next() * Math.PI * 2;
      }
      const jump = s.walking && s.rng.next() < 0.02;
      inputs.push(encodeInput(w, { seq: ++s.seq, dt, forward: s.walking ? 1 : 0, right: 0, yaw: s.yaw, pitch: 0, buttons: jump ? 1 : 0 }).slice());
      if (t < s.nextFire) {
        fires.push(null);
        continue;
      }
      s.nextFire = t + s.rng.range(30, 90);
      const pitch = -0.08 - s.rng.next() * 0.25;
      const c = Math.cos(pitch);
      let traceparent: string | null = null;
      if (s.traced) {
        const traceId = hex(s.rng, 4);
        traceparent = formatTraceparent({ traceId, spanId: hex(s.rng, 2), traceFlags: sampledByRatio(traceId, upper) ? 1 : 0 });
      }
      // Origin (0,0,0) is far from the player: the server fires from its own eye position.
      fires.push(encodeFire(w, {
        commandId: ++s.command, ox: 0, oy: 0, oz: 0, dx: -Math.sin(s.yaw) * c, dy: Math.sin(pitch), dz: -Math.cos(s.yaw) * c, traceparent,
      }).slice());
      fireCount++;
    }
  }
  return { inputs, fires, fireCount };
}

/** `words` random 32-bit words as lowercase hex (never all zero). */
function hex(rng: Rng, words: number): string {
  let s = "";
  for (let i = 0; i < words; i++) s += (rng.nextU32() | (i === 0 ? 1 : 0)).toString(16).padStart(8, "0");
  return s;
}

/** Spans the OTLP exporter handed to the sink so far (game_trace_spans_exported_total). */
async function spansExported(registry: Registry): Promise<number> {
  const m = await registry.getSingleMetric(METRICS.traceSpansExported.prom)?.get();
  return m?.values[0]?.value ?? 0;
}

/** Telemetry of one variant; returns what the loop needs (a scrape, a flush) and a stop. */
async function startTelemetry(o: WorkloadOptions): Promise<{
  scrape: () => Promise<unknown>;
  flush: () => Promise<void>;
  spans: () => Promise<number>;
  stop: () => Promise<void>;
}> {
  const cfg: TelemetryConfig = {
    ...DEFAULT_TELEMETRY_CONFIG, metricsAddr: "off", traceSample: o.ratio, otlpEndpoint: o.sink ?? undefined,
  };
  // Synchronous writes: an asynchronous destination batches lines by when its last write
  // finished (wall-clock), so the number of write calls would vary from run to run.
  const logDestination = (): DestinationStream => pino.destination({ dest: devNull, sync: true });
  // Export when a batch is full or flushed, never on a wall-clock timer, and never time an
  // export out (see the header): valgrind runs ~50x slower than real time, so the default 3 s
  // deadline failed some exports and moved their spans into a later flush, or a retry.
  const exportOptions = { maxQueueSize: 1 << 16, maxExportBatchSize: 512, scheduledDelayMillis: 1e9, exportTimeoutMillis: 1e9 };
  const none = async (): Promise<void> => {};
  const zero = async (): Promise<number> => 0;
  const install = (b: Partial<TelemetryBackends>): (() => void) => installBackends({ ...NOOP_BACKENDS, ...b });
  switch (o.variant) {
    case "off":
      return { scrape: none, flush: none, spans: zero, stop: none };
    case "logger": {
      const log = createLogger(cfg, { destination: logDestination() });
      const un = install({ logger: (c) => log.forComponent(c) });
      return { scrape: none, flush: () => log.flush(), spans: zero, stop: async () => un() };
    }
    case "metrics": {
      const metrics = createMetrics({ zone: cfg.zone, shard: cfg.shard });
      const un = install({ metrics: metrics.recorders, clientMetrics: metrics.client });
      return { scrape: () => metrics.registry.metrics(), flush: none, spans: zero, stop: async () => un() };
    }
    case "context": {
      // The context manager the tracing backend installs, alone.
      const manager = new SyncFirstContextManager().enable();
      context.setGlobalContextManager(manager);
      return { scrape: none, flush: none, spans: zero, stop: async () => void context.disable() };
    }
    case "tracing": {
      // The tracing backend alone: its own log (unused unless export fails) and counters.
      const metrics = createMetrics({ zone: cfg.zone, shard: cfg.shard, processMetrics: false });
      const log = createLogger(cfg, { destination: logDestination() });
      const tracing = await createTracing(cfg, { metrics: metrics.internal, log: log.forComponent("telemetry"), export: exportOptions });
      const un = install({ tracing: tracing.tracing });
      return {
        scrape: none,
        flush: () => tracing.forceFlush(60_000),
        spans: () => spansExported(metrics.registry),
        stop: async () => {
          un();
          await tracing.shutdown(5000);
        },
      };
    }
    case "full": {
      const t = await initTelemetry(cfg, { logDestination: logDestination(), export: exportOptions, shutdownTimeoutMs: 60_000 });
      return {
        scrape: () => t.registry.metrics(),
        flush: () => t.forceFlush(),
        spans: () => spansExported(t.registry),
        stop: () => t.shutdown(),
      };
    }
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Tells the driver the warm-up is done and waits for its go (a line on stdin), then lets stdin go. */
async function waitForDriver(): Promise<void> {
  process.stdout.write(`${WINDOW_READY}\n`);
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
  process.stdin.pause();
  process.stdin.destroy();
  // Its close callback runs on a later turn of the event loop: before the window, not in it.
  await new Promise<void>((resolve) => process.stdin.once("close", () => resolve()));
  await nextTurn();
}

/** Runs the workload; the window between the two os.loadavg() calls is what callgrind counts. */
export async function runWorkload(o: WorkloadOptions): Promise<WorkloadReport> {
  const clock = installSimulatedClock();
  const total = o.warmupTicks + o.ticks;
  const script = writeScript(o.bots, total, o.seed);
  const config = resolveServerConfig({
    seed: DEFAULT_WORLD_GEN.seed, chunksX: 8, chunksY: 4, chunksZ: 8, tickHz: TICK_HZ, npcCount: 24,
    maxPlayers: Math.max(256, o.bots + 8), spawnSpread: 24, meshWorkers: 0,
  });
  const telemetry = await startTelemetry(o);
  const game = new Game(config);
  game.spawnNpcs();
  const transport = new MemoryTransport();
  const sessions = new SessionManager(game, transport);
  sessions.start();
  const mesher = new MeshPool(0);
  const ctx: MutableTickContext = {
    tick: 0, dt: 1 / TICK_HZ, nowMs: 0, elapsed: 1 / TICK_HZ, zone: config.zone, shard: config.shard, net: sessions, mesher,
  };
  const scheduler = new Scheduler(game, SYSTEM_ORDER, ctx);
  const w = new ByteWriter(64);
  const clients: MemoryClient[] = [];
  for (let b = 0; b < o.bots; b++) {
    const c = transport.connect();
    c.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }));
    clients.push(c);
  }
  const scrapeEvery = SCRAPE_EVERY_S * TICK_HZ;
  const exportEvery = EXPORT_EVERY_S * TICK_HZ;
  const step = async (t: number): Promise<void> => {
    for (let b = 0; b < clients.length; b++) {
      const i = t * o.bots + b;
      clients[b].send(script.inputs[i]);
      const fire = script.fires[i];
      if (fire !== null) clients[b].send(fire);
    }
    scheduler.tick();
    for (const c of clients) c.received.length = 0;
    clock.advance(1000 / TICK_HZ);
    if ((t + 1) % exportEvery === 0) await telemetry.flush();
    if ((t + 1) % scrapeEvery === 0) await telemetry.scrape();
    await nextTurn();
  };

  // A full collection (with --expose-gc) halfway through the warm-up, not right before the
  // window: it discards optimised code that embeds objects it frees, and V8 re-optimises the
  // rare telemetry paths (an export every 30 ticks, a scrape every 150) only many ticks later.
  // With the collection 300 ticks before the window, ratio 0.05 still compiled 48 ms (native
  // time, --trace-opt) inside it against 21 ms for telemetry-off; halfway, 26 ms against 21.
  const collectAt = Math.floor(o.warmupTicks / 2);
  for (let t = 0; t < o.warmupTicks; t++) {
    if (t === collectAt) (globalThis as { gc?: () => void }).gc?.();
    await step(t);
  }
  await telemetry.flush();
  const spansBefore = await telemetry.spans();
  if (o.gate) await waitForDriver();
  loadavg(); // callgrind dump: the window starts
  for (let t = o.warmupTicks; t < total; t++) await step(t);
  await telemetry.flush();
  loadavg(); // callgrind dump: the window ends
  const stats = game.stats.snapshot();
  const report: WorkloadReport = {
    variant: o.variant,
    ratio: o.ratio,
    ticks: o.ticks,
    players: sessions.playing.length,
    fires: script.fireCount,
    spans_exported: (await telemetry.spans()) - spansBefore,
    server_tick: game.tick,
    game: {
      checksum: worldChecksum(game.world),
      shots: stats.shots,
      carves: stats.carves,
      chunks_meshed: stats.chunksMeshed,
      delta_bytes: stats.deltaBytes,
      errors: Object.values(stats.errors).reduce((a, b) => a + b, 0),
    },
  };
  await telemetry.stop();
  await mesher.close();
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runWorkload(parseWorkloadArgs(process.argv.slice(2))).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exit(1);
    },
  );
}
