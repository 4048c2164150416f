// The browser client's networking (Connection + OnlineSession + prediction + interpolation)
// against the real server in-process, over real WebSockets: join, walk with prediction (no
// corrections on flat ground), fire through the server, see NPCs where the server has them,
// survive a dropped connection while another player carves, and agree on the world checksum.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnlineSession } from "../../../src/client/net/online-session.ts";
import { PlayerController } from "../../../src/client/game/player.ts";
import type { TrackSample } from "../../../src/client/net/interpolation.ts";
import { Connection, NetStatus } from "../../../src/client/net/connection.ts";
import type { ServerHandle } from "../../../src/server/app.ts";
import { Bot } from "../../../src/server/bots/bot.ts";
import { MOVE } from "../../../src/shared/physics/movement.ts";
import { EntityKind } from "../../../src/shared/protocol/index.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { generateWorld, SPAWN_WALL_DID } from "../../../src/shared/voxel/worldgen.ts";
import { startTestServer } from "../../server/support.ts";
import { nodeTransport } from "../../../src/server/bots/node-transport.ts";

let server: ServerHandle;
const bots: Bot[] = [];

beforeAll(async () => {
  server = await startTestServer({ npcCount: 6 });
});

afterAll(async () => {
  await Promise.all(bots.map((b) => b.close()));
  await server?.stop();
});

/** A client as the page builds it, with a frame loop on timers. */
async function connectClient() {
  const connection = new Connection({ url: server.wsUrl, transport: nodeTransport() });
  const statuses: NetStatus[] = [];
  const online = new OnlineSession(connection, (config) => Promise.resolve(generateWorld(config).world), {
    status: (s) => statuses.push(s),
    incompatible: () => {
      throw new Error("incompatible world");
    },
    failed: (err) => {
      throw err;
    },
  });
  online.start();
  const welcome = await online.welcomed;
  const world = await online.sync.ready;
  const player = new PlayerController(world, [online.self.x, online.self.y, online.self.z], welcome.spawnYaw, {
    stepDt: Math.fround(1 / welcome.tickHz), float32Inputs: true, onStep: online.sendStep, respawnOnFall: false,
  });
  online.attachPlayer(player);
  const keys = { forward: 0, right: 0 };
  let last = performance.now();
  const loop = setInterval(() => {
    const now = performance.now();
    const dt = (now - last) / 1000;
    last = now;
    if (online.playable) player.update(dt, keys.forward, keys.right, false);
    else player.idle(dt);
    online.update(dt, now);
  }, 8);
  return { connection, online, player, world, keys, statuses, stop: () => {
    clearInterval(loop);
    connection.close();
  } };
}

