// Load benchmark: `npm run loadtest -- --bots N --seconds S [--url ws://...] [--json] [--tick-hz 30]`.
// Starts the game server in-process on a free loopback port (unless --url), runs N bots that
// move and shoot in a child process, and prints tick ms percentiles, ticks over budget, bytes
// per client per second, carves per second and entities in view. A benchmark, not a test:
// it prints figures and never fails on them.
//
// Why a child process for the bots: on a 2-core machine the server's main thread, its mesh
// worker and 200 bots all compete for CPU. In a separate process the bots' decoding, GC pauses
// and timers run on their own event loop and heap, so they can delay the server only through
// the OS scheduler (as real clients on other machines never would), not by blocking its event
// loop or adding to its GC; the tick durations measured inside the server stay its own work.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startServer } from "../src/server/app.ts";
import type { ServerHandle } from "../src/server/app.ts";
import type { SwarmConfig, SwarmResult } from "./bots/swarm.ts";
import { SYSTEMS } from "../src/server/telemetry/facade.ts";

interface Args {
  bots: number;
  seconds: number;
  url: string | null;
  json: boolean;
  tickHz: number;
  fireEvery: number;
  roam: number;
  interest: number;
  meshWorkers: number;
  warmup: number;
}

const LIMITS = { bots: 1000, seconds: 600 } as const;

