// Projectile integrate, destructible raycast and voxel carve, deterministic on a fixed seed:
// shots at the spawn wall, an NPC, the ground and the sky are classified and handled.
import { describe, expect, it } from "vitest";
import { projectileSystem } from "../../../src/server/systems/projectile.ts";
import { raycastSystem } from "../../../src/server/systems/raycast.ts";
import { persistSystem } from "../../../src/server/systems/persist.ts";
import { carveSystem } from "../../../src/server/systems/carve.ts";
import { ImpactIds } from "../../../src/server/game/ids.ts";
import { EntityKind, HitTarget, ServerDecoder, ServerMsg } from "../../../src/shared/protocol/index.ts";
import type { CarveMsg } from "../../../src/shared/protocol/index.ts";
import { MOVE } from "../../../src/shared/physics/movement.ts";
import { CarveResult, carveSphere } from "../../../src/shared/voxel/carve.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { generateWorld, SPAWN_WALL_DID } from "../../../src/shared/voxel/worldgen.ts";
import { harness, SMALL_WORLD } from "../support.ts";
import type { SystemHarness } from "../support.ts";

function shoot(h: SystemHarness, dx: number, dy: number, dz: number, y = MOVE.eyeHeight): number {
  const [sx, sy, sz] = h.game.gen.spawn;
  const p = h.game.projectiles.spawn();
  p.ownerId = 999999;
  p.commandId = 77;
  p.x = p.px = sx;
  p.y = p.py = sy + y;
  p.z = p.pz = sz;
  const len = Math.hypot(dx, dy, dz);
  const speed = h.game.config.projectileSpeed;
  p.vx = (dx / len) * speed;
  p.vy = (dy / len) * speed;
  p.vz = (dz / len) * speed;
  p.ticksLeft = 45;
  return p.id;
}

/** Runs integrate + raycast until the projectile list empties; returns ticks taken. */
function flyAll(h: SystemHarness, maxTicks = 100): number {
  for (let t = 1; t <= maxTicks; t++) {
    h.step();
    projectileSystem.run(h.game, h.ctx);
    raycastSystem.run(h.game, h.ctx);
    if (h.game.projectiles.active.length === 0) return t;
  }
  return -1;
}

describe("projectile integrate", () => {
  it("moves each projectile by v * dt and keeps the segment start", () => {
    const h = harness({ npcCount: 0 });
    shoot(h, 0, 0, -1);
    const p = h.game.projectiles.active[0];
    const z0 = p.z;
    h.step();
    projectileSystem.run(h.game, h.ctx);
    expect(p.pz).toBe(z0);
    expect(p.z).toBeCloseTo(z0 - h.game.config.projectileSpeed / h.game.config.tickHz, 9);
    expect(p.ticksLeft).toBe(44);
  });
});

