// Server bootstrap: config -> world -> tick loop -> HTTP + WebSocket. startServer() is what
// the CLI (main.ts), the integration tests and the loadtest call; it returns a handle to the
// running server (its port, world, stats) and a stop() that shuts it down cleanly.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { worldChecksum } from "../shared/voxel/checksum.ts";
import type { World } from "../shared/voxel/world.ts";
import { resolveServerConfig } from "./config.ts";
import type { ServerConfig } from "./config.ts";
import type { Game } from "./game/state.ts";
import { Game as GameState } from "./game/state.ts";
import type { ServerStatsSnapshot } from "./game/stats.ts";
import { healthRoute } from "./http/health.ts";
import type { HttpRoute } from "./http/routes.ts";
import { createStaticHandler } from "./http/static.ts";
import { Scheduler } from "./loop/scheduler.ts";
import type { MutableTickContext } from "./loop/scheduler.ts";
import { TickLoop } from "./loop/tick-loop.ts";
import type { TickStats } from "./loop/tick-stats.ts";
import { MeshPool } from "./mesh/pool.ts";
import { SessionManager } from "./net/sessions.ts";
import { WsTransport } from "./net/ws-transport.ts";
import { SYSTEM_ORDER } from "./systems/index.ts";
import type { System } from "./systems/index.ts";
import { logger } from "./telemetry/facade.ts";

const log = logger("server");

/** startServer options: any ServerConfig field, plus extra HTTP routes. */
export interface StartServerOptions extends Partial<ServerConfig> {
  /** Routes tried after /healthz and before the static files (e.g. telemetry ingest). */
  readonly routes?: readonly HttpRoute[];
  /** Start the tick loop right away (default true); false leaves ticking to handle.tickOnce(). */
  readonly autoTick?: boolean;
  /** The systems in tick order (default SYSTEM_ORDER; the fault switch wraps them). */
  readonly systems?: readonly System[];
}

/** A running game server. */
export interface ServerHandle {
  readonly config: ServerConfig;
  /** The bound port (the real one when config.port was 0). */
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  /** ws://host:port/ws */
  readonly wsUrl: string;
  readonly game: Game;
  /** The authoritative voxel world. */
  readonly world: World;
  readonly sessions: SessionManager;
  readonly tickStats: TickStats;
  /** Socket flushes after each tick: count, frames, total ms, optional per-flush recording. */
  readonly flushStats: WsTransport["flushStats"];
  /** Counters: errors by class, hits, carves, bytes. */
  stats(): ServerStatsSnapshot;
  /** worldChecksum of the authoritative world. */
  checksum(): number;
  /** True while the tick loop runs. */
  running(): boolean;
  /** Runs one tick now (tests with autoTick false). */
  tickOnce(): void;
  /** Resolves after `n` more ticks. */
  waitForTicks(n: number): Promise<void>;
  /** Refuses new players (first step of a graceful shutdown). */
  stopAccepting(): void;
  /** Stops the loop, closes every connection (1001), the HTTP listener and the mesh workers. Idempotent. */
  stop(): Promise<void>;
}

/** Builds the world and starts serving; resolves once the port is bound. */
export async function startServer(options: StartServerOptions = {}): Promise<ServerHandle> {
  const { routes = [], autoTick = true, systems = SYSTEM_ORDER, ...overrides } = options;
  const config = resolveServerConfig(overrides);
  const t0 = performance.now();
  const game = new GameState(config);
  game.spawnNpcs();
  log.info({ seed: config.seed, chunks: `${config.chunksX}x${config.chunksY}x${config.chunksZ}`, npcs: config.npcCount, ms: Math.round(performance.now() - t0) }, "world generated");

  const mesher = new MeshPool(config.meshWorkers);
  mesher.onWorkerError = () => game.stats.recordError("mesh_worker");
  const http = createServer();
  const transport = new WsTransport(http);
  const sessions = new SessionManager(game, transport);
  const ctx: MutableTickContext = {
    tick: 0, dt: 1 / config.tickHz, nowMs: 0, elapsed: 1 / config.tickHz, zone: config.zone, shard: config.shard, net: sessions, mesher,
  };
  const scheduler = new Scheduler(game, systems, ctx);
  const waiters = new Set<() => void>();
  const tick = (): void => {
    scheduler.tick();
    for (const w of waiters) w();
  };
  const loop = new TickLoop(config.tickHz, tick);
  const startedAt = performance.now();

  const allRoutes: HttpRoute[] = [
    healthRoute({
      running: () => loop.running,
      tick: () => game.tick,
      tickHz: config.tickHz,
      lastTickAt: () => game.tickStats.lastTickAt,
      lastTickMs: () => game.tickStats.lastTickMs,
      clients: () => sessions.playing.length,
      startedAt,
    }),
    ...routes,
  ];
  if (config.distDir !== null) allRoutes.push(createStaticHandler(config.distDir));
  http.on("request", (req, res) => {
    void (async () => {
      for (const route of allRoutes) if (await route(req, res)) return;
      res.writeHead(req.method === "GET" || req.method === "HEAD" ? 404 : 405, { "content-type": "text/plain" }).end("not found\n");
    })().catch((err: unknown) => {
      log.error({ error: err instanceof Error ? err.message : String(err) }, "http handler failed");
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  sessions.start();
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
  if (autoTick) loop.start();

  let stopping: Promise<void> | null = null;
  const handle: ServerHandle = {
    config,
    port,
    url: `http://${hostForUrl}:${port}`,
    wsUrl: `ws://${hostForUrl}:${port}/ws`,
    game,
    world: game.world,
    sessions,
    tickStats: game.tickStats,
    flushStats: transport.flushStats,
    stats: () => game.stats.snapshot(),
    checksum: () => worldChecksum(game.world),
    running: () => loop.running,
    tickOnce: tick,
    waitForTicks: (n) =>
      new Promise<void>((resolve) => {
        let left = n;
        const w = (): void => {
          if (--left <= 0) {
            waiters.delete(w);
            resolve();
          }
        };
        waiters.add(w);
      }),
    stopAccepting: () => sessions.stopAccepting(),
    stop: () => {
      stopping ??= (async () => {
        sessions.stopAccepting();
        loop.stop();
        await sessions.shutdown();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        await mesher.close();
        log.info({ ticks: game.tick }, "server stopped");
      })();
      return stopping;
    },
  };
  log.info({ url: handle.url, tick_hz: config.tickHz }, "game server listening");
  return handle;
}
