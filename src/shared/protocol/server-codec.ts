// Encoders and the decoder for server-to-client messages. Encoders write into a reusable
// ByteWriter; the decoder (a class, because deltas decode into reusable frames) validates every
// count, length and enum and returns a typed rejection instead of throwing.
import { isHex32, readHex16, writeHex16 } from "./client-codec.ts";
import type { DecodeResult } from "./client-codec.ts";
import {
  CALLSIGN_MAX,
  createSelfState,
  ENTITY_FLAG_MASK,
  EntityFlag,
  EntityFrame,
  EntityKind,
  HitTarget,
  IdList,
  LIMITS,
  NAME_MAX,
  ProjectileFrame,
  REJECT_REASON_MAX,
  RTT_UNKNOWN,
  ServerMsg,
  TEAM_MAX,
  URL_MAX,
} from "./messages.ts";
import type {
  BatchMsg,
  CarveMsg,
  DeltaMsg,
  DownMsg,
  ErrorMsg,
  HitMsg,
  PongMsg,
  RejectReason,
  ScoreboardMsg,
  ScoreRow,
  SelfState,
  ServerMessage,
  SnapshotMsg,
  Team,
  TransferMsg,
  VoxelSet,
  WelcomeMsg,
  WorldEditsMsg,
} from "./messages.ts";
import { ByteReader, DecodeErrorCode } from "./reader.ts";
import type { DecodeError } from "./reader.ts";
import { createVoxelSet, readVoxelSet, writeVoxelSet } from "./voxelset.ts";
import type { ByteWriter } from "./writer.ts";

const POS_MODES = EntityFlag.PosAbs | EntityFlag.PosXZ4 | EntityFlag.Pos8;

/** Encodes a welcome. Returns a view into `w`. */
export function encodeWelcome(w: ByteWriter, m: Omit<WelcomeMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Welcome);
  w.u16(m.version);
  writeHex16(w, m.sessionId);
  writeHex16(w, m.resumeToken);
  w.u8(m.resumed ? 1 : 0);
  w.varU(m.entityId);
  w.u8(m.tickHz);
  w.varU(m.tick);
  w.u32(m.seed >>> 0);
  w.u8(m.chunksX);
  w.u8(m.chunksY);
  w.u8(m.chunksZ);
  w.f32(m.spawnX);
  w.f32(m.spawnY);
  w.f32(m.spawnZ);
  w.f32(m.spawnYaw);
  w.u16(m.interestRadius);
  w.u16(m.weaponCooldownMs);
  w.f32(m.projectileSpeed);
  w.u16(m.projectileLifetimeMs);
  w.ascii(m.zone.slice(0, NAME_MAX));
  w.ascii(m.shard.slice(0, NAME_MAX));
  w.ascii(m.callsign.slice(0, CALLSIGN_MAX));
  w.u8(m.team);
  w.u8(m.maxHealth);
  w.u16(m.respawnMs);
  w.u32(m.logBase >>> 0);
  w.varU53(m.baseSeq);
  w.varU53(m.lastSeq);
  return w.view();
}

/** Starts a WorldEdits message holding `count` sets; append each with writeVoxelSet or pre-encoded bytes. */
export function beginWorldEdits(w: ByteWriter, count: number): void {
  w.reset();
  w.u8(ServerMsg.WorldEdits);
  w.varU(count);
}

/** Encodes a WorldEdits message from decoded sets. Returns a view into `w`. */
export function encodeWorldEdits(w: ByteWriter, sets: readonly VoxelSet[]): Uint8Array<ArrayBuffer> {
  beginWorldEdits(w, sets.length);
  for (const s of sets) writeVoxelSet(w, s);
  return w.view();
}

function writeSelf(w: ByteWriter, s: SelfState): void {
  w.f32(s.x);
  w.f32(s.y);
  w.f32(s.z);
  w.f32(s.vx);
  w.f32(s.vy);
  w.f32(s.vz);
  w.u8(s.flags);
  w.u8(s.health);
}

