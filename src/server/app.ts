// Server bootstrap: config -> store (claim the zone, load its snapshot and log) -> world (generated,
// then the stored edits replayed) -> tick loop -> HTTP + WebSocket. startServer() is what
// the CLI (main.ts), the integration tests and the loadtest call; it returns a handle to the
// running server (its port, world, stats) and a stop() that shuts it down cleanly within
// config.shutdownTimeoutMs. The game port is guarded (net/listener-guard.ts): header, body
// and idle deadlines, connection caps, and an error path on every socket, request and response.
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { worldChecksum } from "../shared/voxel/checksum.ts";
import type { World } from "../shared/voxel/world.ts";
import { resolveServerConfig } from "./config.ts";
import type { ServerConfig, ServerOverrides } from "./config.ts";
import type { Game } from "./game/state.ts";
import { Game as GameState } from "./game/state.ts";
import type { ServerStatsSnapshot } from "./game/stats.ts";
import { healthRoute } from "./http/health.ts";
import { sendText } from "./http/respond.ts";
import type { HttpRoute } from "./http/routes.ts";
import { createStaticHandler } from "./http/static.ts";
import { Scheduler } from "./loop/scheduler.ts";
import type { MutableTickContext } from "./loop/scheduler.ts";
import { TickLoop } from "./loop/tick-loop.ts";
import type { TickStats } from "./loop/tick-stats.ts";
import { MeshPool } from "./mesh/pool.ts";
import { httpServerOptions, ListenerGuard } from "./net/listener-guard.ts";
import type { ListenerLimits } from "./net/listener-guard.ts";
import { SessionManager } from "./net/sessions.ts";
import { WsTransport } from "./net/ws-transport.ts";
import { runStopSteps } from "./shutdown.ts";
import type { StopReport, StopStep } from "./shutdown.ts";
import { describeStore, openZoneStore, parseStoreSpec } from "./store/index.ts";
import type { StoreSpec, ZoneStore } from "./store/index.ts";
import type { FencedError } from "./store/types.ts";
import { sameWorld } from "./store/identity.ts";
import type { ZoneWriter } from "./store/zone-writer.ts";
import { SYSTEM_ORDER } from "./systems/index.ts";
import type { System } from "./systems/index.ts";
import { logger, metrics, SPAN_NAMES, tracing } from "./telemetry/facade.ts";
import { generateWorldFor, worldIdentity } from "./game/state.ts";
import type { ZoneCoordinator } from "./zones/coordinator.ts";
import type { GeneratedWorld } from "../shared/voxel/worldgen.ts";
import type { PendingWorld } from "./game/worldgen-thread.ts";
import type { RedisCoordinator } from "./zones/coordinator-redis.ts";
import { ZoneHandoffs } from "./zones/handoff.ts";
import { describeCoord, parseCoordSpec, parseZoneLinks } from "./zones/spec.ts";
import type { CoordSpec, ZoneLinks } from "./zones/spec.ts";

const log = logger("server");

