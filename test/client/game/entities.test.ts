// How remote entities are drawn: players of this player's team in the ally palette, the other
// team in the enemy palette, NPCs as drones; a health bar over an entity this player hit
// lately, for a while, showing its health; a downed entity lying down; and a revived one
// starting a fresh track at its respawn point instead of sliding there.
import { describe, expect, it } from "vitest";
import { ENTITY_STYLE, RemoteEntities } from "../../../src/client/game/entities.ts";
import { DOWNED_MODEL, NPC_MODEL, PALETTES, PLAYER_MODEL } from "../../../src/client/render/entity-models.ts";
import {
  createSelfState,
  EntityFlag,
  EntityFrame,
  EntityKind,
  IdList,
  ProjectileFrame,
  quantPos,
  ServerMsg,
  Team,
} from "../../../src/shared/protocol/index.ts";
import type { DeltaMsg, SnapshotMsg } from "../../../src/shared/protocol/index.ts";
import { BoxRecorder } from "../render/box-recorder.ts";

const FAR = [500, 500, 500];

interface Ent {
  id: number;
  kind: number;
  team: number;
  x: number;
  health?: number;
}

function snapshot(tick: number, ents: Ent[]): SnapshotMsg {
  const f = new EntityFrame();
  for (const e of ents) {
    const i = f.push();
    f.id[i] = e.id;
    f.flags[i] = EntityFlag.Enter | EntityFlag.PosAbs | EntityFlag.Yaw | EntityFlag.Health;
    f.kind[i] = e.kind;
    f.team[i] = e.team;
    f.x[i] = quantPos(e.x);
    f.y[i] = quantPos(10);
    f.z[i] = quantPos(10);
    f.health[i] = e.health ?? 100;
  }
  return { type: ServerMsg.Snapshot, tick, editSets: 0, self: createSelfState(), entities: f, projectiles: new ProjectileFrame() };
}

/** A delta setting entity `id`'s health and absolute x. */
function update(tick: number, id: number, health: number, x: number): DeltaMsg {
  const f = new EntityFrame();
  const i = f.push();
  f.id[i] = id;
  f.flags[i] = EntityFlag.Health | EntityFlag.PosAbs;
  f.health[i] = health;
  f.x[i] = quantPos(x);
  f.y[i] = quantPos(10);
  f.z[i] = quantPos(10);
  return {
    type: ServerMsg.Delta, tick, ackSeq: 0, hasStats: false, tickMsAvg: 0, tickMsMax: 0, hasSelf: false, self: createSelfState(),
    entities: f, removed: new IdList(), projectileSpawns: new ProjectileFrame(), projectileDespawns: new IdList(),
  };
}

function colourOf(b: number[]): number[] {
  return b.slice(6, 9);
}

describe("remote entities as drawn", () => {
  it("show own team, the other team and NPCs in their palettes and models", () => {
    const e = new RemoteEntities();
    e.ownTeam = Team.Bravo;
    e.applySnapshot(snapshot(1, [
      { id: 1, kind: EntityKind.Player, team: Team.Bravo, x: 10 },
      { id: 2, kind: EntityKind.Player, team: Team.Alpha, x: 20 },
      { id: 3, kind: EntityKind.Npc, team: Team.None, x: 30 },
    ]));
    const sink = new BoxRecorder();
    e.draw(sink, 1, FAR);
    expect(sink.boxes).toHaveLength(2 * PLAYER_MODEL.length + NPC_MODEL.length);
    const body = PLAYER_MODEL.findIndex((p) => p.tone === "body");
    const npcBody = NPC_MODEL.findIndex((p) => p.tone === "body");
    const near = (x: number) => sink.boxes.filter((b) => Math.abs(b[0] - x) < 1);
    expect(colourOf(near(10)[body])).toEqual([...PALETTES.ally.body]);
    expect(colourOf(near(20)[body])).toEqual([...PALETTES.enemy.body]);
    expect(colourOf(near(30)[npcBody])).toEqual([...PALETTES.npc.body]);
  });

  it("carry a health bar for a while after this player hits them, not after others' hits", () => {
    const e = new RemoteEntities();
    e.applySnapshot(snapshot(1, [{ id: 4, kind: EntityKind.Npc, team: Team.None, x: 10, health: 50 }]));
    const count = (): number => {
      const sink = new BoxRecorder();
      e.draw(sink, 1, FAR);
      return sink.boxes.length;
    };
    e.flash(4);
    e.update(ENTITY_STYLE.flashSeconds, 1);
    expect(count()).toBe(NPC_MODEL.length);
    e.flash(4, true);
    e.update(ENTITY_STYLE.flashSeconds, 1);
    // Back and half-length fill, above the model.
    const sink = new BoxRecorder();
    e.draw(sink, 1, FAR);
    expect(sink.boxes).toHaveLength(NPC_MODEL.length + 2);
    const [back, fill] = sink.boxes.slice(-2);
    expect(back[1]).toBeGreaterThan(10 + ENTITY_STYLE.modelTop);
    expect(fill[3]).toBeCloseTo(back[3] / 2, 1);
    e.update(ENTITY_STYLE.healthBarSeconds, 1);
    expect(count()).toBe(NPC_MODEL.length);
  });

  it("lie down while downed and start a fresh track where they respawn", () => {
    const e = new RemoteEntities();
    e.applySnapshot(snapshot(1, [{ id: 5, kind: EntityKind.Player, team: Team.Alpha, x: 10 }]));
    e.applyDelta(update(2, 5, 0, 10));
    const sink = new BoxRecorder();
    e.draw(sink, 2, FAR);
    expect(sink.boxes).toHaveLength(DOWNED_MODEL.length);
    // Up again 3 voxels away (within the interpolation's teleport distance): no slide.
    e.applyDelta(update(3, 5, 100, 13));
    const at = { x: 0, y: 0, z: 0, yaw: 0 };
    expect(e.position(5, 2.5, at)).toBe(true);
    expect(at.x).toBe(13);
  });
});