/** Writes entity records; ids are zigzag deltas from the previous record's id. */
function writeEntities(w: ByteWriter, f: EntityFrame): void {
  w.varU(f.count);
  let prev = 0;
  for (let i = 0; i < f.count; i++) {
    const flags = f.flags[i];
    w.varI((f.id[i] - prev) | 0);
    prev = f.id[i];
    w.u8(flags);
    if (flags & EntityFlag.Enter) {
      w.u8(f.kind[i]);
      w.u8(f.team[i]);
    }
    if (flags & EntityFlag.PosAbs) {
      w.varI(f.x[i]);
      w.varI(f.y[i]);
      w.varI(f.z[i]);
    } else if (flags & EntityFlag.PosXZ4) {
      w.u8((f.x[i] & 15) | ((f.z[i] & 15) << 4));
    } else if (flags & EntityFlag.Pos8) {
      w.i8(f.x[i]);
      w.i8(f.y[i]);
      w.i8(f.z[i]);
    }
    if (flags & EntityFlag.Yaw) w.u8(f.yaw[i]);
    if (flags & EntityFlag.Health) w.u8(f.health[i]);
  }
}

function writeIds(w: ByteWriter, l: IdList): void {
  w.varU(l.count);
  let prev = 0;
  for (let i = 0; i < l.count; i++) {
    w.varI((l.ids[i] - prev) | 0);
    prev = l.ids[i];
  }
}

function writeProjectiles(w: ByteWriter, p: ProjectileFrame): void {
  w.varU(p.count);
  for (let i = 0; i < p.count; i++) {
    w.varU(p.id[i]);
    w.varU(p.owner[i]);
    w.u32(p.commandId[i]);
    w.varI(p.x[i]);
    w.varI(p.y[i]);
    w.varI(p.z[i]);
    w.i16(p.vx[i]);
    w.i16(p.vy[i]);
    w.i16(p.vz[i]);
  }
}

/** Encodes the join snapshot's closing message. Returns a view into `w`. */
export function encodeSnapshot(w: ByteWriter, m: Omit<SnapshotMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Snapshot);
  w.varU(m.tick);
  w.varU(m.editSets);
  writeSelf(w, m.self);
  writeEntities(w, m.entities);
  writeProjectiles(w, m.projectiles);
  return w.view();
}

/** Encodes a per-tick delta. Returns a view into `w`. */
export function encodeDelta(w: ByteWriter, m: Omit<DeltaMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Delta);
  w.varU(m.tick);
  w.varU(m.ackSeq);
  w.u8((m.hasStats ? 1 : 0) | (m.hasSelf ? 2 : 0));
  if (m.hasStats) {
    // Hundredths of a millisecond, saturating at 655 ms.
    w.u16(Math.min(0xffff, Math.round(m.tickMsAvg * 100)));
    w.u16(Math.min(0xffff, Math.round(m.tickMsMax * 100)));
  }
  if (m.hasSelf) writeSelf(w, m.self);
  writeEntities(w, m.entities);
  writeIds(w, m.removed);
  writeProjectiles(w, m.projectileSpawns);
  writeIds(w, m.projectileDespawns);
  return w.view();
}

/** Encodes a carve event. Returns a view into `w`. */
export function encodeCarve(w: ByteWriter, m: Omit<CarveMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Carve);
  w.varU53(m.seq);
  w.u32(m.impactId);
  w.u8(m.commandId !== null ? 1 : 0);
  if (m.commandId !== null) w.u32(m.commandId);
  w.varU(m.shooterId);
  w.varU(m.did);
  w.varU(m.projectileId);
  w.varU(m.tick);
  w.f32(m.cx);
  w.f32(m.cy);
  w.f32(m.cz);
  w.f32(m.radius);
  writeVoxelSet(w, m.voxels);
  return w.view();
}

/** Encodes a hit event. Returns a view into `w`. */
export function encodeHit(w: ByteWriter, m: Omit<HitMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Hit);
  w.u8(m.commandId !== null ? 1 : 0);
  if (m.commandId !== null) w.u32(m.commandId);
  w.varU(m.shooterId);
  w.varU(m.targetId);
  w.u8(m.targetKind);
  w.varU(m.projectileId);
  w.f32(m.x);
  w.f32(m.y);
  w.f32(m.z);
  w.u8(m.damage);
  w.u8(m.health);
  w.f32(m.sx);
  w.f32(m.sy);
  w.f32(m.sz);
  return w.view();
}

