// Round trips of every message type through the binary codec, plus the validation rules
// (NaN/Infinity, bounds, trailing bytes) that the server relies on.
import { describe, expect, it } from "vitest";
import {
  appendToBatch,
  beginBatch,
  ByteWriter,
  ClientMsg,
  createSelfState,
  decodeClientMessage,
  DecodeErrorCode,
  encodeCarve,
  encodeDelta,
  encodeDown,
  encodeError,
  encodeFire,
  encodeHello,
  encodeHit,
  encodeInput,
  encodePing,
  encodePong,
  encodeScoreboard,
  encodeScores,
  encodeSnapshot,
  encodeTransfer,
  encodeWelcome,
  encodeWorldEdits,
  EntityFlag,
  EntityFrame,
  EntityKind,
  EntityMirror,
  HitTarget,
  IdList,
  LIMITS,
  PROTOCOL_VERSION,
  ProjectileFrame,
  RejectReason,
  Team,
  ServerDecoder,
  ServerMsg,
  voxelSetCount,
  voxelSetFromCarve,
  voxelSetToEdits,
  createVoxelSet,
  quantPos,
  quantYaw,
} from "../../../src/shared/protocol/index.ts";
import type { DeltaMsg, ServerMessage, SnapshotMsg, VoxelSet } from "../../../src/shared/protocol/index.ts";
import { applyEdits, CarveResult, carveSphere, EditLog } from "../../../src/shared/voxel/carve.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { World } from "../../../src/shared/voxel/world.ts";

const w = new ByteWriter(16);

function server(bytes: Uint8Array): ServerMessage {
  const r = new ServerDecoder().decode(bytes.slice());
  if (!r.ok) throw new Error(`decode failed: ${r.error.code} ${r.error.detail}`);
  return r.msg;
}

function sampleSet(): VoxelSet {
  const s = createVoxelSet();
  s.material = Material.Air;
  s.minX = 10; s.minY = 20; s.minZ = 30;
  s.sizeX = 3; s.sizeY = 2; s.sizeZ = 5;
  s.mask = new Uint8Array([0xff, 0x01, 0x80, 0x55]);
  return s;
}

