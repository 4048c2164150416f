// Shared helpers for server tests: a small deterministic world config, server start/stop, and
// aiming helpers for bots.
import { expect } from "vitest";
import { startServer } from "../../src/server/app.ts";
import type { ServerHandle, StartServerOptions } from "../../src/server/app.ts";
import { ConfigError, resolveServerConfig } from "../../src/server/config.ts";
import type { ServerConfig } from "../../src/server/config.ts";
import { Game } from "../../src/server/game/state.ts";
import { SPAWN_WALL_DID } from "../../src/shared/voxel/worldgen.ts";
import type { Bot } from "../../src/server/bots/bot.ts";
import { MeshPool } from "../../src/server/mesh/pool.ts";
import type { MeshPort } from "../../src/server/mesh/pool.ts";
import { MemoryTransport } from "../../src/server/net/memory-transport.ts";
import { SessionManager } from "../../src/server/net/sessions.ts";
import type { MutableTickContext } from "../../src/server/loop/scheduler.ts";

/** A 256x128x256 world: big enough for the spawn plaza and its wall, quick to generate. */
export const SMALL_WORLD = { seed: 4242, chunksX: 8, chunksY: 4, chunksZ: 8 } as const;

/** Test server options: loopback, free port, small world, no spawn spread, the world kept in memory. */
function testOptions(extra: StartServerOptions = {}): StartServerOptions {
  return { host: "127.0.0.1", port: 0, ...SMALL_WORLD, spawnSpread: 0, npcCount: 20, meshWorkers: 1, store: "memory", ...extra };
}

/** Starts a real server in-process on a free loopback port. */
export function startTestServer(extra: StartServerOptions = {}): Promise<ServerHandle> {
  return startServer(testOptions(extra));
}

/** A Game on the small world, without networking (system unit tests). */
export function testGame(extra: Partial<ServerConfig> = {}): Game {
  return new Game(resolveServerConfig({ ...SMALL_WORLD, spawnSpread: 0, npcCount: 20, store: "memory", ...extra }));
}

/** Direction from the bot's eye to the centre of the spawn wall's face towards the spawn. */
export function aimAtSpawnWall(bot: Bot): [number, number, number] {
  const wall = bot.gen!.destructibles.find((d) => d.did === SPAWN_WALL_DID)!;
  const [ex, ey, ez] = bot.eye();
  const tx = (wall.min[0] + wall.max[0] + 1) / 2;
  const ty = Math.min(ey, (wall.min[1] + wall.max[1] + 1) / 2);
  const tz = wall.max[2] + 1;
  return [tx - ex, ty - ey, tz - ez];
}


/** A game plus everything systems need, networked through an in-memory transport. */
export interface SystemHarness {
  game: Game;
  ctx: MutableTickContext;
  transport: MemoryTransport;
  sessions: SessionManager;
  mesher: MeshPort;
  /** Advances ctx like the scheduler does (tick number and simulated time). */
  step(): void;
}

/** Builds a harness; `meshWorkers` 0 meshes inline (synchronous, deterministic). */
export function harness(extra: Partial<ServerConfig> = {}, meshWorkers = 0): SystemHarness {
  const game = testGame(extra);
  const transport = new MemoryTransport();
  const sessions = new SessionManager(game, transport);
  sessions.start();
  const mesher = new MeshPool(meshWorkers);
  const ctx: MutableTickContext = {
    tick: 0, dt: 1 / game.config.tickHz, nowMs: 0, elapsed: 1 / game.config.tickHz, zone: game.config.zone, shard: game.config.shard, net: sessions, mesher,
  };
  return {
    game, ctx, transport, sessions, mesher,
    step() {
      game.tick++;
      ctx.tick = game.tick;
      ctx.nowMs = game.timeMs;
      ctx.elapsed = ctx.dt;
      game.timeMs += ctx.dt * 1000;
    },
  };
}

/** The ConfigError `fn` throws (fails the test when it throws anything else, or nothing). */
export function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}
