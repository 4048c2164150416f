// ServerAuthority: fire commands carry an id, the aim and the telemetry traceparent; the shot
// is drawn at once but nothing is carved locally; the server's carve, hit, fire-rate error or
// silence closes the command (and its telemetry span) with the matching outcome.
import { afterEach, describe, expect, it } from "vitest";
import { COMMANDS, ServerAuthority } from "../../../src/client/net/server-authority.ts";
import type { CommandSink } from "../../../src/client/net/server-authority.ts";
import { installClientBackend } from "../../../src/client/telemetry/facade.ts";
import {
  createSelfState,
  createVoxelSet,
  EntityFrame,
  HitTarget,
  IdList,
  PROTOCOL_VERSION,
  ProjectileFrame,
  RejectReason,
  ServerMsg,
} from "../../../src/shared/protocol/index.ts";
import type { CarveMsg, DeltaMsg, FireMsg, WelcomeMsg } from "../../../src/shared/protocol/index.ts";
import { DirtyChunks } from "../../../src/shared/voxel/carve.ts";
import { EntityMirror } from "../../../src/shared/protocol/mirror.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { World } from "../../../src/shared/voxel/world.ts";

const ME = 7;

function welcome(): WelcomeMsg {
  return {
    type: ServerMsg.Welcome, version: PROTOCOL_VERSION, sessionId: "0".repeat(32), resumeToken: "1".repeat(32), resumed: false, entityId: ME,
    tickHz: 30, tick: 1, seed: 1, chunksX: 1, chunksY: 1, chunksZ: 1, spawnX: 0, spawnY: 0, spawnZ: 0, spawnYaw: 0, interestRadius: 64,
    weaponCooldownMs: 250, projectileSpeed: 80, projectileLifetimeMs: 1500, zone: "z0", shard: "s0", callsign: "Calm Heron 12", team: 1, maxHealth: 100, respawnMs: 3000,
    logBase: 1, baseSeq: 0, lastSeq: 0,
  };
}

function carve(commandId: number | null, shooterId = ME): CarveMsg {
  return {
    type: ServerMsg.Carve, seq: 1, impactId: 900, commandId, shooterId, did: 1, projectileId: 50, tick: 3, cx: 16, cy: 8, cz: 20, radius: 2.5, voxels: createVoxelSet(),
  };
}

function delta(spawns: { id: number; owner: number; commandId: number }[], despawns: number[] = []): DeltaMsg {
  const p = new ProjectileFrame();
  for (const s of spawns) {
    const i = p.push();
    p.id[i] = s.id;
    p.owner[i] = s.owner;
    p.commandId[i] = s.commandId;
    p.x[i] = 16 * 16;
    p.y[i] = 8 * 16;
    p.z[i] = 4 * 16;
    p.vx[i] = 0;
    p.vy[i] = 0;
    p.vz[i] = 80 * 16;
    p.vx[i] = p.vy[i] = 0;
  }
  const d = new IdList();
  for (const id of despawns) d.push(id);
  return {
    type: ServerMsg.Delta, tick: 3, ackSeq: 0, hasStats: false, tickMsAvg: 0, tickMsMax: 0, hasSelf: false, self: createSelfState(),
    entities: new EntityFrame(), removed: new IdList(), projectileSpawns: p, projectileDespawns: d,
  };
}

/** A 32^3 world with a wall at z = 20. */
function wallWorld(): World {
  const w = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
  for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) w.set(x, y, 20, Material.Brick);
  return w;
}

function setup() {
  const sent: Omit<FireMsg, "type">[] = [];
  let online = true;
  const sink: CommandSink = { sendFire: (m) => (online ? (sent.push({ ...m }), true) : false) };
  let now = 0;
  const mirror = new EntityMirror();
  const world = wallWorld();
  const a = new ServerAuthority(sink, () => world, mirror.projectiles, () => now);
  a.welcome(welcome());
  const spans: { begun: number[]; ended: [number, string][] } = { begun: [], ended: [] };
  const restore = installClientBackend({
    beginCommand: (id) => {
      spans.begun.push(id);
      return `00-${"a".repeat(32)}-${"b".repeat(16)}-01`;
    },
    endCommand: (id, outcome) => spans.ended.push([id, outcome]),
    captureError: () => {},
    gpuScope: async (_d, _s, fn) => fn(),
  });
  restores.push(restore);
  return { a, sent, spans, mirror, setOnline: (v: boolean) => (online = v), advance: (ms: number) => (now += ms) };
}

const restores: (() => void)[] = [];
afterEach(() => restores.splice(0).forEach((r) => r()));