describe("client messages", () => {
  it("round-trips hello with and without a resume token, and with and without a world's log position", () => {
    for (const resumeToken of [null, "00112233445566778899aabbccddeeff"]) {
      const r = decodeClientMessage(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken }).slice());
      expect(r).toEqual({ ok: true, msg: { type: ClientMsg.Hello, version: PROTOCOL_VERSION, resumeToken, logBase: 0, lastSeq: 0, ticket: null } });
      const at = { logBase: 0xfffffffe, lastSeq: 2 ** 53 - 1 };
      const s = decodeClientMessage(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken, ...at }).slice());
      expect(s).toEqual({ ok: true, msg: { type: ClientMsg.Hello, version: PROTOCOL_VERSION, resumeToken, ...at, ticket: null } });
    }
  });

  it("round-trips hello with a hand-off ticket, alone or with a resume token, and refuses unknown flag bits", () => {
    const ticket = "0123456789abcdef0123456789abcdef";
    for (const resumeToken of [null, "00112233445566778899aabbccddeeff"]) {
      const r = decodeClientMessage(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken, ticket, logBase: 7, lastSeq: 9 }).slice());
      expect(r).toEqual({ ok: true, msg: { type: ClientMsg.Hello, version: PROTOCOL_VERSION, resumeToken, logBase: 7, lastSeq: 9, ticket } });
    }
    const bytes = encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null, ticket }).slice();
    bytes[3] = 4;
    expect(decodeClientMessage(bytes).ok).toBe(false);
  });

  it("reads only the version of another version's hello (refused with the version close code, not as malformed)", () => {
    for (const version of [1, 2, PROTOCOL_VERSION + 1]) {
      const old = Uint8Array.of(ClientMsg.Hello, version & 0xff, version >> 8, 1, ...new Array<number>(16).fill(0xab));
      expect(decodeClientMessage(old)).toEqual({ ok: true, msg: { type: ClientMsg.Hello, version, resumeToken: null, logBase: 0, lastSeq: 0, ticket: null } });
    }
  });

  it("round-trips input", () => {
    const input = { seq: 123456, dt: 1 / 30, forward: 1, right: -0.5, yaw: 1.25, pitch: -0.25, buttons: 1 };
    const r = decodeClientMessage(encodeInput(w, input).slice());
    expect(r.ok).toBe(true);
    if (!r.ok || r.msg.type !== ClientMsg.Input) return;
    expect(r.msg.seq).toBe(123456);
    expect(r.msg.dt).toBeCloseTo(1 / 30, 6);
    expect([r.msg.forward, r.msg.right, r.msg.yaw, r.msg.pitch, r.msg.buttons]).toEqual([1, -0.5, 1.25, -0.25, 1]);
  });

  it("round-trips fire with a traceparent, and drops an over-long one at encode", () => {
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const fire = { commandId: 0xfffffffe, ox: 1.5, oy: 2.5, oz: -3, dx: 0, dy: 0, dz: -1, traceparent: tp };
    const r = decodeClientMessage(encodeFire(w, fire).slice());
    expect(r).toEqual({ ok: true, msg: { type: ClientMsg.Fire, ...fire } });
    const long = decodeClientMessage(encodeFire(w, { ...fire, traceparent: tp + "x" }).slice());
    expect(long.ok && long.msg.type === ClientMsg.Fire && long.msg.traceparent).toBe(null);
  });

  it("round-trips ping", () => {
    expect(decodeClientMessage(encodePing(w, { clientTime: 1234.5678 }).slice())).toEqual({
      ok: true, msg: { type: ClientMsg.Ping, clientTime: 1234.5678 },
    });
  });

  it("round-trips a ping carrying the measured round trip, rounded and capped", () => {
    expect(decodeClientMessage(encodePing(w, { clientTime: 7, rttMs: 41.6 }).slice())).toEqual({
      ok: true, msg: { type: ClientMsg.Ping, clientTime: 7, rttMs: 42 },
    });
    const capped = decodeClientMessage(encodePing(w, { clientTime: 7, rttMs: 1e9 }).slice());
    expect(capped.ok && capped.msg.type === ClientMsg.Ping && capped.msg.rttMs).toBe(65534);
    const unknown = decodeClientMessage(encodePing(w, { clientTime: 7, rttMs: Number.NaN }).slice());
    expect(unknown.ok && unknown.msg.type === ClientMsg.Ping && "rttMs" in unknown.msg).toBe(false);
  });

  it("round-trips a scoreboard request", () => {
    expect(decodeClientMessage(encodeScores(w).slice())).toEqual({ ok: true, msg: { type: ClientMsg.Scores } });
  });

  it("rejects NaN and Infinity with non_finite", () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const r = decodeClientMessage(encodeInput(w, { seq: 1, dt: 0.033, forward: bad, right: 0, yaw: 0, pitch: 0, buttons: 0 }).slice());
      expect(r.ok === false && r.error.code).toBe(DecodeErrorCode.NonFinite);
      const f = decodeClientMessage(encodeFire(w, { commandId: 1, ox: 0, oy: bad, oz: 0, dx: 1, dy: 0, dz: 0, traceparent: null }).slice());
      expect(f.ok === false && f.error.code).toBe(DecodeErrorCode.NonFinite);
    }
  });

  it("rejects a zero aim vector, unknown types, trailing bytes and empty frames", () => {
    const zero = decodeClientMessage(encodeFire(w, { commandId: 1, ox: 0, oy: 0, oz: 0, dx: 0, dy: 0, dz: 0, traceparent: null }).slice());
    expect(zero.ok === false && zero.error.code).toBe(DecodeErrorCode.OutOfRange);
    const unknown = decodeClientMessage(new Uint8Array([0x7f, 1, 2]));
    expect(unknown.ok === false && unknown.error.code).toBe(DecodeErrorCode.UnknownType);
    const ping = encodePing(w, { clientTime: 1 });
    const trailing = new Uint8Array(ping.length + 1);
    trailing.set(ping);
    const t = decodeClientMessage(trailing);
    expect(t.ok === false && t.error.code).toBe(DecodeErrorCode.Trailing);
    const e = decodeClientMessage(new Uint8Array(0));
    expect(e.ok === false && e.error.code).toBe(DecodeErrorCode.Empty);
  });

  it("rejects a traceparent with non-printable bytes or over 55 chars", () => {
    const bytes = encodeFire(w, { commandId: 1, ox: 0, oy: 0, oz: 0, dx: 1, dy: 0, dz: 0, traceparent: "abc" }).slice();
    bytes[bytes.length - 1] = 0x01;
    const r = decodeClientMessage(bytes);
    expect(r.ok === false && r.error.code).toBe(DecodeErrorCode.OutOfRange);
    const long = encodeFire(w, { commandId: 1, ox: 0, oy: 0, oz: 0, dx: 1, dy: 0, dz: 0, traceparent: "a".repeat(55) }).slice();
    long[long.length - 56] = 56;
    const grown = new Uint8Array(long.length + 1);
    grown.set(long);
    grown[grown.length - 1] = 0x61;
    const g = decodeClientMessage(grown);
    expect(g.ok === false && g.error.code).toBe(DecodeErrorCode.OutOfRange);
  });
});

