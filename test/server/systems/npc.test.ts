// NPC wander: deterministic in the seed, NPCs actually move, stay near home and on the ground.
import { describe, expect, it } from "vitest";
import { npcSystem } from "../../../src/server/systems/npc.ts";
import { NPC } from "../../../src/server/systems/npc.ts";
import { EntityKind } from "../../../src/shared/protocol/messages.ts";
import { harness } from "../support.ts";

function simulate(ticks: number): { x: number; y: number; z: number }[][] {
  const h = harness({ npcCount: 20 });
  h.game.spawnNpcs();
  const start = h.game.entities.slots.filter((e) => e !== null).map((e) => ({ x: e!.move.x, y: e!.move.y, z: e!.move.z }));
  for (let t = 0; t < ticks; t++) {
    h.step();
    npcSystem.run(h.game, h.ctx);
  }
  const end = h.game.entities.slots.filter((e) => e !== null).map((e) => ({ x: e!.move.x, y: e!.move.y, z: e!.move.z }));
  const surface = end.map((p) => ({ x: p.x, y: h.game.groundY(p.x, p.z), z: p.z }));
  return [start, end, surface];
}

describe("npc system", () => {
  it("spawns at least 20 NPCs and moves them deterministically for a fixed seed", () => {
    const a = simulate(300);
    const b = simulate(300);
    expect(a[0].length).toBeGreaterThanOrEqual(20);
    expect(a[1]).toEqual(b[1]);
    const moved = a[0].filter((p, i) => Math.hypot(p.x - a[1][i].x, p.z - a[1][i].z) > 1).length;
    expect(moved).toBeGreaterThanOrEqual(12);
  });

  it("keeps NPCs near home and standing on the terrain", () => {
    const h = harness({ npcCount: 20 });
    h.game.spawnNpcs();
    expect(h.game.entities.countKind(EntityKind.Npc)).toBe(20);
    const [sx, , sz] = h.game.gen.spawn;
    for (let t = 0; t < 900; t++) {
      h.step();
      npcSystem.run(h.game, h.ctx);
    }
    for (const e of h.game.entities.slots) {
      if (e === null) continue;
      expect(Math.hypot(e.move.x - sx, e.move.z - sz)).toBeLessThan(NPC.homeRadius + 12);
      // Feet within a couple of voxels of the column's top (jumping, steps, structures).
      expect(Math.abs(e.move.y - h.game.groundY(e.move.x, e.move.z))).toBeLessThan(3);
    }
  });
});