/** Encodes a down event. Returns a view into `w`. */
export function encodeDown(w: ByteWriter, m: Omit<DownMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Down);
  w.varU(m.tick);
  w.varU(m.shooterId);
  w.u8(m.shooterKind);
  w.u8(m.shooterTeam);
  w.ascii(m.shooterCallsign.slice(0, CALLSIGN_MAX));
  w.varU(m.targetId);
  w.u8(m.targetKind);
  w.u8(m.targetTeam);
  w.ascii(m.targetCallsign.slice(0, CALLSIGN_MAX));
  return w.view();
}

/** Encodes a scoreboard (the first LIMITS.scoreboardRows rows). Returns a view into `w`. */
export function encodeScoreboard(w: ByteWriter, rows: readonly ScoreRow[]): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Scoreboard);
  const n = Math.min(rows.length, LIMITS.scoreboardRows);
  w.varU(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    w.varU(row.entityId);
    w.ascii(row.callsign.slice(0, CALLSIGN_MAX));
    w.u8(row.team);
    w.varU(row.downs);
    w.varU(row.deaths);
    w.u16(row.pingMs === null ? RTT_UNKNOWN : Math.min(RTT_UNKNOWN - 1, Math.max(0, Math.round(row.pingMs))));
  }
  return w.view();
}

/** Encodes a pong. Returns a view into `w`. */
export function encodePong(w: ByteWriter, m: Omit<PongMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Pong);
  w.f64(m.clientTime);
  w.f64(m.serverTime);
  w.varU(m.tick);
  return w.view();
}

/** Encodes an error/rejection notice. Returns a view into `w`. */
export function encodeError(w: ByteWriter, m: Omit<ErrorMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ServerMsg.Error);
  w.u8(m.reason);
  w.u8((m.commandId !== null ? 1 : 0) | (m.fatal ? 2 : 0));
  if (m.commandId !== null) w.u32(m.commandId);
  return w.view();
}

/**
 * Encodes a Transfer. Throws when the URL is longer than URL_MAX or not ws:// / wss://, or the
 * ticket is not 32 lowercase hex chars (a server bug, never client input).
 */
export function encodeTransfer(w: ByteWriter, m: Omit<TransferMsg, "type">): Uint8Array<ArrayBuffer> {
  if (m.url.length > URL_MAX || !/^wss?:\/\/[\x21-\x7e]+$/.test(m.url)) throw new Error(`transfer: bad url (${m.url.length} chars)`);
  if (!isHex32(m.ticket)) throw new Error("transfer: ticket must be 32 hex chars");
  w.reset();
  w.u8(ServerMsg.Transfer);
  w.ascii(m.url);
  writeHex16(w, m.ticket);
  w.ascii(m.zone.slice(0, NAME_MAX));
  return w.view();
}

/** Starts a Batch frame in `w`; add messages with appendToBatch (at most LIMITS.messagesPerBatch). */
export function beginBatch(w: ByteWriter): void {
  w.reset();
  w.u8(ServerMsg.Batch);
  w.u16(0);
}

/** Appends one encoded message to the batch being built in `w` and bumps its count. */
export function appendToBatch(w: ByteWriter, msg: Uint8Array): void {
  w.patchU16(1, w.u16At(1) + 1);
  w.varU(msg.length);
  w.bytesRaw(msg);
}

/**
 * Decodes server frames. Snapshot and delta messages decode into frames owned by this
 * decoder, valid until the next decode(); other messages are fresh objects. Never throws.
 */
export class ServerDecoder {
  private readonly r = new ByteReader();
  private readonly delta: DeltaMsg = {
    type: ServerMsg.Delta, tick: 0, ackSeq: 0, hasStats: false, tickMsAvg: 0, tickMsMax: 0, hasSelf: false,
    self: createSelfState(), entities: new EntityFrame(), removed: new IdList(),
    projectileSpawns: new ProjectileFrame(), projectileDespawns: new IdList(),
  };
  private readonly snapshot: SnapshotMsg = {
    type: ServerMsg.Snapshot, tick: 0, editSets: 0, self: createSelfState(), entities: new EntityFrame(),
    projectiles: new ProjectileFrame(),
  };