/** startServer options: any setting code may fix (or a configuration already resolved), plus extra HTTP routes. */
export interface StartServerOptions extends ServerOverrides {
  /** The whole configuration, already resolved (startGame's); the settings above are then ignored. */
  readonly config?: ServerConfig;
  /** Routes tried after /healthz and before the static files (e.g. telemetry ingest). */
  readonly routes?: readonly HttpRoute[];
  /** Start the tick loop right away (default true); false leaves ticking to handle.tickOnce(). */
  readonly autoTick?: boolean;
  /** The systems in tick order (default SYSTEM_ORDER; the fault switch wraps them). */
  readonly systems?: readonly System[];
  /**
   * Called once if another process takes the zone over (the store fenced this one). The tick
   * has stopped by then; the caller stops the server and exits (default: only the stop).
   */
  readonly onFenced?: (err: FencedError) => void;
  /** host:port of this process's metrics listener, advertised in the zone directory (null: none). */
  readonly metricsAddress?: string | null;
  /**
   * The world already being generated on a thread (main.ts starts it before loading the
   * server). Used when it is this config's world; otherwise, or if its thread failed, the world
   * is generated here.
   */
  readonly world?: PendingWorld;
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
  /** The zone's writer (its store, backlog, fencing). */
  readonly writer: ZoneWriter;
  /** Hand-offs to and from linked zones (null with COORD=local). */
  readonly zones: ZoneHandoffs | null;
  /** True while the tick loop runs. */
  running(): boolean;
  /** Runs one tick now (tests with autoTick false). */
  tickOnce(): void;
  /** Resolves after `n` more ticks. */
  waitForTicks(n: number): Promise<void>;
  /** Open TCP connections on the game port. */
  openConnections(): number;
  /** Refuses new players (first step of a graceful shutdown). */
  stopAccepting(): void;
  /**
   * The named steps of a graceful stop, in order: stop accepting (and the loop), close every
   * connection (1001), close the HTTP listener, stop the mesh workers. Each runs once.
   */
  stopSteps(): StopStep[];
  /** Runs stopSteps() within config.shutdownTimeoutMs; never rejects. Idempotent. */
  stop(): Promise<StopReport>;
}

/** Builds the world and starts serving; resolves once the port is bound. */
export async function startServer(options: StartServerOptions = {}): Promise<ServerHandle> {
  const { routes = [], autoTick = true, config: resolved, systems = SYSTEM_ORDER, onFenced, metricsAddress = null, world, ...overrides } = options;
  const config = resolved ?? resolveServerConfig(overrides);
  const game = await recoverZone(config, world);
  game.spawnNpcs();

  const mesher = new MeshPool(config.meshWorkers);
  mesher.onWorkerError = () => game.stats.recordError("mesh_worker");
  const { http, guard, transport } = gamePort(config, game);
  const sessions = new SessionManager(game, transport);
  const ctx: MutableTickContext = {
    tick: 0, dt: 1 / config.tickHz, nowMs: 0, elapsed: 1 / config.tickHz, zone: config.zone, shard: config.shard, net: sessions, mesher,
  };
  const scheduler = new Scheduler(game, systems, ctx);
  const waiters = new Set<() => void>();
  let zones: ZoneHandoffs | null = null;
  const tick = (): void => {
    zones?.beforeTick();
    scheduler.tick();
    zones?.afterTick();
    for (const w of waiters) w();
  };
  const loop = new TickLoop(config.tickHz, tick);
  const startedAt = performance.now();
  metrics.zoneOwned(true);
  game.writer.onFenced((err) => {
    // Another process owns the zone now: not one more tick, then the caller stops the server.
    metrics.zoneOwned(false);
    loop.stop();
    sessions.stopAccepting();
    onFenced?.(err);
  });

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
  if (config.distDir !== null) {
    // A page may be handed to any zone in the directory: its CSP lets it connect to their origins.
    allRoutes.push(createStaticHandler(config.distDir, { onBadPath: () => game.stats.recordError("bad_path"), connectSources: () => zones?.origins ?? [] }));
  }
  serveRoutes(http, guard, allRoutes);
  sessions.start();
  await listen(http, config.port, config.host);
  const port = (http.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
  const coordSpec = parseCoordSpec(config.coord) as CoordSpec;
  if (coordSpec.kind === "redis") {
    // Loaded only when configured: ioredis and the coordinator are not part of a single-zone start.
    const { RedisCoordinator } = await import("./zones/coordinator-redis.ts");
    zones = startZones(RedisCoordinator, coordSpec, config, game, sessions, config.publicUrl ?? `ws://${hostForUrl}:${port}/ws`, metricsAddress);
  }
  if (autoTick) loop.start();

  const steps = stopSteps(sessions, loop, http, mesher, game, zones?.coord ?? null);
  let stopping: Promise<StopReport> | null = null;
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
    writer: game.writer,
    zones,
    running: () => loop.running,
    tickOnce: tick,
    waitForTicks: (n) => afterTicks(waiters, n),
    openConnections: () => guard.openConnections,
    stopAccepting: () => sessions.stopAccepting(),
    stopSteps: () => [...steps],
    stop: () => {
      stopping ??= runStopSteps(steps, config.shutdownTimeoutMs, log);
      return stopping;
    },
  };
  log.info({ url: handle.url, tick_hz: config.tickHz }, "game server listening");
  return handle;
}

