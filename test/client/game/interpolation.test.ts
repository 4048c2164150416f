// Snapshot interpolation: the server-tick clock, per-entity tracks (holds, teleports, yaw
// wrap) and the entity set built from snapshot + deltas through the shared mirror.
import { describe, expect, it } from "vitest";
import { RemoteEntities } from "../../../src/client/game/entities.ts";
import type { BoxSink } from "../../../src/client/game/entities.ts";
import { EntityTrack, INTERPOLATION, ServerClock } from "../../../src/client/game/interpolation.ts";
import type { TrackSample } from "../../../src/client/game/interpolation.ts";
import { NPC_MODEL, PLAYER_MODEL } from "../../../src/client/render/entity-models.ts";
import {
  createSelfState,
  EntityFlag,
  EntityFrame,
  EntityKind,
  IdList,
  ProjectileFrame,
  quantPos,
  ServerMsg,
} from "../../../src/shared/protocol/index.ts";
import type { DeltaMsg, SnapshotMsg } from "../../../src/shared/protocol/index.ts";

const at = (): TrackSample => ({ x: 0, y: 0, z: 0, yaw: 0 });

describe("ServerClock", () => {
  it("maps local time to server ticks, INTERPOLATION.delayMs behind the newest tick", () => {
    const c = new ServerClock();
    c.reset(30);
    expect(c.ready).toBe(false);
    c.observe(300, 5000);
    expect(c.ready).toBe(true);
    // At the arrival instant the present is tick 300; the render time is delayMs earlier.
    expect(c.renderTick(5000, 0)).toBeCloseTo(300, 9);
    expect(c.renderTick(5000)).toBeCloseTo(300 - (INTERPOLATION.delayMs / 1000) * 30, 9);
    expect(c.renderTick(5000 + 1000, 0)).toBeCloseTo(330, 9);
  });

  it("follows early arrivals fast, late ones slowly, and snaps on a discontinuity", () => {
    const c = new ServerClock();
    c.reset(30);
    c.observe(0, 0);
    // Every tick arrives 20 ms late (jitter): the estimate barely moves.
    for (let t = 1; t <= 10; t++) c.observe(t, t * (1000 / 30) + 20);
    const late = c.renderTick(1000 / 3, 0);
    expect(late).toBeGreaterThan(9.5);
    expect(late).toBeLessThanOrEqual(10);
    // A rejoin far ahead: snapped.
    c.observe(10_000, 1000);
    expect(c.renderTick(1000, 0)).toBeCloseTo(10_000, 6);
  });
});

describe("EntityTrack", () => {
  it("interpolates between the samples around t and clamps outside them", () => {
    const tr = new EntityTrack();
    tr.push(10, 0, 0, 0, 0);
    tr.push(11, 1, 0, 2, 0);
    const s = at();
    tr.sample(10.25, s);
    expect([s.x, s.z]).toEqual([0.25, 0.5]);
    tr.sample(9, s);
    expect(s.x).toBe(0);
    tr.sample(20, s);
    expect(s.x).toBe(1);
    expect(new EntityTrack().sample(0, s)).toBe(false);
  });

  it("holds still until the tick before a move when ticks were skipped", () => {
    const tr = new EntityTrack();
    tr.push(10, 0, 0, 0, 0);
    tr.push(20, 1, 0, 0, 0);
    const s = at();
    tr.sample(15, s);
    expect(s.x).toBe(0);
    tr.sample(19.5, s);
    expect(s.x).toBeCloseTo(0.5, 9);
  });

  it("turns the short way round and does not slide across a teleport", () => {
    const tr = new EntityTrack();
    tr.push(1, 0, 0, 0, 2 * Math.PI - 0.1);
    tr.push(2, 0, 0, 0, 0.1);
    const s = at();
    tr.sample(1.5, s);
    expect(Math.cos(s.yaw)).toBeCloseTo(1, 9);
    tr.push(3, 100, 0, 0, 0);
    tr.sample(2.4, s);
    expect(s.x).toBe(0);
    tr.sample(2.6, s);
    expect(s.x).toBe(100);
  });

  it("keeps the newest samples when full; a repeated tick replaces the newest", () => {
    const tr = new EntityTrack(4);
    for (let t = 1; t <= 6; t++) tr.push(t, t, 0, 0, 0);
    expect(tr.count).toBe(4);
    const s = at();
    tr.sample(0, s);
    expect(s.x).toBe(3);
    tr.push(6, 60, 0, 0, 0);
    expect(tr.lastTick).toBe(6);
    tr.sample(6, s);
    expect(s.x).toBe(60);
  });
});