describe("server messages", () => {
  it("round-trips welcome", () => {
    const m = {
      version: PROTOCOL_VERSION, sessionId: "0123456789abcdef0123456789abcdef", resumeToken: "fedcba9876543210fedcba9876543210",
      resumed: true, entityId: 77, tickHz: 30, tick: 99999, seed: 0xdeadbeef, chunksX: 16, chunksY: 4, chunksZ: 16,
      spawnX: 256.5, spawnY: 45, spawnZ: 256.5, spawnYaw: 0, interestRadius: 64, weaponCooldownMs: 250,
      projectileSpeed: 60, projectileLifetimeMs: 2000, zone: "zone-1", shard: "shard-a",
      callsign: "Brave Lynx 07", team: Team.Bravo, maxHealth: 100, respawnMs: 3000,
      logBase: 0x80000001, baseSeq: 127, lastSeq: 2 ** 53 - 1,
    };
    expect(server(encodeWelcome(w, m))).toEqual({ type: ServerMsg.Welcome, ...m });
  });

  it("round-trips world edits", () => {
    const sets = [sampleSet(), { ...sampleSet(), minX: 0, sizeX: 1, sizeY: 1, sizeZ: 1, mask: new Uint8Array([1]) }];
    expect(server(encodeWorldEdits(w, sets))).toEqual({ type: ServerMsg.WorldEdits, sets });
  });

  it("round-trips snapshot and delta entity records through the mirror", () => {
    const ents = new EntityFrame();
    const add = (id: number, kind: number, x: number, y: number, z: number, yaw: number, hp: number) => {
      const i = ents.push();
      ents.id[i] = id;
      ents.flags[i] = EntityFlag.Enter | EntityFlag.PosAbs | EntityFlag.Yaw | EntityFlag.Health;
      ents.kind[i] = kind;
      ents.x[i] = quantPos(x); ents.y[i] = quantPos(y); ents.z[i] = quantPos(z);
      ents.yaw[i] = quantYaw(yaw);
      ents.health[i] = hp;
    };
    add(5, EntityKind.Player, 100.5, 40, 200.25, 1, 100);
    add(3, EntityKind.Npc, 90, 41, 210, 3, 60);
    add(900, EntityKind.Npc, 10, 41, 10, 0, 1);
    const proj = new ProjectileFrame();
    const p = proj.push();
    proj.id[p] = 42; proj.owner[p] = 5; proj.commandId[p] = 7;
    proj.x[p] = 1600; proj.y[p] = 640; proj.z[p] = 3200; proj.vx[p] = 0; proj.vy[p] = -16; proj.vz[p] = -960;
    const self = { ...createSelfState(), x: 100.5, y: 40, z: 200.25, vx: 1, flags: 1, health: 100 };
    const snap = server(encodeSnapshot(w, { tick: 10, editSets: 4, self, entities: ents, projectiles: proj })) as SnapshotMsg;
    expect(snap.type).toBe(ServerMsg.Snapshot);
    expect(snap.editSets).toBe(4);
    expect(snap.self).toEqual(self);
    const mirror = new EntityMirror();
    mirror.applySnapshot(snap);
    expect(mirror.entities.size).toBe(3);
    expect(mirror.entities.get(5)).toMatchObject({ kind: EntityKind.Player, x: 100.5, y: 40, z: 200.25, health: 100 });
    expect(mirror.projectiles.get(42)).toMatchObject({ owner: 5, commandId: 7, vz: -60 });

    const d = new EntityFrame();
    const rec = (id: number, flags: number, x: number, y: number, z: number) => {
      const i = d.push();
      d.id[i] = id; d.flags[i] = flags; d.x[i] = x; d.y[i] = y; d.z[i] = z;
      return i;
    };
    rec(5, EntityFlag.PosXZ4, -8, 0, 7);
    const j = rec(3, EntityFlag.Pos8 | EntityFlag.Yaw | EntityFlag.Health, 127, -128, 1);
    d.yaw[j] = 200; d.health[j] = 10;
    rec(900, EntityFlag.PosAbs, 50000, -3, 1 << 20);
    const removed = new IdList();
    const despawns = new IdList();
    despawns.push(42);
    const delta: Omit<DeltaMsg, "type"> = {
      tick: 11, ackSeq: 500, hasStats: true, tickMsAvg: 3.21, tickMsMax: 12.5, hasSelf: false, self: createSelfState(),
      entities: d, removed, projectileSpawns: new ProjectileFrame(), projectileDespawns: despawns,
    };
    const dm = server(encodeDelta(w, delta)) as DeltaMsg;
    expect([dm.tick, dm.ackSeq, dm.hasStats, dm.tickMsAvg, dm.tickMsMax, dm.hasSelf]).toEqual([11, 500, true, 3.21, 12.5, false]);
    mirror.applyDelta(dm);
    expect(mirror.entities.get(5)).toMatchObject({ qx: quantPos(100.5) - 8, qz: quantPos(200.25) + 7 });
    expect(mirror.entities.get(3)).toMatchObject({ qx: 90 * 16 + 127, qy: 41 * 16 - 128, qz: 210 * 16 + 1, qyaw: 200, health: 10 });
    expect(mirror.entities.get(900)).toMatchObject({ qx: 50000, qy: -3, qz: 1 << 20 });
    expect(mirror.projectiles.size).toBe(0);

    removed.push(3);
    removed.push(900);
    const d2 = server(encodeDelta(w, { ...delta, entities: new EntityFrame(), projectileDespawns: new IdList() })) as DeltaMsg;
    mirror.applyDelta(d2);
    expect([...mirror.entities.keys()]).toEqual([5]);
    expect(mirror.inconsistencies).toBe(0);
  });

  it("round-trips carve, hit, pong and error", () => {
    const carve = {
      seq: 300_000_000_000, impactId: 0x89abcdef, commandId: 17, shooterId: 5, did: 1, projectileId: 9, tick: 1000,
      cx: 1.5, cy: 2.5, cz: 3.5, radius: 2.5, voxels: sampleSet(),
    };
    expect(server(encodeCarve(w, carve))).toEqual({ type: ServerMsg.Carve, ...carve });
    expect(server(encodeCarve(w, { ...carve, commandId: null, did: 0 }))).toEqual({ type: ServerMsg.Carve, ...carve, commandId: null, did: 0 });
    const hit = { commandId: 3, shooterId: 5, targetId: 8, targetKind: HitTarget.Npc, projectileId: 9, x: 1, y: 2, z: 3, damage: 25, health: 75, sx: 4, sy: 5.5, sz: -6 };
    expect(server(encodeHit(w, hit))).toEqual({ type: ServerMsg.Hit, ...hit });
    expect(server(encodePong(w, { clientTime: 5.5, serverTime: 1.7e12, tick: 3 }))).toEqual({ type: ServerMsg.Pong, clientTime: 5.5, serverTime: 1.7e12, tick: 3 });
    for (const commandId of [null, 99]) {
      const e = { reason: RejectReason.FireRate, commandId, fatal: commandId === null };
      expect(server(encodeError(w, e))).toEqual({ type: ServerMsg.Error, ...e });
    }
  });

  it("round-trips a transfer, refuses to encode a bad url or ticket, and rejects a non-ws url on decode", () => {
    const t = { url: "wss://zone-1.example.org/ws", ticket: "0123456789abcdef0123456789abcdef", zone: "zone-1" };
    expect(server(encodeTransfer(w, t))).toEqual({ type: ServerMsg.Transfer, ...t });
    expect(() => encodeTransfer(w, { ...t, url: "http://x/ws" })).toThrow(/url/);
    expect(() => encodeTransfer(w, { ...t, url: `ws://${"a".repeat(260)}` })).toThrow(/url/);
    expect(() => encodeTransfer(w, { ...t, ticket: "nope" })).toThrow(/ticket/);
    const bytes = encodeTransfer(w, t).slice();
    bytes.set(new TextEncoder().encode("http"), 2);
    const r = new ServerDecoder().decode(bytes);
    expect(r.ok).toBe(false);
  });

  it("round-trips down events and scoreboards, and rejects a bad team or kind", () => {
    const down = {
      tick: 77, shooterId: 5, shooterKind: EntityKind.Player, shooterTeam: Team.Alpha, shooterCallsign: "Swift Otter 42",
      targetId: 9, targetKind: EntityKind.Npc, targetTeam: Team.None, targetCallsign: "Rusty Drone 17",
    };
    const bytes = encodeDown(w, down).slice();
    expect(server(bytes)).toEqual({ type: ServerMsg.Down, ...down });
    const badTeam = bytes.slice();
    badTeam[1 + 1 + 1 + 1] = 3; // tick, shooter id, shooter kind, then the shooter's team
    const r = new ServerDecoder().decode(badTeam);
    expect(r.ok === false && r.error.code).toBe(DecodeErrorCode.OutOfRange);
    const badKind = bytes.slice();
    badKind[3] = 7;
    expect(new ServerDecoder().decode(badKind).ok).toBe(false);

    const rows = [
      { entityId: 5, callsign: "Swift Otter 42", team: Team.Alpha, downs: 3, deaths: 1, pingMs: 28 },
      { entityId: 300, callsign: "Calm Heron 12", team: Team.Bravo, downs: 0, deaths: 200, pingMs: null },
    ];
    expect(server(encodeScoreboard(w, rows))).toEqual({ type: ServerMsg.Scoreboard, rows });
    const many = Array.from({ length: LIMITS.scoreboardRows + 5 }, (_, i) => ({ ...rows[0], entityId: i + 1 }));
    const sb = server(encodeScoreboard(new ByteWriter(), many));
    expect(sb.type === ServerMsg.Scoreboard && sb.rows.length).toBe(LIMITS.scoreboardRows);
  });

  it("carries each entity's team in its enter record", () => {
    const ents = new EntityFrame();
    const i = ents.push();
    ents.id[i] = 4;
    ents.flags[i] = EntityFlag.Enter | EntityFlag.PosAbs | EntityFlag.Yaw | EntityFlag.Health;
    ents.kind[i] = EntityKind.Player;
    ents.team[i] = Team.Bravo;
    ents.health[i] = 100;
    const snap = server(encodeSnapshot(w, { tick: 1, editSets: 0, self: createSelfState(), entities: ents, projectiles: new ProjectileFrame() })) as SnapshotMsg;
    const mirror = new EntityMirror();
    mirror.applySnapshot(snap);
    expect(mirror.entities.get(4)).toMatchObject({ kind: EntityKind.Player, team: Team.Bravo, health: 100 });
    ents.team[i] = 9;
    const bad = new ServerDecoder().decode(encodeSnapshot(w, { tick: 1, editSets: 0, self: createSelfState(), entities: ents, projectiles: new ProjectileFrame() }).slice());
    expect(bad.ok === false && bad.error.code).toBe(DecodeErrorCode.OutOfRange);
  });

  it("packs several messages in one Batch frame and unpacks them in order", () => {
    const bw = new ByteWriter();
    beginBatch(bw);
    appendToBatch(bw, encodePong(w, { clientTime: 1, serverTime: 2, tick: 3 }));
    appendToBatch(bw, encodeError(w, { reason: RejectReason.FireRate, commandId: 4, fatal: false }));
    const seen: number[] = [];
    const err = new ServerDecoder().decodeFrame(bw.copy(), (m) => seen.push(m.type));
    expect(err).toBeNull();
    expect(seen).toEqual([ServerMsg.Pong, ServerMsg.Error]);
    // Nested or empty batches are rejected.
    const nested = new ByteWriter();
    beginBatch(nested);
    appendToBatch(nested, bw.copy());
    expect(new ServerDecoder().decodeFrame(nested.copy(), () => {})?.code).toBe(DecodeErrorCode.OutOfRange);
    expect(new ServerDecoder().decode(new Uint8Array([ServerMsg.Batch])).ok).toBe(false);
  });

  it("rejects snapshot records without the enter flag and conflicting position modes", () => {
    const ents = new EntityFrame();
    const i = ents.push();
    ents.id[i] = 1;
    ents.flags[i] = EntityFlag.PosAbs;
    const bytes = encodeSnapshot(w, { tick: 1, editSets: 0, self: createSelfState(), entities: ents, projectiles: new ProjectileFrame() }).slice();
    const r = new ServerDecoder().decode(bytes);
    expect(r.ok === false && r.error.code).toBe(DecodeErrorCode.OutOfRange);
    ents.flags[i] = EntityFlag.PosAbs | EntityFlag.Pos8;
    const delta = encodeDelta(w, {
      tick: 1, ackSeq: 0, hasStats: false, tickMsAvg: 0, tickMsMax: 0, hasSelf: false, self: createSelfState(),
      entities: ents, removed: new IdList(), projectileSpawns: new ProjectileFrame(), projectileDespawns: new IdList(),
    }).slice();
    const r2 = new ServerDecoder().decode(delta);
    expect(r2.ok === false && r2.error.code).toBe(DecodeErrorCode.OutOfRange);
  });
});

