// Downs and respawns on the server: the hit that takes the last health downs the target (a
// down event for every player naming both callsigns, the scoreboard counts), a downed entity
// is not hit, does not move and cannot fire, and it comes back with full health in the spawn
// area after respawnMs. Teammates are spared unless friendly fire is on. The scoreboard
// answers a Scores request with every player's downs, deaths and reported ping.
import { describe, expect, it } from "vitest";
import { intakeSystem } from "../../../src/server/systems/intake.ts";
import { netSystem } from "../../../src/server/systems/net.ts";
import { npcSystem } from "../../../src/server/systems/npc.ts";
import { projectileSystem } from "../../../src/server/systems/projectile.ts";
import { raycastSystem } from "../../../src/server/systems/raycast.ts";
import { SCOREBOARD_MIN_INTERVAL_MS } from "../../../src/server/net/scoreboard.ts";
import type { Entity } from "../../../src/server/game/entities.ts";
import { MemoryTransport } from "../../../src/server/net/memory-transport.ts";
import type { MemoryClient } from "../../../src/server/net/memory-transport.ts";
import { SessionManager } from "../../../src/server/net/sessions.ts";
import {
  ByteWriter,
  encodeFire,
  encodeHello,
  encodeInput,
  encodePing,
  encodeScores,
  EntityKind,
  PROTOCOL_VERSION,
  RejectReason,
  SelfFlag,
  ServerDecoder,
  ServerMsg,
  Team,
} from "../../../src/shared/protocol/index.ts";
import type { DownMsg, HitMsg, ServerMessage } from "../../../src/shared/protocol/index.ts";
import { MOVE } from "../../../src/shared/physics/movement.ts";
import { harness, testGame } from "../support.ts";
import type { SystemHarness } from "../support.ts";

const w = new ByteWriter();

/** A projectile from `from`'s eye at `to`'s chest, as the intake system would make it. */
function shootAt(h: SystemHarness, from: Entity, to: Entity): void {
  const p = h.game.projectiles.spawn();
  p.ownerId = from.id;
  p.ownerSlot = from.slot;
  p.ownerTeam = from.team;
  p.commandId = 5;
  p.x = p.px = p.ox = from.move.x;
  p.y = p.py = p.oy = from.move.y + MOVE.eyeHeight;
  p.z = p.pz = p.oz = from.move.z;
  const dx = to.move.x - p.x;
  const dy = to.move.y + 1 - p.y;
  const dz = to.move.z - p.z;
  const len = Math.hypot(dx, dy, dz);
  const speed = h.game.config.projectileSpeed;
  p.vx = (dx / len) * speed;
  p.vy = (dy / len) * speed;
  p.vz = (dz / len) * speed;
  p.ticksLeft = 45;
}

/** Flies every projectile to its end; returns the decoded hit and down events of those ticks. */
function fly(h: SystemHarness): { hits: HitMsg[]; downs: DownMsg[] } {
  const hits: HitMsg[] = [];
  const downs: DownMsg[] = [];
  const dec = new ServerDecoder();
  for (let t = 0; t < 100 && h.game.projectiles.active.length > 0; t++) {
    h.step();
    projectileSystem.run(h.game, h.ctx);
    raycastSystem.run(h.game, h.ctx);
    for (const e of h.game.outbox.hits) {
      const r = dec.decode(e.bytes);
      if (r.ok && r.msg.type === ServerMsg.Hit) hits.push(r.msg);
    }
    for (const b of h.game.outbox.broadcasts) {
      const r = dec.decode(b);
      if (r.ok && r.msg.type === ServerMsg.Down) downs.push(r.msg);
    }
    h.game.outbox.clear();
    h.game.impactCount = 0;
  }
  return { hits, downs };
}

function join(h: SystemHarness): { client: MemoryClient; entity: Entity } {
  const client = h.transport.connect();
  client.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }).slice());
  return { client, entity: h.sessions.playing.at(-1)!.entity! };
}

