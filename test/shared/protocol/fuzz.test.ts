// Fuzzing both decoders with random bytes, truncations and bit flips of valid frames: every
// input must produce either a message or a typed rejection, never an exception.
import { describe, expect, it } from "vitest";
import {
  appendToBatch,
  beginBatch,
  ByteWriter,
  createSelfState,
  createVoxelSet,
  decodeClientMessage,
  DecodeErrorCode,
  encodeCarve,
  encodeDelta,
  encodeDown,
  encodeFire,
  encodeHello,
  encodeInput,
  encodePing,
  encodeScoreboard,
  encodeScores,
  encodeSnapshot,
  encodeWelcome,
  EntityFlag,
  EntityFrame,
  EntityKind,
  IdList,
  ProjectileFrame,
  PROTOCOL_VERSION,
  ServerDecoder,
} from "../../../src/shared/protocol/index.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";

const CODES = new Set<string>(Object.values(DecodeErrorCode));
const w = new ByteWriter();

function validClientFrames(): Uint8Array[] {
  return [
    encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: "00112233445566778899aabbccddeeff", logBase: 0xdeadbeef, lastSeq: 2 ** 40 }).slice(),
    encodeInput(w, { seq: 70000, dt: 0.033, forward: 1, right: 0, yaw: 2, pitch: 0.1, buttons: 1 }).slice(),
    encodeFire(w, { commandId: 5, ox: 1, oy: 2, oz: 3, dx: 0, dy: 0, dz: -1, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }).slice(),
    encodePing(w, { clientTime: 12 }).slice(),
    encodePing(w, { clientTime: 12, rttMs: 35 }).slice(),
    encodeScores(w).slice(),
  ];
}

function validServerFrames(): Uint8Array[] {
  const ents = new EntityFrame();
  for (let k = 0; k < 5; k++) {
    const i = ents.push();
    ents.id[i] = k * 3 + 1;
    ents.flags[i] = EntityFlag.Enter | EntityFlag.PosAbs | EntityFlag.Yaw | EntityFlag.Health;
    ents.kind[i] = EntityKind.Npc;
    ents.x[i] = 1000 * k;
  }
  const proj = new ProjectileFrame();
  proj.push();
  const set = createVoxelSet();
  set.sizeX = 4; set.sizeY = 4; set.sizeZ = 4;
  set.mask = new Uint8Array(8).fill(0x5a);
  const batch = new ByteWriter();
  beginBatch(batch);
  appendToBatch(batch, encodeCarve(w, { seq: 1, impactId: 9, commandId: null, shooterId: 1, did: 0, projectileId: 2, tick: 3, cx: 0, cy: 0, cz: 0, radius: 2, voxels: set }));
  appendToBatch(batch, encodeDelta(w, {
    tick: 4, ackSeq: 5, hasStats: false, tickMsAvg: 0, tickMsMax: 0, hasSelf: false, self: createSelfState(),
    entities: ents, removed: new IdList(), projectileSpawns: proj, projectileDespawns: new IdList(),
  }));
  return [
    batch.copy(),
    encodeWelcome(w, {
      version: 1, sessionId: "0123456789abcdef0123456789abcdef", resumeToken: "fedcba9876543210fedcba9876543210", resumed: false,
      entityId: 1, tickHz: 30, tick: 5, seed: 1, chunksX: 4, chunksY: 2, chunksZ: 4, spawnX: 1, spawnY: 2, spawnZ: 3, spawnYaw: 0,
      interestRadius: 64, weaponCooldownMs: 250, projectileSpeed: 60, projectileLifetimeMs: 2000, zone: "z", shard: "s",
      callsign: "Quiet Owl 33", team: 1, maxHealth: 100, respawnMs: 3000, logBase: 0xfeedbeef, baseSeq: 2 ** 40, lastSeq: 2 ** 53 - 1,
    }).slice(),
    encodeSnapshot(w, { tick: 1, editSets: 0, self: createSelfState(), entities: ents, projectiles: proj }).slice(),
    encodeDelta(w, {
      tick: 2, ackSeq: 3, hasStats: true, tickMsAvg: 1, tickMsMax: 2, hasSelf: true, self: createSelfState(),
      entities: ents, removed: new IdList(), projectileSpawns: proj, projectileDespawns: new IdList(),
    }).slice(),
    encodeCarve(w, { seq: 2 ** 35, impactId: 1, commandId: 2, shooterId: 3, did: 4, projectileId: 5, tick: 6, cx: 0, cy: 0, cz: 0, radius: 2, voxels: set }).slice(),
    encodeDown(w, {
      tick: 9, shooterId: 1, shooterKind: EntityKind.Player, shooterTeam: 1, shooterCallsign: "Keen Yak 20",
      targetId: 2, targetKind: EntityKind.Npc, targetTeam: 0, targetCallsign: "Sly Drone 31",
    }).slice(),
    encodeScoreboard(w, [{ entityId: 1, callsign: "Keen Yak 20", team: 1, downs: 4, deaths: 2, pingMs: 30 }, { entityId: 8, callsign: "Bold Seal 11", team: 2, downs: 0, deaths: 0, pingMs: null }]).slice(),
  ];
}