  /** Decodes one frame. */
  decode(bytes: Uint8Array): DecodeResult<ServerMessage> {
    if (bytes.length === 0) return { ok: false, error: { code: DecodeErrorCode.Empty, detail: "empty frame" } };
    const r = this.r.reset(bytes);
    const type = r.u8("type");
    let msg: ServerMessage;
    switch (type) {
      case ServerMsg.Batch:
        msg = readBatch(r);
        break;
      case ServerMsg.Welcome:
        msg = this.welcome(r);
        break;
      case ServerMsg.WorldEdits:
        msg = readWorldEdits(r);
        break;
      case ServerMsg.Snapshot:
        msg = readSnapshot(r, this.snapshot);
        break;
      case ServerMsg.Delta:
        msg = readDelta(r, this.delta);
        break;
      case ServerMsg.Carve:
        msg = readCarve(r);
        break;
      case ServerMsg.Hit:
        msg = readHit(r);
        break;
      case ServerMsg.Down:
        msg = readDown(r);
        break;
      case ServerMsg.Scoreboard:
        msg = readScoreboard(r);
        break;
      case ServerMsg.Pong:
        msg = { type: ServerMsg.Pong, clientTime: r.f64("pong.client_time"), serverTime: r.f64("pong.server_time"), tick: r.varU("pong.tick") };
        break;
      case ServerMsg.Error:
        msg = readError(r);
        break;
      case ServerMsg.Transfer:
        msg = readTransfer(r);
        break;
      default:
        return { ok: false, error: { code: DecodeErrorCode.UnknownType, detail: `server message type ${type}` } };
    }
    r.end();
    if (r.error !== null) return { ok: false, error: r.error };
    return { ok: true, msg };
  }

  /**
   * Decodes one frame, unpacking a Batch: calls `onMessage` for each message in order (each is
   * valid only during its call). Returns the first decode error, or null.
   */
  decodeFrame(bytes: Uint8Array, onMessage: (m: Exclude<ServerMessage, BatchMsg>) => void): DecodeError | null {
    const outer = this.decode(bytes);
    if (!outer.ok) return outer.error;
    if (outer.msg.type !== ServerMsg.Batch) {
      onMessage(outer.msg);
      return null;
    }
    for (const sub of outer.msg.frames) {
      const r = this.decode(sub);
      if (!r.ok) return r.error;
      if (r.msg.type === ServerMsg.Batch) return { code: DecodeErrorCode.OutOfRange, detail: "nested batch" };
      onMessage(r.msg);
    }
    return null;
  }

  private welcome(r: ByteReader): WelcomeMsg {
    const version = r.u16("welcome.version");
    const sessionId = readHex16(r, "welcome.session_id");
    const resumeToken = readHex16(r, "welcome.resume_token");
    const resumed = r.u8("welcome.resumed");
    if (resumed > 1) r.fail(DecodeErrorCode.OutOfRange, "welcome.resumed");
    const m: WelcomeMsg = {
      type: ServerMsg.Welcome, version, sessionId, resumeToken, resumed: resumed === 1,
      entityId: r.varU("welcome.entity_id"),
      tickHz: r.u8("welcome.tick_hz"),
      tick: r.varU("welcome.tick"),
      seed: r.u32("welcome.seed"),
      chunksX: r.u8("welcome.chunks_x"),
      chunksY: r.u8("welcome.chunks_y"),
      chunksZ: r.u8("welcome.chunks_z"),
      spawnX: r.f32("welcome.spawn_x"),
      spawnY: r.f32("welcome.spawn_y"),
      spawnZ: r.f32("welcome.spawn_z"),
      spawnYaw: r.f32("welcome.spawn_yaw"),
      interestRadius: r.u16("welcome.interest_radius"),
      weaponCooldownMs: r.u16("welcome.weapon_cooldown_ms"),
      projectileSpeed: r.f32("welcome.projectile_speed"),
      projectileLifetimeMs: r.u16("welcome.projectile_lifetime_ms"),
      zone: r.ascii(NAME_MAX, "welcome.zone"),
      shard: r.ascii(NAME_MAX, "welcome.shard"),
      callsign: r.ascii(CALLSIGN_MAX, "welcome.callsign"),
      team: readTeam(r, "welcome.team"),
      maxHealth: r.u8("welcome.max_health"),
      respawnMs: r.u16("welcome.respawn_ms"),
      logBase: r.u32("welcome.log_base"),
      baseSeq: r.varU53("welcome.base_seq"),
      lastSeq: r.varU53("welcome.last_seq"),
    };
    if (r.ok && (m.logBase === 0 || m.baseSeq > m.lastSeq)) r.fail(DecodeErrorCode.OutOfRange, "welcome: log range");
    if (r.ok && (m.tickHz === 0 || m.chunksX === 0 || m.chunksY === 0 || m.chunksZ === 0)) r.fail(DecodeErrorCode.OutOfRange, "welcome: zero tick rate or world size");
    if (r.ok && m.maxHealth === 0) r.fail(DecodeErrorCode.OutOfRange, "welcome.max_health");
    if (r.ok && (!isHex32(sessionId) || !isHex32(resumeToken))) r.fail(DecodeErrorCode.OutOfRange, "welcome: bad token");
    return m;
  }
}