/** Answers each request on the game port with the first route that takes it (404, or 405 for other methods, after the last). */
function serveRoutes(http: Server, guard: ListenerGuard, routes: readonly HttpRoute[]): void {
  http.on("request", (req, res) => {
    guard.watch(req, res);
    if (guard.refuse(req, res)) return;
    void (async () => {
      for (const route of routes) if (await route(req, res)) return;
      sendText(res, req.method === "GET" || req.method === "HEAD" ? 404 : 405, "text/plain", "not found\n");
    })().catch((err: unknown) => {
      log.error({ error: err instanceof Error ? err.message : String(err) }, "http handler failed");
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
}

/** Binds the game port; rejects with the listen error (EADDRINUSE...). */
function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
}

/** Resolves after `n` more ticks: a waiter the tick function calls once per tick. */
function afterTicks(waiters: Set<() => void>, n: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let left = n;
    const w = (): void => {
      if (--left <= 0) {
        waiters.delete(w);
        resolve();
      }
    };
    waiters.add(w);
  });
}

/** The game port: an http.Server with its guard (deadlines, caps, error paths) and the WebSocket transport. */
function gamePort(config: ServerConfig, game: GameState): { http: Server; guard: ListenerGuard; transport: WsTransport } {
  const limits: ListenerLimits = {
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    idleTimeoutMs: config.httpIdleTimeoutMs,
    keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
  };
  const http = createServer(httpServerOptions(limits));
  const guard = new ListenerGuard(http, {
    listener: "game",
    limits,
    fault: (stage, code) => game.stats.recordSocketError(stage, code),
    refused: (reason) => game.stats.recordRefused(reason),
    open: (n) => metrics.connectionsOpen("game", n),
    log: logger("http"),
  });
  const transport = new WsTransport(http, {
    admit: (socket) => !guard.isRefused(socket),
    fault: (stage, code) => game.stats.recordSocketError(stage, code),
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
  });
  return { http, guard, transport };
}

/**
 * Claims the zone in the configured store, generates the world and replays what the store holds
 * onto it (measured as game_store_recovery_duration_seconds, traced as zone.recover). Rejects
 * with a message naming the setting when the zone cannot be opened (owned elsewhere, another
 * world, unreachable).
 */
async function recoverZone(config: ServerConfig, pending: PendingWorld | undefined): Promise<GameState> {
  const t0 = performance.now();
  const spec = parseStoreSpec(config.store) as StoreSpec;
  const fields = { zone: config.zone, shard: config.shard, backend: spec.backend };
  return tracing.withSpan(SPAN_NAMES.zoneRecover, fields, async (span) => {
    // The store thread starts and loads the zone while this thread generates the world.
    const opening = openZoneStore(spec, config.zone, worldIdentity(config), {
      sqliteSync: config.storeSync,
      leaseMs: config.storeLeaseMs,
      leaseRenewMs: Math.max(100, Math.floor(config.storeLeaseMs / 3)),
      claimTimeoutMs: config.storeClaimTimeoutMs,
      log: logger("store"),
      onLeaseRenewalFailure: () => metrics.zoneLeaseRenewalFailure(),
    });
    // It may fail while the world is still awaited below; its error is taken when it is awaited
    // (not reported as an unhandled rejection, which is fatal).
    opening.catch(() => {});
    let gen: GeneratedWorld;
    const genStart = performance.now();
    try {
      gen = await takeWorld(pending, config);
    } catch (err) {
      await opening.then((s) => s.close(), () => {});
      throw err;
    }
    const genMs = performance.now() - genStart;
    const store: ZoneStore = await opening;
    const loadedMs = performance.now() - t0;
    let game: GameState;
    try {
      game = new GameState(config, store.image, gen);
    } catch (err) {
      await store.close();
      throw err;
    }
    const writer = game.attachStore(store);
    const stale = game.savedPlayers.load(store.image.players, Date.now() - config.playerRecordTtlMs);
    writer.queuePlayers([], stale);
    const seconds = (performance.now() - t0) / 1000;
    metrics.storeRecovery(seconds);
    const image = store.image;
    span.setAttributes({ snapshot_seq: image.snapshotSeq, last_seq: image.lastSeq, chunks: image.chunks.length, edits: image.tail.length });
    log.info({
      store: describeStore(spec), epoch: store.epoch, snapshot_seq: image.snapshotSeq, last_seq: image.lastSeq, chunks: image.chunks.length,
      edits: image.tail.length, players: game.savedPlayers.size, gen_ms: Math.round(genMs), load_ms: Math.round(loadedMs), ms: Math.round(seconds * 1000),
      seed: config.seed, size: `${config.chunksX}x${config.chunksY}x${config.chunksZ}`,
    }, "zone recovered");
    return game;
  });
}

/** The world `pending` generated when it is `config`'s and its thread succeeded, else one generated here. */
async function takeWorld(pending: PendingWorld | undefined, config: ServerConfig): Promise<GeneratedWorld> {
  if (pending === undefined || !sameWorld(pending.config, worldIdentity(config))) return generateWorldFor(config);
  try {
    return await pending.world;
  } catch (err) {
    log.warn({ error: err instanceof Error ? err.message : String(err) }, "world generation thread failed; generating here");
    return generateWorldFor(config);
  }
}

/** The graceful stop's named steps, in order; each runs at most once however often it is called. */
function stopSteps(sessions: SessionManager, loop: TickLoop, http: Server, mesher: MeshPool, game: GameState, coord: ZoneCoordinator | null): StopStep[] {
  const once = (name: string, run: () => unknown, reserveMs?: number): StopStep => {
    let started: Promise<unknown> | null = null;
    return { name, reserveMs, run: () => (started ??= Promise.resolve().then(run)) };
  };
  return [
    once("stop accepting", () => {
      sessions.stopAccepting();
      loop.stop();
    }),
    // Reserves: the WebSocket close handshake gives up after 1 s; the rest is quick when well.
    once("close connections", () => sessions.shutdown(), 1500),
    // Every edit carved and every player record queued becomes durable before the store closes.
    once("flush store", () => game.writer.drain(), 2000),
    once("close game listener", () => new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    }), 500),
    once("stop mesh workers", () => mesher.close(), 500),
    once("close coordinator", () => coord?.close(), 500),
    once("close store", async () => {
      await game.writer.close();
      log.info({ ticks: game.tick, committed_seq: game.log.committedSeq }, "server stopped");
    }, 500),
  ];
}

