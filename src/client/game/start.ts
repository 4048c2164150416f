// How a game session starts: offline, the world for the URL's seed is generated in this tab;
// online, the connection's welcome names the world, which is generated (in a supervised
// worker) while the server's edits arrive and the GPU pipelines compile. Either way the result
// is a world, a renderer and where the player stands.
import type { World } from "../../shared/voxel/world.ts";
import { DEFAULT_WORLD_GEN, SPAWN_YAW } from "../../shared/voxel/worldgen.ts";
import type { WorldGenConfig } from "../../shared/voxel/worldgen.ts";
import type { Connection, NetStatus } from "../net/connection.ts";
import { OnlineSession } from "../net/online-session.ts";
import { Renderer } from "../render/renderer.ts";
import type { RendererOptions } from "../render/renderer.ts";
import { reportError } from "../telemetry/facade.ts";
import type { MessagePanel } from "../ui/message.ts";
import { createWorkerFailures } from "../workers/supervise.ts";
import type { WorkerFailureKind } from "../workers/supervise.ts";
import type { PlayerOptions } from "./player.ts";
import { loadWorld } from "./world-loader.ts";

/** Where the world came from, and the pieces that differ between online and offline play. */
export interface Session {
  readonly world: World;
  readonly renderer: Renderer;
  readonly spawn: readonly [number, number, number];
  readonly spawnYaw: number;
  /** Null offline. */
  readonly online: OnlineSession | null;
  readonly player: PlayerOptions;
}

/** Failures of the mesher and worldgen workers, counted together (GameStats.workers, overlay, breadcrumbs). */
export const workerFailures = createWorkerFailures();

/** A failed worker is counted, replaced and its jobs requeued; with crash consent it is also reported. */
export function reportWorkerFailure(worker: string): (kind: WorkerFailureKind, detail: string) => void {
  return (kind, detail) => reportError(new Error(`${worker} worker ${kind === "crash" ? "crashed" : "hung"}: ${detail}`));
}

/** Generates a world in a supervised worker, counting failures with the mesher's. */
function loadSupervisedWorld(config: WorldGenConfig): ReturnType<typeof loadWorld> {
  return loadWorld(config, { failures: workerFailures, onWorkerFailure: reportWorkerFailure("worldgen") });
}

/** Offline: generate the world for the URL's seed while the GPU pipelines compile. */
export async function startOffline(canvas: HTMLCanvasElement, seed: number, rendererOptions: RendererOptions, panel: MessagePanel): Promise<Session> {
  panel.show("Loading", "Generating the world…");
  const config: WorldGenConfig = { ...DEFAULT_WORLD_GEN, seed };
  const [loaded, renderer] = await Promise.all([loadSupervisedWorld(config), Renderer.create(canvas, config, rendererOptions)]);
  return { world: loaded.world, renderer, spawn: loaded.spawn, spawnYaw: SPAWN_YAW, online: null, player: {} };
}

/** What an online start reports to the page. */
export interface OnlineStartEvents {
  /** The connection status changed. */
  status(status: NetStatus): void;
  /** The game cannot go on (the world could not be generated). */
  fatal(err: unknown): void;
}

/**
 * Online: connect, learn the world's seed and size from the welcome, then generate it (worker)
 * and replay the server's edits while the GPU pipelines compile.
 */
export async function startOnline(connection: Connection, canvas: HTMLCanvasElement, rendererOptions: RendererOptions, panel: MessagePanel, events: OnlineStartEvents): Promise<Session> {
  const online = new OnlineSession(connection, (config) => loadSupervisedWorld(config).then((l) => l.world), {
    status: events.status,
    incompatible: () => {
      // The server now runs a world of another size: this page's renderer cannot follow it.
      panel.show("The game world changed", "Reloading…");
      location.reload();
    },
    failed: (err) => {
      connection.close();
      events.fatal(err);
    },
  });
  online.start();
  const welcome = await online.welcomed;
  const [world, renderer] = await Promise.all([online.sync.ready, Renderer.create(canvas, welcome, rendererOptions)]);
  const s = online.self;
  return {
    world,
    renderer,
    spawn: [s.x, s.y, s.z],
    spawnYaw: welcome.spawnYaw,
    online,
    // Steps of exactly the server's input dt, as float32 like the wire, so prediction replays match.
    player: { stepDt: Math.fround(1 / welcome.tickHz), float32Inputs: true, onStep: online.sendStep, respawnOnFall: false },
  };
}
