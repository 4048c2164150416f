// Loopback integration: the real server in-process on port 0, headless WebSocket bots. A shot
// at the spawn wall carves a crater that every bot receives with the same impact_id, the
// server and all bots agree on the world checksum, and a late joiner sees the crater.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerHandle } from "../../src/server/app.ts";
import { Bot } from "../../src/server/bots/bot.ts";
import { SPAWN_WALL_DID } from "../../src/shared/voxel/worldgen.ts";
import type { CarveMsg } from "../../src/shared/protocol/index.ts";
import { aimAtSpawnWall, startTestServer } from "./support.ts";

describe("multiplayer over loopback", () => {
  let server: ServerHandle;
  const bots: Bot[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await Promise.all(bots.map((b) => b.close()));
    await server.stop();
  });

  it("answers /healthz with 200 while ticking", async () => {
    await server.waitForTicks(2);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; tick: number; tick_hz: number };
    expect(body.status).toBe("ok");
    expect(body.tick).toBeGreaterThan(0);
    expect(body.tick_hz).toBe(30);
  });

  it("a shot at the wall carves a crater every client applies identically", async () => {
    const a = await Bot.connect({ url: server.wsUrl });
    const b = await Bot.connect({ url: server.wsUrl });
    bots.push(a, b);
    const before = server.checksum();
    expect(a.checksum()).toBe(before);
    expect(b.checksum()).toBe(before);

    // An NPC may walk into the line of fire: retry until a carve from one of our shots lands.
    let carve: CarveMsg | undefined;
    for (let attempt = 0; attempt < 10 && carve === undefined; attempt++) {
      const [dx, dy, dz] = aimAtSpawnWall(a);
      const commandId = a.fire(dx, dy, dz);
      const outcome = await a.waitFor(
        () => a.carves.find((c) => c.commandId === commandId) ?? (a.hits.some((h) => h.commandId === commandId) ? "hit" as const : undefined),
        5000,
      );
      if (outcome === "hit") await server.waitForTicks(10);
      else carve = outcome;
    }
    if (carve === undefined) throw new Error("no carve after 10 shots");
    expect(carve.did).toBe(SPAWN_WALL_DID);
    expect(carve.impactId).not.toBe(0);
    const impactId = carve.impactId;
    const seenByB = await b.waitFor(() => b.carves.find((c) => c.impactId === impactId));
    expect(seenByB.commandId).toBe(carve.commandId);

    const after = server.checksum();
    expect(after).not.toBe(before);
    expect(a.checksum()).toBe(after);
    expect(b.checksum()).toBe(after);
    expect(server.stats().hits.destructible).toBeGreaterThanOrEqual(1);

    // The dirty chunks go through the mesh worker and come back as rebuilt colliders.
    for (let i = 0; i < 200 && (server.game.meshQueue.length > 0 || server.game.colliders.rebuilds === 0); i++) await server.waitForTicks(1);
    expect(server.game.colliders.rebuilds).toBeGreaterThan(0);
    expect(server.stats().chunksMeshed).toBeGreaterThan(0);

    const late = await Bot.connect({ url: server.wsUrl });
    bots.push(late);
    expect(late.session.sync.stats.editSets).toBeGreaterThanOrEqual(1);
    expect(late.checksum()).toBe(after);
  });

  it("answers /healthz with 503 when the tick loop is not running", async () => {
    const idle = await startTestServer({ autoTick: false, npcCount: 0 });
    try {
      const res = await fetch(`${idle.url}/healthz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { status: string }).status).toBe("unavailable");
    } finally {
      await idle.stop();
    }
  });

  it("streams NPCs in interest and acknowledges inputs", async () => {
    const c = await Bot.connect({ url: server.wsUrl });
    bots.push(c);
    const npcs = await c.waitFor(() => [...c.mirror.entities.values()].filter((e) => e.kind === 2).length || false);
    expect(npcs).toBeGreaterThan(0);
    let seq = 0;
    for (let i = 0; i < 10; i++) seq = c.input(1, 0, 0);
    await c.waitFor(() => c.ackSeq === seq);
    expect(c.mirror.inconsistencies).toBe(0);
  });
});