/** Every message a client received from index `from` on. */
function received(client: MemoryClient, from = 0): ServerMessage[] {
  const out: ServerMessage[] = [];
  const dec = new ServerDecoder();
  for (const bytes of client.received.slice(from)) {
    expect(dec.decodeFrame(bytes, (m) => out.push(m.type === ServerMsg.Scoreboard || m.type === ServerMsg.Error || m.type === ServerMsg.Down ? m : { type: m.type } as ServerMessage))).toBeNull();
  }
  return out;
}

describe("downs and respawns", () => {
  it("downs an NPC on the fourth hit, names both callsigns to everyone, and respawns it after respawnMs", () => {
    const h = harness({ npcCount: 0, respawnMs: 2000 });
    const a = join(h);
    const [sx, sy, sz] = h.game.gen.spawn;
    const npc = h.game.entities.spawn(EntityKind.Npc, sx, sy, sz - 6)!;
    npc.callsign = "Rusty Drone 17";
    const healths: number[] = [];
    for (let i = 0; i < 4; i++) {
      shootAt(h, a.entity, npc);
      const { hits, downs } = fly(h);
      expect(hits).toHaveLength(1);
      expect([hits[0].sx, hits[0].sy, hits[0].sz]).toEqual([Math.fround(a.entity.move.x), Math.fround(a.entity.move.y + MOVE.eyeHeight), Math.fround(a.entity.move.z)]);
      healths.push(hits[0].health);
      if (i < 3) expect(downs).toEqual([]);
      else {
        expect(downs).toEqual([{
          type: ServerMsg.Down, tick: h.game.tick, shooterId: a.entity.id, shooterKind: EntityKind.Player, shooterTeam: Team.Alpha,
          shooterCallsign: a.entity.callsign, targetId: npc.id, targetKind: EntityKind.Npc, targetTeam: Team.None, targetCallsign: "Rusty Drone 17",
        }]);
      }
    }
    expect(healths).toEqual([75, 50, 25, 0]);
    expect([npc.health, npc.deaths, a.entity.downs, h.game.stats.downs]).toEqual([0, 1, 1, 1]);
    const downedAt = h.game.timeMs;
    expect(npc.respawnAtMs).toBe(downedAt + 2000);

    // Downed: not hit (the shot flies on to the spawn wall) and not moving.
    shootAt(h, a.entity, npc);
    expect(fly(h).hits).toEqual([]);
    const [x0, z0] = [npc.move.x, npc.move.z];
    while (h.game.timeMs < downedAt + 1900) {
      h.step();
      npcSystem.run(h.game, h.ctx);
    }
    expect([npc.move.x, npc.move.z, npc.health]).toEqual([x0, z0, 0]);
    while (h.game.timeMs <= downedAt + 2100) {
      h.step();
      npcSystem.run(h.game, h.ctx);
    }
    expect(npc.health).toBe(100);
    expect(npc.respawnAtMs).toBe(-1);
    expect(Math.hypot(npc.move.x - sx, npc.move.z - sz)).toBeLessThan(12);
  });

  it("a downed player is told so, its inputs are acknowledged unapplied and its shots refused, until it respawns", () => {
    const h = harness({ npcCount: 0, respawnMs: 1000, spawnSpread: 0 });
    const a = join(h);
    const b = join(h);
    expect([a.entity.team, b.entity.team]).toEqual([Team.Alpha, Team.Bravo]);
    b.entity.move.z -= 5;
    for (let i = 0; i < 4; i++) {
      shootAt(h, a.entity, b.entity);
      fly(h);
    }
    expect([b.entity.health, b.entity.deaths, a.entity.downs]).toEqual([0, 1, 1]);

    const from = b.client.received.length;
    const pos = { ...b.entity.move };
    b.client.send(encodeInput(w, { seq: 1, dt: 1 / 30, forward: 1, right: 0, yaw: 0, pitch: 0, buttons: 0 }).slice());
    b.client.send(encodeFire(w, { commandId: 31, ox: pos.x, oy: pos.y + MOVE.eyeHeight, oz: pos.z, dx: 0, dy: 0, dz: -1, traceparent: null }).slice());
    h.step();
    intakeSystem.run(h.game, h.ctx);
    netSystem.run(h.game, h.ctx);
    expect([b.entity.move.x, b.entity.move.z]).toEqual([pos.x, pos.z]);
    expect(b.entity.control!.lastSeq).toBe(1);
    expect(h.game.projectiles.active).toHaveLength(0);
    const msgs = received(b.client, from);
    expect(msgs.find((m) => m.type === ServerMsg.Error)).toMatchObject({ reason: RejectReason.Downed, commandId: 31, fatal: false });

    // The self state says downed, and stops saying it at the respawn.
    const dec = new ServerDecoder();
    const selfFlags = (start: number): number[] => {
      const flags: number[] = [];
      for (const bytes of b.client.received.slice(start)) {
        dec.decodeFrame(bytes, (m) => {
          if (m.type === ServerMsg.Delta && m.hasSelf) flags.push(m.self.flags);
        });
      }
      return flags;
    };
    expect(selfFlags(from).some((f) => (f & SelfFlag.Downed) !== 0)).toBe(true);
    const before = b.client.received.length;
    for (let t = 0; t < 40; t++) {
      h.step();
      intakeSystem.run(h.game, h.ctx);
      netSystem.run(h.game, h.ctx);
    }
    expect(b.entity.health).toBe(100);
    expect((selfFlags(before).at(-1)! & SelfFlag.Downed)).toBe(0);
  });

  it("spares teammates unless friendly fire is on", () => {
    for (const friendlyFire of [false, true]) {
      const h = harness({ npcCount: 0, friendlyFire });
      const a = join(h);
      // The other team's player steps out of the line of fire.
      join(h).entity.move.x += 3;
      const mate = join(h).entity;
      expect(mate.team).toBe(a.entity.team);
      mate.move.z -= 5;
      shootAt(h, a.entity, mate);
      expect(fly(h).hits.length).toBe(friendlyFire ? 1 : 0);
      expect(mate.health).toBe(friendlyFire ? 75 : 100);
    }
  });
});