describe("destructible raycast", () => {
  it("classifies a shot into the spawn wall as destructible with its did", () => {
    const h = harness({ npcCount: 0 });
    const id = shoot(h, 0, 0, -1);
    expect(flyAll(h)).toBeGreaterThan(0);
    expect(h.game.impactCount).toBe(1);
    const im = h.game.impacts[0];
    expect(im.did).toBe(SPAWN_WALL_DID);
    expect(im.projectileId).toBe(id);
    // The hit voxel is the wall's near face, on the line of fire.
    const wall = h.game.gen.destructibles[SPAWN_WALL_DID - 1];
    expect(im.vz).toBe(wall.max[2]);
    expect(h.game.stats.hits.destructible).toBe(1);
    expect(h.game.outbox.despawned.ids.slice(0, h.game.outbox.despawned.count)).toContain(id);
  });

  it("hits an NPC standing in the line of fire before the wall, with a hit event", () => {
    const h = harness({ npcCount: 0 });
    const [sx, sy, sz] = h.game.gen.spawn;
    const npc = h.game.entities.spawn(EntityKind.Npc, sx, sy, sz - 6)!;
    shoot(h, 0, 0, -1);
    flyAll(h);
    expect(h.game.impactCount).toBe(0);
    expect(h.game.stats.hits.npc).toBe(1);
    expect(npc.health).toBe(75);
    const r = new ServerDecoder().decode(h.game.outbox.hits[0].bytes);
    expect(r.ok && r.msg.type === ServerMsg.Hit && r.msg.targetKind === HitTarget.Npc && r.msg.targetId === npc.id && r.msg.commandId === 77).toBe(true);
  });

  it("classifies the ground as terrain, and lets a shot into the sky expire", () => {
    const h = harness({ npcCount: 0 });
    shoot(h, 0.3, -1, 0.2);
    flyAll(h);
    expect(h.game.impactCount).toBe(1);
    expect(h.game.impacts[0].did).toBe(0);
    expect(h.game.stats.hits.terrain).toBe(1);

    const h2 = harness({ npcCount: 0 });
    shoot(h2, 0, 1, 0);
    expect(flyAll(h2)).toBe(45);
    expect(h2.game.impactCount).toBe(0);
    expect(h2.game.outbox.despawned.count).toBe(1);
  });
});

describe("voxel carve", () => {
  it("carves a crater exactly like carveSphere, logs it, broadcasts it and dirties chunks", () => {
    const h = harness({ npcCount: 0 });
    const before = worldChecksum(h.game.world);
    shoot(h, 0, 0, -1);
    flyAll(h);
    const im = { ...h.game.impacts[0] };
    carveSystem.run(h.game, h.ctx);
    expect(h.game.impactCount).toBe(0);
    expect(h.game.stats.carves).toBe(1);
    expect(worldChecksum(h.game.world)).not.toBe(before);

    // Same crater on an independently generated world.
    const ref = generateWorld(SMALL_WORLD);
    const res = new CarveResult();
    const n = carveSphere(ref.world, im.x, im.y, im.z, h.game.config.carveRadius, res);
    expect(n).toBeGreaterThan(0);
    expect(h.game.stats.voxelsCarved).toBe(n);
    expect(worldChecksum(h.game.world)).toBe(worldChecksum(ref.world));
    expect(h.game.log.edits.map((e) => e.seq)).toEqual([1]);
    expect(h.game.log.voxels).toBe(n);

    // The carve event waits for its edit to be durable: persist (no store here: at once) sends it.
    expect(h.game.outbox.broadcasts.length).toBe(0);
    persistSystem.run(h.game, h.ctx);
    expect(h.game.outbox.broadcasts.length).toBe(1);
    const r = new ServerDecoder().decode(h.game.outbox.broadcasts[0]);
    expect(r.ok && r.msg.type).toBe(ServerMsg.Carve);
    const carve = (r as { msg: CarveMsg }).msg;
    expect(carve.did).toBe(SPAWN_WALL_DID);
    expect(carve.commandId).toBe(77);
    expect(carve.impactId).not.toBe(0);

    // Every dirty chunk (owner and padded neighbours) is queued once.
    expect(h.game.meshQueue.length).toBe(res.dirty.count);
    for (let i = 0; i < res.dirty.count; i++) expect(h.game.meshQueue.has(res.dirty.ids[i])).toBe(true);
    expect(h.game.meshQueue.impactOf[res.dirty.ids[0]]).toBe(carve.impactId);
  });

  it("gives every impact a unique, non-sequential id", () => {
    const ids = new ImpactIds();
    const seen = new Set<number>();
    let prev = ids.next();
    let sequential = 0;
    for (let i = 0; i < 100000; i++) {
      const id = ids.next();
      expect(id).not.toBe(0);
      seen.add(id);
      if (id === prev + 1) sequential++;
      prev = id;
    }
    expect(seen.size).toBe(100000);
    expect(sequential).toBe(0);
  });
});