/** A snapshot with entities entering at the given positions. */
function snapshot(tick: number, ents: { id: number; kind: number; x: number; z: number }[]): SnapshotMsg {
  const f = new EntityFrame();
  for (const e of ents) {
    const i = f.push();
    f.id[i] = e.id;
    f.flags[i] = EntityFlag.Enter | EntityFlag.PosAbs | EntityFlag.Yaw | EntityFlag.Health;
    f.kind[i] = e.kind;
    f.x[i] = quantPos(e.x);
    f.y[i] = quantPos(10);
    f.z[i] = quantPos(e.z);
    f.health[i] = 100;
  }
  return { type: ServerMsg.Snapshot, tick, editSets: 0, self: createSelfState(), entities: f, projectiles: new ProjectileFrame() };
}

/** A delta moving entity `id` by dx (quantised, small-move form) and removing `removed`. */
function delta(tick: number, moves: { id: number; dx: number }[], removed: number[] = []): DeltaMsg {
  const f = new EntityFrame();
  for (const m of moves) {
    const i = f.push();
    f.id[i] = m.id;
    f.flags[i] = EntityFlag.Pos8;
    f.x[i] = quantPos(m.dx);
  }
  const r = new IdList();
  for (const id of removed) r.push(id);
  return {
    type: ServerMsg.Delta, tick, ackSeq: 0, hasStats: false, tickMsAvg: 0, tickMsMax: 0, hasSelf: false, self: createSelfState(),
    entities: f, removed: r, projectileSpawns: new ProjectileFrame(), projectileDespawns: new IdList(),
  };
}

class Boxes implements BoxSink {
  readonly list: number[][] = [];
  push(x: number, y: number, z: number, hx: number, hy: number, hz: number, r: number, g: number, b: number): boolean {
    this.list.push([x, y, z, hx, hy, hz, r, g, b]);
    return true;
  }
  pushOriented(x: number, y: number, z: number, hx: number, hy: number, hz: number, r: number, g: number, b: number): boolean {
    return this.push(x, y, z, hx, hy, hz, r, g, b);
  }
}

/** A camera far from every test entity. */
const FAR = [500, 500, 500];

describe("RemoteEntities", () => {
  it("draws each entity where it was at the render tick, and keeps a leaver until the render time passes its exit", () => {
    const e = new RemoteEntities();
    e.applySnapshot(snapshot(100, [{ id: 5, kind: EntityKind.Npc, x: 10, z: 10 }, { id: 6, kind: EntityKind.Player, x: 20, z: 20 }]));
    e.applyDelta(delta(101, [{ id: 5, dx: 1 }]));
    e.applyDelta(delta(102, [{ id: 5, dx: 1 }], [6]));
    expect(e.count).toBe(2);
    const s = at();
    expect(e.position(5, 100.5, s)).toBe(true);
    expect(s.x).toBeCloseTo(10.5, 9);
    expect(e.position(5, 101.5, s)).toBe(true);
    expect(s.x).toBeCloseTo(11.5, 9);

    const boxes = new Boxes();
    e.update(0, 101.5);
    e.draw(boxes, 101.5, FAR);
    // Each entity's model; player 6 is still drawn (it left at tick 102).
    expect(boxes.list).toHaveLength(NPC_MODEL.length + PLAYER_MODEL.length);
    e.update(0, 102);
    expect(e.count).toBe(1);
    expect(e.position(6, 102, s)).toBe(false);
  });

  it("does not draw an entity standing where the camera is", () => {
    const e = new RemoteEntities();
    e.applySnapshot(snapshot(1, [{ id: 9, kind: EntityKind.Player, x: 5, z: 5 }, { id: 10, kind: EntityKind.Player, x: 8, z: 5 }]));
    const boxes = new Boxes();
    e.draw(boxes, 1, [5.2, 11.6, 5]);
    // Only entity 10's model.
    expect(boxes.list).toHaveLength(PLAYER_MODEL.length);
    for (const b of boxes.list) expect(Math.abs(b[0] - 8)).toBeLessThan(1);
  });

  it("flashes a hit entity for a moment", () => {
    const e = new RemoteEntities();
    e.applySnapshot(snapshot(1, [{ id: 9, kind: EntityKind.Npc, x: 0, z: 0 }]));
    e.flash(9);
    const hit = new Boxes();
    e.draw(hit, 1, FAR);
    e.update(1, 1);
    const calm = new Boxes();
    e.draw(calm, 1, FAR);
    expect(hit.list[0].slice(6)).not.toEqual(calm.list[0].slice(6));
  });
});