async function until(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("the browser client's networking against the real server", () => {
  it("joins, predicts its walk without corrections, fires through the server and agrees on the world", async () => {
    const c = await connectClient();
    try {
      expect(c.connection.status).toBe(NetStatus.Playing);
      expect(worldChecksum(c.world)).toBe(server.checksum());
      const me = server.game.entities.byId(c.online.welcome!.entityId)!;
      expect(me).not.toBeNull();

      // Walk forward (towards -Z) for a second on the spawn plaza, then stop.
      c.keys.forward = 1;
      await new Promise((r) => setTimeout(r, 1000));
      c.keys.forward = 0;
      await until(() => c.online.prediction.count === 0 && c.online.report().unackedInputs === 0, 5000, "inputs acknowledged");
      await new Promise((r) => setTimeout(r, 200));
      expect(me.move.z).toBeLessThan(c.online.welcome!.spawnZ - 3);
      // The prediction is where the server has the player, and was never corrected.
      expect(c.player.state.x).toBeCloseTo(me.move.x, 3);
      expect(c.player.state.z).toBeCloseTo(me.move.z, 3);
      expect(c.player.state.y).toBeCloseTo(me.move.y, 3);
      expect(c.online.prediction.rewinds).toBe(0);

      // Fire at the spawn wall: the carve comes back with our command id and the worlds agree.
      const gen = generateWorld({ seed: server.config.seed, chunksX: server.config.chunksX, chunksY: server.config.chunksY, chunksZ: server.config.chunksZ });
      const wall = gen.destructibles[SPAWN_WALL_DID - 1];
      const eye = [c.player.state.x, c.player.state.y + MOVE.eyeHeight, c.player.state.z];
      const target = [(wall.min[0] + wall.max[0] + 1) / 2, Math.min(eye[1], (wall.min[1] + wall.max[1] + 1) / 2), wall.max[2] + 1];
      const d = [target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]];
      const len = Math.hypot(d[0], d[1], d[2]);
      let commandId = -1;
      let carved = false;
      // An NPC may step into the line of fire: retry after the cooldown.
      for (let attempt = 0; attempt < 8 && !carved; attempt++) {
        commandId = c.online.authority.fire(eye, [d[0] / len, d[1] / len, d[2] / len]);
        expect(commandId).toBeGreaterThan(0);
        await until(() => c.online.authority.pendingCount === 0, 5000, "the shot's answer");
        // The projectile's end answers the shot; its carve follows once the edit is durable (a tick later).
        const mine = (): boolean => c.online.authority.recentCarves.some((r) => r.commandId === commandId && r.shooterId === me.id);
        carved = await until(mine, 1000, "the carve").then(() => true, () => false);
      }
      expect(carved).toBe(true);
      const carve = c.online.authority.recentCarves.find((r) => r.commandId === commandId)!;
      expect(carve.did).toBe(SPAWN_WALL_DID);
      expect(c.online.authority.recentOwnProjectiles.some((p) => p.commandId === commandId && p.projectileId === carve.projectileId)).toBe(true);
      expect(worldChecksum(c.world)).toBe(server.checksum());
      expect(c.online.report().commands.confirmed).toBeGreaterThanOrEqual(1);

      // NPCs in view are drawn close to where the server has them (100 ms behind, walking pace).
      expect(c.online.entities.count).toBeGreaterThan(0);
      const at: TrackSample = { x: 0, y: 0, z: 0, yaw: 0 };
      let compared = 0;
      for (const e of c.online.entities.mirror.entities.values()) {
        if (e.kind !== EntityKind.Npc || !c.online.entityPosition(e.id, at)) continue;
        const npc = server.game.entities.byId(e.id);
        if (npc === null) continue;
        expect(Math.hypot(at.x - npc.move.x, at.z - npc.move.z)).toBeLessThan(2);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
      expect(c.online.entities.mirror.inconsistencies).toBe(0);
    } finally {
      c.stop();
    }
  });

  it("rejoins after a dropped connection and catches up with carves made meanwhile", async () => {
    const c = await connectClient();
    try {
      const bot = await Bot.connect({ url: server.wsUrl });
      bots.push(bot);
      // Both spawned on the same spot: step aside so the bot's shot does not start inside the client's capsule.
      // Paced at the tick rate: the server refuses movement faster than real time.
      for (let i = 0; i < 15; i++) {
        bot.input(1, 0, Math.PI / 2);
        await new Promise((r) => setTimeout(r, 1000 / 30));
      }
      await bot.waitFor(() => bot.self.x < c.player.state.x - 2);
      const carvesBefore = server.stats().carves;
      c.connection.simulateDrop(1500);
      await until(() => c.connection.status === NetStatus.Reconnecting, 2000, "the drop");
      // Another player carves the ground at their feet while this client is away.
      bot.fire(0, -1, 0.1);
      await until(() => server.stats().carves > carvesBefore, 5000, "the bot's carve");
      expect(worldChecksum(c.world)).not.toBe(server.checksum());

      await until(() => c.online.playable, 10_000, "the rejoin");
      expect(c.connection.stats.joins).toBe(2);
      expect(c.online.sync.stats.tailJoins).toBe(1);
      expect(c.online.welcome!.resumed).toBe(true);
      expect(worldChecksum(c.world)).toBe(server.checksum());
      expect(bot.checksum()).toBe(server.checksum());
      expect(c.statuses).toContain(NetStatus.Reconnecting);
    } finally {
      c.stop();
    }
  });
});