function parseArgs(argv: string[]): Args {
  const a: Args = { bots: 50, seconds: 10, url: null, json: false, tickHz: 30, fireEvery: 4, roam: 150, interest: 64, meshWorkers: 1, warmup: 3 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const num = (lo: number, hi: number): number => {
      const n = Number(v());
      if (!Number.isFinite(n) || n < lo || n > hi) throw new Error(`${k} must be a number in [${lo}, ${hi}]`);
      return n;
    };
    switch (k) {
      case "--bots": a.bots = Math.round(num(1, LIMITS.bots)); break;
      case "--seconds": a.seconds = num(1, LIMITS.seconds); break;
      case "--url": a.url = v(); break;
      case "--json": a.json = true; break;
      case "--tick-hz": a.tickHz = Math.round(num(1, 120)); break;
      case "--fire-every": a.fireEvery = num(0, 600); break;
      case "--roam": a.roam = num(4, 1000); break;
      case "--interest": a.interest = num(8, 1024); break;
      case "--mesh-workers": a.meshWorkers = Math.round(num(0, 8)); break;
      case "--warmup": a.warmup = num(0, 120); break;
      default: throw new Error(`unknown option ${k}`);
    }
  }
  if (a.url !== null) {
    const host = new URL(a.url).hostname;
    if (!["127.0.0.1", "localhost", "[::1]", "::1"].includes(host)) throw new Error("--url must point at a loopback address");
  }
  return a;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let server: ServerHandle | null = null;
  let url = args.url;
  if (url === null) {
    // Players spawn spread over the roaming disc, so the run measures a dispersed crowd from the start.
    server = await startServer({
      host: "127.0.0.1", port: 0, tickHz: args.tickHz, interestRadius: args.interest, meshWorkers: args.meshWorkers,
      maxPlayers: Math.max(256, args.bots + 8), spawnSpread: args.roam,
    });
    url = server.wsUrl;
  }
  const child = fork(fileURLToPath(new URL("./bots/swarm.ts", import.meta.url)), [], { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const config: SwarmConfig = { url, bots: args.bots, seconds: args.seconds, fireEvery: args.fireEvery, roam: args.roam, inputHz: args.tickHz, trackers: 2, warmup: args.warmup };
  const ready = await new Promise<{ connected: number; joinMs: number }>((resolve, reject) => {
    child.on("message", (m: { type: string; connected?: number; joinMs?: number; error?: string }) => {
      if (m.type === "ready") resolve({ connected: m.connected ?? 0, joinMs: m.joinMs ?? 0 });
      if (m.type === "failed") reject(new Error(m.error));
    });
    child.once("exit", (code) => reject(new Error(`bot process exited early (${code})`)));
    child.send({ type: "start", config });
  });

  // Bots play through the warm-up; the measurement window opens when the swarm says so, and
  // from then on every tick duration and the server's counters are recorded.
  let windowStats = server?.stats();
  let ticksBefore = server?.game.tick ?? 0;
  let sysBefore = server ? { ...server.tickStats.systemMs } : null;
  let cpuBefore = process.cpuUsage();
  let t0 = performance.now();
  const openWindow = (): void => {
    windowStats = server?.stats();
    ticksBefore = server?.game.tick ?? 0;
    sysBefore = server ? { ...server.tickStats.systemMs } : null;
    if (server) {
      server.tickStats.recording = [];
      server.tickStats.systemRecording = [];
      server.flushStats.recording = [];
    }
    cpuBefore = process.cpuUsage();
    t0 = performance.now();
  };
  const result = await new Promise<SwarmResult>((resolve, reject) => {
    child.removeAllListeners("message");
    child.removeAllListeners("exit");
    child.on("message", (m: SwarmResult | { type: "window" }) => {
      if (m.type === "window") openWindow();
      if (m.type === "result") resolve(m);
    });
    child.once("exit", (code) => reject(new Error(`bot process exited (${code})`)));
    child.send({ type: "measure" });
  });
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const ticks = server?.tickStats.recording ?? [];
  const perSystem = server?.tickStats.systemRecording ?? [];
  const flushes = server?.flushStats.recording ?? [];
  if (server) {
    server.tickStats.recording = null;
    server.tickStats.systemRecording = null;
    server.flushStats.recording = null;
  }
  const after = server?.stats();
  const serverChecksum = server?.checksum();

  const sorted = ticks.length > 0 ? [...ticks].sort((x, y) => x - y) : [...result.tickMaxSamples].sort((x, y) => x - y);
  const flushSorted = [...flushes].sort((x, y) => x - y);
  const budget = 1000 / args.tickHz;
  const inView = result.entitiesInView;
  const viewMean = inView.reduce((s, x) => s + x, 0) / Math.max(1, inView.length);
  const viewSorted = [...inView].sort((x, y) => x - y);
  const before = windowStats;
  const measured = server !== null && before !== undefined && after !== undefined;
  const carvesPerS = measured ? (after.carves - before.carves) / result.seconds : result.carvesSeenByFirst / result.seconds;
  const tickCount = server ? server.game.tick - ticksBefore : 0;
  const systems: Record<string, number> = {};
  if (server && sysBefore) for (const [k, v] of Object.entries(server.tickStats.systemMs)) systems[k] = r2((v - sysBefore[k as keyof typeof sysBefore]) / Math.max(1, tickCount));
  const checksumsAgree = result.checksums.every((c) => c === result.checksums[0]) && (serverChecksum === undefined || result.checksums[0] === serverChecksum);
  const report = {
    bots: args.bots,
    connected: result.connected,
    closed_during_run: result.closed,
    seconds: r2(result.seconds),
    warmup_s: args.warmup,
    tick_hz: args.tickHz,
    tick_source: ticks.length > 0 ? "server" : "delta samples: max tick ms per stats window",
    ticks: ticks.length > 0 ? ticks.length : sorted.length,
    tick_p50_ms: r2(percentile(sorted, 50)),
    tick_p95_ms: r2(percentile(sorted, 95)),
    tick_p99_ms: r2(percentile(sorted, 99)),
    tick_max_ms: r2(sorted[sorted.length - 1] ?? NaN),
    tick_budget_ms: r2(budget),
    ticks_over_budget: sorted.filter((x) => x > budget).length,
    system_ms_per_tick: systems,
    // The three slowest ticks, each with its systems' ms and the time not spent in any system.
    slowest_ticks: ticks
      .map((ms, i) => ({ ms, i }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map(({ ms, i }) => {
        const row = perSystem[i];
        const parts: Record<string, number> = { total: r2(ms) };
        let inSystems = 0;
        if (row) for (let k = 0; k < SYSTEMS.length; k++) {
          inSystems += row[k];
          if (row[k] >= 0.5) parts[SYSTEMS[k]] = r2(row[k]);
        }
        parts.outside_systems = r2(ms - inSystems);
        return parts;
      }),
    socket_flush_p50_ms: r2(percentile(flushSorted, 50)),
    socket_flush_p99_ms: r2(percentile(flushSorted, 99)),
    socket_flush_ms_per_s: r2(flushes.reduce((a, b) => a + b, 0) / result.seconds),
    bytes_per_client_per_s: Math.round(result.payloadBytes / result.connected / result.seconds),
    wire_bytes_per_client_per_s: Math.round(result.wireBytes / result.connected / result.seconds),
    frames_per_client_per_s: r2(result.frames / result.connected / result.seconds),
    carves_per_s: r2(carvesPerS),
    chunks_dirtied_per_s: measured ? r2((after.chunksDirtied - before.chunksDirtied) / result.seconds) : null,
    chunks_meshed_per_s: measured ? r2((after.chunksMeshed - before.chunksMeshed) / result.seconds) : null,
    mesh_queue_length_end: server ? server.game.meshQueue.length : null,
    shots_per_s: measured ? r2((after.shots - before.shots) / result.seconds) : null,
    hits_per_s: measured ? r2((after.hits.npc + after.hits.player - before.hits.npc - before.hits.player) / result.seconds) : null,
    entities_in_view_mean: r2(viewMean),
    entities_in_view_p50: percentile(viewSorted, 50),
    entities_in_view_max: viewSorted[viewSorted.length - 1] ?? 0,
    join_s: r2(ready.joinMs / 1000),
    server_cpu_percent: server ? r2(((cpu.user + cpu.system) / 1000 / (wallS * 1000)) * 100) : null,
    bots_cpu_percent: r2(result.cpuPercent),
    server_errors: measured ? Object.fromEntries(Object.entries(after.errors).map(([k, v]) => [k, v - before.errors[k as keyof typeof before.errors]]).filter(([, v]) => (v as number) > 0)) : null,
    decode_errors: result.decodeErrors,
    mirror_inconsistencies: result.inconsistencies,
    checksums_agree: checksumsAgree,
  };

  if (args.json) {
    console.log(JSON.stringify(report));
  } else {
    const lines = [
      `loadtest: ${report.connected}/${report.bots} bots, ${report.seconds} s measured after ${args.warmup} s warm-up, ${args.tickHz} Hz, ${server ? "in-process server" : url}, bots in a child process (joined in ${report.join_s} s)`,
      `tick ms        p50 ${report.tick_p50_ms}  p95 ${report.tick_p95_ms}  p99 ${report.tick_p99_ms}  max ${report.tick_max_ms}  (${report.ticks} ${report.tick_source === "server" ? "ticks" : "samples"}, budget ${report.tick_budget_ms} ms, over budget ${report.ticks_over_budget}) [${report.tick_source}]`,
      server ? `systems ms/tick ${Object.entries(systems).map(([k, v]) => `${k} ${v}`).join("  ")}` : "",
      server ? `slowest ticks  ${report.slowest_ticks.map((t) => JSON.stringify(t)).join("  ")}` : "",
      server ? `socket flush   p50 ${report.socket_flush_p50_ms}  p99 ${report.socket_flush_p99_ms} ms after each tick (${report.socket_flush_ms_per_s} ms/s; writes queued by the net system)` : "",
      `bytes/client/s ${report.bytes_per_client_per_s} payload, ${report.wire_bytes_per_client_per_s} with WebSocket framing (${report.frames_per_client_per_s} frames/s)`,
      `carves/s       ${report.carves_per_s}   shots/s ${report.shots_per_s ?? "n/a"}   npc+player hits/s ${report.hits_per_s ?? "n/a"}`,
      server ? `chunks/s       dirtied ${report.chunks_dirtied_per_s}  meshed ${report.chunks_meshed_per_s}  (mesh queue ${report.mesh_queue_length_end} at the end)` : "",
      `entities in view  mean ${report.entities_in_view_mean}  p50 ${report.entities_in_view_p50}  max ${report.entities_in_view_max}`,
      `cpu            server ${report.server_cpu_percent === null ? "n/a" : `${report.server_cpu_percent}% of one core (main thread + mesh worker)`}, bot process ${report.bots_cpu_percent}%`,
      `errors         server ${JSON.stringify(report.server_errors)}  decode ${report.decode_errors}  mirror ${report.mirror_inconsistencies}  closed ${report.closed_during_run}`,
      `world checksum ${checksumsAgree ? (serverChecksum === undefined ? "tracking bots agree" : "bots and server agree") : "MISMATCH"} (${result.checksums.join(", ")}${serverChecksum !== undefined ? ` vs server ${serverChecksum}` : ""})`,
    ].filter((l) => l !== "");
    console.log(lines.join("\n"));
  }
  await server?.stop();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