describe("scoreboard", () => {
  it("answers Scores with every player's callsign, team, downs, deaths and reported ping, best first, throttled", () => {
    let now = 1000;
    const game = testGame({ npcCount: 0 });
    const transport = new MemoryTransport();
    const sessions = new SessionManager(game, transport, () => now);
    sessions.start();
    const connect = (): { client: MemoryClient; entity: Entity } => {
      const client = transport.connect();
      client.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }).slice());
      return { client, entity: sessions.playing.at(-1)!.entity! };
    };
    const a = connect();
    const b = connect();
    // Downs rank first: b leads despite more deaths.
    b.entity.downs = 2;
    b.entity.deaths = 3;
    a.entity.deaths = 1;
    a.client.send(encodePing(w, { clientTime: now, rttMs: 23 }).slice());
    const boards = (): ServerMessage[] => received(a.client).filter((m) => m.type === ServerMsg.Scoreboard);
    a.client.send(encodeScores(w).slice());
    a.client.send(encodeScores(w).slice());
    expect(boards()).toHaveLength(1);
    expect(boards()[0]).toEqual({
      type: ServerMsg.Scoreboard,
      rows: [
        { entityId: b.entity.id, callsign: b.entity.callsign, team: Team.Bravo, downs: 2, deaths: 3, pingMs: null },
        { entityId: a.entity.id, callsign: a.entity.callsign, team: Team.Alpha, downs: 0, deaths: 1, pingMs: 23 },
      ],
    });
    now += SCOREBOARD_MIN_INTERVAL_MS;
    a.client.send(encodeScores(w).slice());
    expect(boards()).toHaveLength(2);
    // Before its hello a connection gets no scoreboard: a protocol error instead.
    const stranger = transport.connect();
    stranger.send(encodeScores(w).slice());
    expect(received(stranger).map((m) => m.type)).toEqual([ServerMsg.Error]);
  });
});