describe("ServerAuthority", () => {
  it("sends a fire command with id, aim and traceparent, takes the server's cooldown, and draws the shot at once", () => {
    const { a, sent, spans } = setup();
    expect(a.cooldown).toBe(0.25);
    const id = a.fire([16.5, 8.5, 4.5], [0, 0, 1]);
    expect(id).toBe(1);
    expect(sent).toEqual([{ commandId: 1, ox: 16.5, oy: 8.5, oz: 4.5, dx: 0, dy: 0, dz: 1, traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01` }]);
    expect(spans.begun).toEqual([1]);
    a.update(0);
    expect(a.projectiles.count).toBe(1);
    expect(a.pendingCount).toBe(1);
    expect(a.fire([16.5, 8.5, 4.5], [0, 0, 1])).toBe(2);
  });

  it("the local shot stops at the wall without carving; the server's carve confirms the command and is re-emitted", () => {
    const { a, spans } = setup();
    const events: { x: number; voxels: number; dirty: number }[] = [];
    a.onCarve((e) => events.push({ x: e.x, voxels: e.voxels, dirty: e.dirty.count }));
    const id = a.fire([16.5, 8.5, 4.5], [0, 0, 1]);
    for (let i = 0; i < 30; i++) a.update(1 / 60);
    expect(a.projectiles.count).toBe(0);
    expect(events).toHaveLength(0);
    expect(a.pendingCount).toBe(1);

    const dirty = new DirtyChunks();
    dirty.add(0);
    a.carveApplied(carve(id), dirty, 33);
    expect(events).toEqual([{ x: 16, voxels: 33, dirty: 1 }]);
    expect(a.pendingCount).toBe(0);
    expect(spans.ended).toEqual([[id, "confirmed"]]);
    expect(a.commands.confirmed).toBe(1);
    expect(a.recentCarves.at(-1)).toMatchObject({ impactId: 900, commandId: id, shooterId: ME, voxels: 33 });
  });

  it("another player's carve with the same command id does not close this client's command", () => {
    const { a } = setup();
    const id = a.fire([16.5, 8.5, 4.5], [0, 0, 1]);
    a.carveApplied(carve(id, ME + 1), new DirtyChunks(), 10);
    expect(a.pendingCount).toBe(1);
  });

  it("hits confirm, fire-rate errors reject, silence times out", () => {
    const { a, spans, advance } = setup();
    const hit = a.fire([16.5, 8.5, 4.5], [0, 0, 1]);
    const refused = a.fire([16.5, 8.5, 4.5], [0, 0, 1]);
    const lost = a.fire([16.5, 8.5, 4.5], [0, 0, 1]);
    a.hit({ type: ServerMsg.Hit, commandId: hit, shooterId: ME, targetId: 3, targetKind: HitTarget.Npc, projectileId: 4, x: 0, y: 0, z: 0, damage: 25, health: 75, sx: 16.5, sy: 8.5, sz: 4.5 });
    a.rejected({ type: ServerMsg.Error, reason: RejectReason.FireRate, commandId: refused, fatal: false });
    a.update(0);
    expect(a.projectiles.count).toBe(1);
    advance(1500 + COMMANDS.graceMs + 1);
    a.update(0);
    expect(spans.ended).toEqual([[hit, "confirmed"], [refused, "rejected"], [lost, "timeout"]]);
    expect(a.commands).toMatchObject({ sent: 3, confirmed: 1, rejected: 1, timedOut: 1 });
  });

  it("the end of its server projectile without any event also answers a command", () => {
    const { a, spans } = setup();
    const id = a.fire([16.5, 30, 4.5], [0, 1, 0]);
    a.delta(delta([{ id: 50, owner: ME, commandId: id }]));
    expect(a.recentOwnProjectiles).toEqual([{ projectileId: 50, commandId: id }]);
    a.delta(delta([], [50]));
    expect(spans.ended).toEqual([[id, "confirmed"]]);
  });

  it("draws other players' projectiles from the server's spawn records at the render tick, not its own", () => {
    const { a, mirror } = setup();
    const d = delta([{ id: 60, owner: 99, commandId: 1 }, { id: 61, owner: ME, commandId: 1 }]);
    mirror.applyDelta(d);
    a.update(0, 3 + 15);
    // Only the other player's; half a second of flight at 80 voxels/s.
    expect(a.projectiles.count).toBe(1);
    expect(a.projectiles.xyz[2]).toBeCloseTo(4 + 40, 6);
    a.update(0, 2);
    expect(a.projectiles.count).toBe(0);
  });

  it("a fire while disconnected is refused and its span ended; a reconnect supersedes open commands", () => {
    const { a, spans, setOnline } = setup();
    const open = a.fire([16.5, 8.5, 4.5], [0, 0, 1]);
    setOnline(false);
    expect(a.fire([16.5, 8.5, 4.5], [0, 0, 1])).toBe(-1);
    expect(spans.ended).toEqual([[open + 1, "rejected"]]);
    setOnline(true);
    a.welcome(welcome());
    expect(spans.ended.at(-1)).toEqual([open, "superseded"]);
    expect(a.pendingCount).toBe(0);
    expect(a.projectiles.count).toBe(0);
  });
});