function expectTyped(r: { ok: boolean; error?: { code: string } }): void {
  if (!r.ok) expect(CODES.has(r.error!.code)).toBe(true);
}

describe("decoder fuzzing", () => {
  const rng = new Rng(0xf00d);
  const dec = new ServerDecoder();

  it("random frames give typed rejections, never throws", () => {
    let rejected = 0;
    for (let n = 0; n < 20000; n++) {
      const len = rng.int(80);
      const bytes = new Uint8Array(len);
      for (let i = 0; i < len; i++) bytes[i] = rng.int(256);
      // Half the time, start with a valid type byte so the field decoders get exercised.
      if (len > 0 && n % 2 === 0) bytes[0] = n % 4 === 0 ? 1 + rng.int(4) : 0x41 + rng.int(9);
      const c = decodeClientMessage(bytes);
      const s = dec.decode(bytes);
      expectTyped(c);
      expectTyped(s);
      if (!c.ok) rejected++;
    }
    expect(rejected).toBeGreaterThan(15000);
  });

  it("every truncation of a valid frame is rejected as truncated (or trailing-free prefix)", () => {
    for (const frame of validClientFrames()) {
      expect(decodeClientMessage(frame).ok).toBe(true);
      for (let cut = 0; cut < frame.length; cut++) {
        const r = decodeClientMessage(frame.subarray(0, cut));
        expect(r.ok).toBe(false);
        expectTyped(r);
      }
    }
    for (const frame of validServerFrames()) {
      expect(dec.decode(frame).ok).toBe(true);
      for (let cut = 0; cut < frame.length; cut++) {
        const r = dec.decode(frame.subarray(0, cut));
        expect(r.ok).toBe(false);
        expectTyped(r);
      }
    }
  });

  it("bit flips of valid frames never throw", () => {
    const frames = [...validClientFrames(), ...validServerFrames()];
    for (let n = 0; n < 20000; n++) {
      const src = frames[n % frames.length];
      const bytes = src.slice();
      const flips = 1 + rng.int(3);
      for (let k = 0; k < flips; k++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
      expectTyped(decodeClientMessage(bytes));
      expectTyped(dec.decode(bytes));
    }
  });

  it("huge declared counts are rejected before any allocation", () => {
    // Delta type, tick 0, ack 0, flags 0, then an entity count of 2^32 - 1.
    const bytes = new Uint8Array([0x44, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    const r = dec.decode(bytes);
    expect(r.ok === false && r.error.code).toBe(DecodeErrorCode.OutOfRange);
    // Over-long varint (6 continuation bytes).
    const v = decodeClientMessage(new Uint8Array([2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
    expect(v.ok === false && v.error.code).toBe(DecodeErrorCode.OutOfRange);
  });
});