function readTeam(r: ByteReader, what: string): Team {
  const team = r.u8(what);
  if (team > TEAM_MAX) r.fail(DecodeErrorCode.OutOfRange, what);
  return team as Team;
}

function readKind(r: ByteReader, what: string): EntityKind {
  const kind = r.u8(what);
  if (kind !== EntityKind.Player && kind !== EntityKind.Npc) r.fail(DecodeErrorCode.OutOfRange, what);
  return kind as EntityKind;
}

/** A Batch: the sub-frames, each non-empty and none a Batch itself. */
function readBatch(r: ByteReader): BatchMsg {
  const count = r.u16("batch.count");
  if (r.ok && count === 0) r.fail(DecodeErrorCode.OutOfRange, "batch: no messages");
  const frames: Uint8Array[] = [];
  for (let k = 0; k < count && r.ok; k++) {
    const n = r.varU("batch.length");
    const sub = r.bytesView(n, "batch.message");
    if (!r.ok) break;
    if (n === 0 || sub[0] === ServerMsg.Batch) r.fail(DecodeErrorCode.OutOfRange, "batch: empty or nested message");
    frames.push(sub);
  }
  return { type: ServerMsg.Batch, frames };
}

function readWorldEdits(r: ByteReader): WorldEditsMsg {
  const n = r.count(LIMITS.batchesPerMessage, "edits.count");
  const sets: VoxelSet[] = [];
  for (let i = 0; i < n && r.ok; i++) {
    const s = createVoxelSet();
    readVoxelSet(r, s);
    sets.push(s);
  }
  return { type: ServerMsg.WorldEdits, sets };
}

/** Reads a snapshot into the decoder's reused frame `m` (every entity must carry the enter flag). */
function readSnapshot(r: ByteReader, m: SnapshotMsg): SnapshotMsg {
  m.tick = r.varU("snapshot.tick");
  m.editSets = r.varU("snapshot.edit_sets");
  readSelf(r, m.self);
  readEntities(r, m.entities);
  for (let i = 0; i < m.entities.count && r.ok; i++) {
    if ((m.entities.flags[i] & EntityFlag.Enter) === 0) r.fail(DecodeErrorCode.OutOfRange, "snapshot entity without enter flag");
  }
  readProjectiles(r, m.projectiles);
  return m;
}

/** Reads a delta into the decoder's reused frame `m`. */
function readDelta(r: ByteReader, m: DeltaMsg): DeltaMsg {
  m.tick = r.varU("delta.tick");
  m.ackSeq = r.varU("delta.ack_seq");
  const flags = r.u8("delta.flags");
  if (flags > 3) r.fail(DecodeErrorCode.OutOfRange, "delta.flags");
  m.hasStats = (flags & 1) !== 0;
  m.hasSelf = (flags & 2) !== 0;
  if (m.hasStats) {
    m.tickMsAvg = r.u16("delta.tick_ms_avg") / 100;
    m.tickMsMax = r.u16("delta.tick_ms_max") / 100;
  }
  if (m.hasSelf) readSelf(r, m.self);
  readEntities(r, m.entities);
  readIds(r, m.removed, "delta.removed");
  readProjectiles(r, m.projectileSpawns);
  readIds(r, m.projectileDespawns, "delta.projectile_despawns");
  return m;
}