describe("voxel sets", () => {
  it("carries a real crater exactly: replaying it gives the carving world's checksum", () => {
    const size = { chunksX: 2, chunksY: 1, chunksZ: 2 };
    const a = new World(size);
    const b = new World(size);
    for (const wd of [a, b]) for (let x = 20; x < 44; x++) for (let y = 0; y < 20; y++) for (let z = 20; z < 44; z++) wd.set(x, y, z, Material.Stone);
    const carve = new CarveResult();
    const n = carveSphere(a, 32.2, 10.7, 31.9, 3.5, carve);
    expect(n).toBeGreaterThan(50);
    const set = createVoxelSet();
    expect(voxelSetFromCarve(carve, Material.Air, set)).toBe(true);
    expect(voxelSetCount(set)).toBe(n);
    const decoded = server(encodeCarve(w, {
      seq: 1, impactId: 1, commandId: null, shooterId: 0, did: 0, projectileId: 0, tick: 0, cx: 32.2, cy: 10.7, cz: 31.9, radius: 3.5, voxels: set,
    }));
    expect(decoded.type).toBe(ServerMsg.Carve);
    if (decoded.type !== ServerMsg.Carve) return;
    const log = new EditLog();
    voxelSetToEdits(b, decoded.voxels, log);
    expect(applyEdits(b, log)).toBe(n);
    expect(worldChecksum(b)).toBe(worldChecksum(a));
  });
});