/**
 * COORD=redis://: connects the coordinator, advertises this zone in the directory (its public
 * URL, metrics address, population and tick p99) and installs hand-offs to the linked zones.
 */
function startZones(Coordinator: typeof RedisCoordinator, spec: Extract<CoordSpec, { kind: "redis" }>, config: ServerConfig, game: GameState, sessions: SessionManager, url: string, metricsAddr: string | null): ZoneHandoffs {
  const links = parseZoneLinks(config.zoneLinks, config.zone) as ZoneLinks;
  const self = { url, metrics: metricsAddr, epoch: game.writer.store?.epoch ?? 1, population: 0, tickP99Ms: 0 };
  let handoffs: ZoneHandoffs | null = null;
  const coord = new Coordinator({
    url: spec.url, zone: config.zone, self, directoryTtlMs: config.directoryTtlMs, commandTimeoutMs: Math.max(100, Math.floor(config.handoffTimeoutMs / 2)),
    onSeatRequest: (from, sessionId) => handoffs?.seatRequest(from, sessionId) ?? "refused_full", log: logger("zone"),
  });
  handoffs = new ZoneHandoffs(game, sessions, coord, links, self, config);
  log.info({ coord: describeCoord(spec), links: config.zoneLinks, url }, "zone coordination on");
  return handoffs;
}