function readCarve(r: ByteReader): CarveMsg {
  const seq = r.varU53("carve.seq");
  const impactId = r.u32("carve.impact_id");
  const commandId = readOptionalCommand(r, "carve");
  const shooterId = r.varU("carve.shooter");
  const did = r.varU("carve.did");
  const projectileId = r.varU("carve.projectile");
  const tick = r.varU("carve.tick");
  const cx = r.f32("carve.cx");
  const cy = r.f32("carve.cy");
  const cz = r.f32("carve.cz");
  const radius = r.f32("carve.radius");
  const voxels = createVoxelSet();
  readVoxelSet(r, voxels);
  return { type: ServerMsg.Carve, seq, impactId, commandId, shooterId, did, projectileId, tick, cx, cy, cz, radius, voxels };
}

function readHit(r: ByteReader): HitMsg {
  const commandId = readOptionalCommand(r, "hit");
  const shooterId = r.varU("hit.shooter");
  const targetId = r.varU("hit.target");
  const targetKind = r.u8("hit.kind");
  if (targetKind !== HitTarget.Npc && targetKind !== HitTarget.Player) r.fail(DecodeErrorCode.OutOfRange, "hit.kind");
  const projectileId = r.varU("hit.projectile");
  const x = r.f32("hit.x");
  const y = r.f32("hit.y");
  const z = r.f32("hit.z");
  const damage = r.u8("hit.damage");
  const health = r.u8("hit.health");
  const sx = r.f32("hit.sx");
  const sy = r.f32("hit.sy");
  const sz = r.f32("hit.sz");
  return { type: ServerMsg.Hit, commandId, shooterId, targetId, targetKind: targetKind as HitTarget, projectileId, x, y, z, damage, health, sx, sy, sz };
}

function readTransfer(r: ByteReader): TransferMsg {
  const url = r.ascii(URL_MAX, "transfer.url");
  if (r.ok && !/^wss?:\/\//.test(url)) r.fail(DecodeErrorCode.OutOfRange, "transfer.url: not ws:// or wss://");
  const ticket = readHex16(r, "transfer.ticket");
  const zone = r.ascii(NAME_MAX, "transfer.zone");
  return { type: ServerMsg.Transfer, url, ticket, zone };
}

function readError(r: ByteReader): ErrorMsg {
  const reason = r.u8("error.reason");
  if (reason < 1 || reason > REJECT_REASON_MAX) r.fail(DecodeErrorCode.OutOfRange, "error.reason");
  const flags = r.u8("error.flags");
  if (flags > 3) r.fail(DecodeErrorCode.OutOfRange, "error.flags");
  const commandId = flags & 1 ? r.u32("error.command_id") : null;
  return { type: ServerMsg.Error, reason: reason as RejectReason, commandId, fatal: (flags & 2) !== 0 };
}

function readDown(r: ByteReader): DownMsg {
  return {
    type: ServerMsg.Down,
    tick: r.varU("down.tick"),
    shooterId: r.varU("down.shooter"),
    shooterKind: readKind(r, "down.shooter_kind"),
    shooterTeam: readTeam(r, "down.shooter_team"),
    shooterCallsign: r.ascii(CALLSIGN_MAX, "down.shooter_callsign"),
    targetId: r.varU("down.target"),
    targetKind: readKind(r, "down.target_kind"),
    targetTeam: readTeam(r, "down.target_team"),
    targetCallsign: r.ascii(CALLSIGN_MAX, "down.target_callsign"),
  };
}

function readScoreboard(r: ByteReader): ScoreboardMsg {
  const n = r.count(LIMITS.scoreboardRows, "scoreboard.count");
  const rows: ScoreRow[] = [];
  for (let i = 0; i < n && r.ok; i++) {
    const entityId = r.varU("score.entity");
    const callsign = r.ascii(CALLSIGN_MAX, "score.callsign");
    const team = readTeam(r, "score.team");
    const downs = r.varU("score.downs");
    const deaths = r.varU("score.deaths");
    const ping = r.u16("score.ping_ms");
    rows.push({ entityId, callsign, team, downs, deaths, pingMs: ping === RTT_UNKNOWN ? null : ping });
  }
  return { type: ServerMsg.Scoreboard, rows };
}

function readOptionalCommand(r: ByteReader, what: string): number | null {
  const flags = r.u8(what);
  if (flags > 1) {
    r.fail(DecodeErrorCode.OutOfRange, `${what}.flags`);
    return null;
  }
  return flags === 1 ? r.u32(what) : null;
}

function readSelf(r: ByteReader, s: SelfState): void {
  s.x = r.f32("self.x");
  s.y = r.f32("self.y");
  s.z = r.f32("self.z");
  s.vx = r.f32("self.vx");
  s.vy = r.f32("self.vy");
  s.vz = r.f32("self.vz");
  s.flags = r.u8("self.flags");
  s.health = r.u8("self.health");
}

function readEntities(r: ByteReader, f: EntityFrame): void {
  f.clear();
  const n = r.count(LIMITS.entitiesPerMessage, "entities.count");
  let prev = 0;
  for (let k = 0; k < n && r.ok; k++) {
    const i = f.push();
    const id = (prev + r.varI("entity.id")) >>> 0;
    prev = id;
    f.id[i] = id;
    const flags = r.u8("entity.flags");
    f.flags[i] = flags;
    const mode = flags & POS_MODES;
    if (flags & ~ENTITY_FLAG_MASK || (mode & (mode - 1)) !== 0) {
      r.fail(DecodeErrorCode.OutOfRange, "entity.flags");
      break;
    }
    if (flags & EntityFlag.Enter) {
      const need = EntityFlag.PosAbs | EntityFlag.Yaw | EntityFlag.Health;
      if ((flags & need) !== need) r.fail(DecodeErrorCode.OutOfRange, "entity.flags: enter without full state");
      f.kind[i] = readKind(r, "entity.kind");
      f.team[i] = readTeam(r, "entity.team");
    }
    if (flags & EntityFlag.PosAbs) {
      f.x[i] = r.varI("entity.x");
      f.y[i] = r.varI("entity.y");
      f.z[i] = r.varI("entity.z");
    } else if (flags & EntityFlag.PosXZ4) {
      const b = r.u8("entity.dxz");
      f.x[i] = ((b & 15) << 28) >> 28;
      f.y[i] = 0;
      f.z[i] = (((b >> 4) & 15) << 28) >> 28;
    } else if (flags & EntityFlag.Pos8) {
      f.x[i] = r.i8("entity.dx");
      f.y[i] = r.i8("entity.dy");
      f.z[i] = r.i8("entity.dz");
    }
    if (flags & EntityFlag.Yaw) f.yaw[i] = r.u8("entity.yaw");
    if (flags & EntityFlag.Health) f.health[i] = r.u8("entity.health");
  }
}

function readIds(r: ByteReader, l: IdList, what: string): void {
  l.clear();
  const n = r.count(LIMITS.idsPerMessage, what);
  let prev = 0;
  for (let k = 0; k < n && r.ok; k++) {
    prev = (prev + r.varI(what)) >>> 0;
    l.push(prev);
  }
}

function readProjectiles(r: ByteReader, p: ProjectileFrame): void {
  p.clear();
  const n = r.count(LIMITS.projectilesPerMessage, "projectiles.count");
  for (let k = 0; k < n && r.ok; k++) {
    const i = p.push();
    p.id[i] = r.varU("projectile.id");
    p.owner[i] = r.varU("projectile.owner");
    p.commandId[i] = r.u32("projectile.command_id");
    p.x[i] = r.varI("projectile.x");
    p.y[i] = r.varI("projectile.y");
    p.z[i] = r.varI("projectile.z");
    p.vx[i] = r.i16("projectile.vx");
    p.vy[i] = r.i16("projectile.vy");
    p.vz[i] = r.i16("projectile.vz");
  }
}
