// Message catalogue of the game protocol, version PROTOCOL_VERSION. Every frame is one binary
// WebSocket message: a type byte, then the fields below, little-endian. Counts and lengths are
// LEB128 varints with documented maxima; floats are float32 unless noted and must be finite.
// Positions of other entities are quantised to 1/POS_SCALE voxel and yaw to 1/256 turn, and
// deltas are relative to what the same client was last sent (the socket is reliable and ordered).

import type { Motion } from "../physics/movement.ts";

/**
 * Bumped on every incompatible change; the server rejects a hello with another version (an Error
 * with RejectReason.BadVersion, then close code 4001). Version 3: the world's edit log has
 * sequence numbers (hello, welcome and carve carry them) so a returning client is topped up.
 * Version 4: zones hand players to each other (the Transfer message, and hello's ticket).
 */
export const PROTOCOL_VERSION = 4;

/** Longest URL a Transfer carries (a zone's public ws:// or wss:// URL). */
export const URL_MAX = 255;

/** Largest frame a peer accepts (the server closes with 1009 beyond it). */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Entity positions in deltas are integers in 1/POS_SCALE voxel. */
export const POS_SCALE = 16;

/** W3C traceparent is exactly 55 characters: 00-<32 hex>-<16 hex>-<2 hex>. */
export const TRACEPARENT_MAX = 55;

/** Zone and shard names are short ASCII identifiers. */
export const NAME_MAX = 32;

/** Callsigns are server-generated printable ASCII ("Swift Otter 42"), at most this long. */
export const CALLSIGN_MAX = 32;

/** A ping round trip the client could not measure yet (the wire value of an absent rttMs). */
export const RTT_UNKNOWN = 0xffff;

/** Bounds the decoder enforces before it loops or allocates. */
export const LIMITS = {
  entitiesPerMessage: 4096,
  idsPerMessage: 4096,
  projectilesPerMessage: 4096,
  batchesPerMessage: 8192,
  /** Messages in one Batch frame (its count is a u16). */
  messagesPerBatch: 65535,
  /** Voxels in one edit set's bounding box (64^3: the mask is at most 32 KiB). */
  voxelSetVolume: 64 * 64 * 64,
  /** Rows of one scoreboard (the server sends the top rows when a zone has more players). */
  scoreboardRows: 1024,
} as const;

/** Client-to-server message types. */
export const ClientMsg = {
  Hello: 1,
  Input: 2,
  Fire: 3,
  Ping: 4,
  /** Asks for the scoreboard (sent while the player holds Tab); answered by a Scoreboard. */
  Scores: 5,
} as const;

/** Server-to-client message types. */
export const ServerMsg = {
  Welcome: 0x41,
  /** Part of the join snapshot: edit sets to replay on the generated world, in order. */
  WorldEdits: 0x42,
  /** Completes the join snapshot: entities in interest and the client's own state. */
  Snapshot: 0x43,
  Delta: 0x44,
  Carve: 0x45,
  Hit: 0x46,
  Pong: 0x47,
  Error: 0x48,
  /** Several messages in one frame (the events and delta of one tick): u16 count, then per message a varint length and its bytes. */
  Batch: 0x49,
  /** Someone was downed (sent to every player, for the kill feed). */
  Down: 0x4a,
  /** The zone's players with downs, deaths and ping (the answer to Scores). */
  Scoreboard: 0x4b,
  /** The player now belongs to the next zone: connect there with this ticket (then the server closes, 4009). */
  Transfer: 0x4c,
} as const;

/** Entity kinds sent in deltas (projectiles have their own sections). */
export const EntityKind = { Player: 1, Npc: 2 } as const;
export type EntityKind = (typeof EntityKind)[keyof typeof EntityKind];

/** Teams: players are put on the smaller of two teams at join; NPCs belong to none. */
export const Team = { None: 0, Alpha: 1, Bravo: 2 } as const;
export type Team = (typeof Team)[keyof typeof Team];
export const TEAM_MAX = 2;

/** Target kinds of a hit event (voxel hits arrive as carve events instead). */
export const HitTarget = { Npc: 1, Player: 2 } as const;
export type HitTarget = (typeof HitTarget)[keyof typeof HitTarget];

/** Input button bits. */
export const Buttons = { Jump: 1 } as const;

/** Flags of one entity record in a snapshot or delta. */
export const EntityFlag = {
  /** Entered interest: kind and team follow, and the record carries absolute position, yaw and health. */
  Enter: 1,
  /** Absolute position: three zigzag varints. */
  PosAbs: 2,
  /** Small horizontal move: one byte, dx in the low nibble and dz in the high one (signed). */
  PosXZ4: 4,
  /** Small move: three int8. */
  Pos8: 8,
  Yaw: 16,
  Health: 32,
} as const;
export const ENTITY_FLAG_MASK = 63;

/** Self-state flag bits. */
export const SelfFlag = {
  OnGround: 1,
  /** Downed: waiting to respawn (inputs and shots are ignored until then). */
  Downed: 2,
} as const;

/** Why the server rejected something (Error message `reason`). */
export const RejectReason = {
  MalformedFrame: 1,
  UnknownMessage: 2,
  OversizedFrame: 3,
  NonFinite: 4,
  SpeedViolation: 5,
  FireRate: 6,
  RateLimited: 7,
  BadVersion: 8,
  HelloRequired: 9,
  ServerFull: 10,
  ShuttingDown: 11,
  /** A fire command from a downed player. */
  Downed: 12,
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];
export const REJECT_REASON_MAX = 12;

/** WebSocket close codes the server uses (4xxx are application codes). */
export const CloseCode = {
  Normal: 1000,
  /** Server shutting down. */
  GoingAway: 1001,
  /** Frame over MAX_FRAME_BYTES (sent by the ws library itself). */
  TooBig: 1009,
  BadVersion: 4001,
  /** Too many malformed or unknown frames. */
  ProtocolViolation: 4002,
  HelloTimeout: 4003,
  ServerFull: 4004,
  /** The client stopped reading and its send queue passed its bound (seconds of its own stream). */
  SlowConsumer: 4005,
  /** No pong to the server's WebSocket pings within the heartbeat deadline. */
  Unresponsive: 4006,
  /** A hello's hand-off ticket was unknown, expired, already used or meant for another zone. */
  BadTicket: 4008,
  /** The player was handed to another zone (a Transfer message came just before). */
  Transferred: 4009,
  /** A joined client sent nothing at all (no input, no ping) for too long. */
  InputSilence: 4007,
  /** Sustained command flood past the per-session rate limit. */
  RateLimited: 4029,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Close codes the client sends when it gives up on a connection it still wants (an undecodable
 * frame, a silent socket, a join that timed out): 4400-4499. The server keeps the player for a
 * resume after these, as after a plain network drop.
 */
export const CLIENT_RECONNECT_CLOSE_CODES = { min: 4400, max: 4499 } as const;

// ---- client -> server ----

export interface HelloMsg {
  readonly type: typeof ClientMsg.Hello;
  version: number;
  /** 32 hex chars from a previous welcome, to take the same player back after a drop. */
  resumeToken: string | null;
  /**
   * The log the client's world was built from (a previous welcome's logBase; 0 when it has no
   * world) and the last edit it applied. With the server's base, the join sends only the edits
   * after lastSeq.
   */
  logBase: number;
  lastSeq: number;
  /**
   * 32 hex chars from a Transfer: the player arrives from another zone, which handed it over
   * with this one-use ticket (null for a plain join or resume).
   */
  ticket: string | null;
}

export interface InputMsg {
  readonly type: typeof ClientMsg.Input;
  /** Increasing per session; echoed in deltas as ackSeq for reconciliation. */
  seq: number;
  /** Seconds of simulation this input covers. */
  dt: number;
  /** -1..1 each. */
  forward: number;
  right: number;
  /** Radians; yaw 0 faces -Z. */
  yaw: number;
  pitch: number;
  buttons: number;
}

export interface FireMsg {
  readonly type: typeof ClientMsg.Fire;
  /** Client-chosen id, echoed in the carve or hit event the shot causes. */
  commandId: number;
  ox: number;
  oy: number;
  oz: number;
  /** Aim direction; need not be unit length but must not be zero. */
  dx: number;
  dy: number;
  dz: number;
  /** W3C traceparent to continue the client's trace, if any. */
  traceparent: string | null;
}

export interface PingMsg {
  readonly type: typeof ClientMsg.Ping;
  /** Client clock (ms), echoed back. float64. */
  clientTime: number;
  /**
   * The client's latest measured round trip (ms, whole, 0..65534), shown on the scoreboard;
   * absent before the first pong. Self-reported: cosmetic, never used for game decisions.
   */
  rttMs?: number;
}

interface ScoresMsg {
  readonly type: typeof ClientMsg.Scores;
}

export type ClientMessage = HelloMsg | InputMsg | FireMsg | PingMsg | ScoresMsg;

// ---- server -> client ----

export interface WelcomeMsg {
  readonly type: typeof ServerMsg.Welcome;
  version: number;
  /** 32 hex chars; the correlation id in server logs. */
  sessionId: string;
  /** 32 hex chars; secret, only for hello.resumeToken. */
  resumeToken: string;
  /** True when this welcome resumed an earlier session. */
  resumed: boolean;
  entityId: number;
  tickHz: number;
  tick: number;
  /** World generation inputs: generateWorld({ seed, chunksX, chunksY, chunksZ }). */
  seed: number;
  chunksX: number;
  chunksY: number;
  chunksZ: number;
  /** The player's feet position and yaw at spawn. */
  spawnX: number;
  spawnY: number;
  spawnZ: number;
  spawnYaw: number;
  interestRadius: number;
  weaponCooldownMs: number;
  projectileSpeed: number;
  projectileLifetimeMs: number;
  zone: string;
  shard: string;
  /** The player's server-chosen callsign (never typed by a player). */
  callsign: string;
  team: Team;
  maxHealth: number;
  /** How long a downed player or NPC waits before it respawns. */
  respawnMs: number;
  /**
   * The world's edit log: its identity (u32, never 0; another base means another history) and
   * where this join's edits start and end. baseSeq 0: the edits that follow rebuild the world
   * from its generated state. baseSeq > 0: they continue the client's own world, which is at
   * that seq of the same log. After the join the world is at lastSeq; carves continue from it.
   */
  logBase: number;
  baseSeq: number;
  lastSeq: number;
}

/** A set of voxels that all became `material`: a bounding box and one bit per voxel in it. */
export interface VoxelSet {
  material: number;
  minX: number;
  minY: number;
  minZ: number;
  sizeX: number;
  sizeY: number;
  sizeZ: number;
  /** Bit i (byte i >> 3, bit i & 7) for voxel index i = x + sizeX * (z + sizeZ * y). */
  mask: Uint8Array;
}

export interface WorldEditsMsg {
  readonly type: typeof ServerMsg.WorldEdits;
  sets: VoxelSet[];
}

/** The receiving player's own authoritative state (full precision, for reconciliation). */
export interface SelfState extends Motion {
  flags: number;
  health: number;
}

/** Growable structure-of-arrays of entity records; reused across messages. */
export class EntityFrame {
  count = 0;
  id = new Uint32Array(64);
  flags = new Uint8Array(64);
  kind = new Uint8Array(64);
  /** Team (Enter records only). */
  team = new Uint8Array(64);
  /** Absolute (Enter/PosAbs) or relative (PosXZ4/Pos8) quantised position, per flags. */
  x = new Int32Array(64);
  y = new Int32Array(64);
  z = new Int32Array(64);
  yaw = new Uint8Array(64);
  health = new Uint8Array(64);

  clear(): void {
    this.count = 0;
  }

  /** Appends a record slot and returns its index (grows the arrays when full). */
  push(): number {
    if (this.count === this.id.length) this.grow();
    const i = this.count++;
    this.flags[i] = 0;
    this.kind[i] = 0;
    this.team[i] = 0;
    this.x[i] = 0;
    this.y[i] = 0;
    this.z[i] = 0;
    this.yaw[i] = 0;
    this.health[i] = 0;
    return i;
  }

  private grow(): void {
    const n = this.id.length * 2;
    this.id = growU32(this.id, n);
    this.flags = growU8(this.flags, n);
    this.kind = growU8(this.kind, n);
    this.team = growU8(this.team, n);
    this.x = growI32(this.x, n);
    this.y = growI32(this.y, n);
    this.z = growI32(this.z, n);
    this.yaw = growU8(this.yaw, n);
    this.health = growU8(this.health, n);
  }
}

/** Growable list of entity or projectile ids. */
export class IdList {
  count = 0;
  ids = new Uint32Array(32);

  clear(): void {
    this.count = 0;
  }

  push(id: number): void {
    if (this.count === this.ids.length) this.ids = growU32(this.ids, this.count * 2);
    this.ids[this.count++] = id;
  }
}

/** Growable projectile spawn records: quantised origin (1/POS_SCALE voxel) and velocity (1/POS_SCALE voxel/s). */
export class ProjectileFrame {
  count = 0;
  id = new Uint32Array(16);
  owner = new Uint32Array(16);
  commandId = new Uint32Array(16);
  x = new Int32Array(16);
  y = new Int32Array(16);
  z = new Int32Array(16);
  vx = new Int32Array(16);
  vy = new Int32Array(16);
  vz = new Int32Array(16);

  clear(): void {
    this.count = 0;
  }

  push(): number {
    if (this.count === this.id.length) {
      const n = this.count * 2;
      this.id = growU32(this.id, n);
      this.owner = growU32(this.owner, n);
      this.commandId = growU32(this.commandId, n);
      this.x = growI32(this.x, n);
      this.y = growI32(this.y, n);
      this.z = growI32(this.z, n);
      this.vx = growI32(this.vx, n);
      this.vy = growI32(this.vy, n);
      this.vz = growI32(this.vz, n);
    }
    return this.count++;
  }
}

export interface SnapshotMsg {
  readonly type: typeof ServerMsg.Snapshot;
  tick: number;
  /** Edit sets sent in the WorldEdits messages before this one (for the client to verify). */
  editSets: number;
  self: SelfState;
  /** Every record has EntityFlag.Enter. */
  entities: EntityFrame;
  projectiles: ProjectileFrame;
}

export interface DeltaMsg {
  readonly type: typeof ServerMsg.Delta;
  tick: number;
  /** Sequence number of the last input the server applied for this client. */
  ackSeq: number;
  /** Server tick duration over the last stats window (for the dev overlay), when present. */
  hasStats: boolean;
  tickMsAvg: number;
  tickMsMax: number;
  hasSelf: boolean;
  self: SelfState;
  entities: EntityFrame;
  removed: IdList;
  projectileSpawns: ProjectileFrame;
  projectileDespawns: IdList;
}

export interface CarveMsg {
  readonly type: typeof ServerMsg.Carve;
  /** The edit's position in the world's log (consecutive carves have consecutive seqs). */
  seq: number;
  impactId: number;
  /** The shot's command id, or null when the carve was not caused by a player command. */
  commandId: number | null;
  shooterId: number;
  /** Destructible id, 0 for terrain. */
  did: number;
  projectileId: number;
  tick: number;
  cx: number;
  cy: number;
  cz: number;
  radius: number;
  voxels: VoxelSet;
}

export interface HitMsg {
  readonly type: typeof ServerMsg.Hit;
  commandId: number | null;
  shooterId: number;
  targetId: number;
  targetKind: HitTarget;
  projectileId: number;
  x: number;
  y: number;
  z: number;
  damage: number;
  /** Target health after the hit (0 = downed, respawns after the welcome's respawnMs). */
  health: number;
  /** Where the shot came from (its origin): the target's damage-direction indicator points there. */
  sx: number;
  sy: number;
  sz: number;
}

/** An entity was downed. Sent to every player, so the kill feed needs no lookups. */
/** The player was handed to the next zone: reconnect to `url` and send a hello with `ticket`. */
export interface TransferMsg {
  readonly type: typeof ServerMsg.Transfer;
  /** The next zone's public WebSocket URL (ws:// or wss://, at most URL_MAX chars). */
  url: string;
  /** 32 hex chars; one use, valid for the hand-off ticket TTL. */
  ticket: string;
  zone: string;
}

export interface DownMsg {
  readonly type: typeof ServerMsg.Down;
  tick: number;
  shooterId: number;
  shooterKind: EntityKind;
  shooterTeam: Team;
  shooterCallsign: string;
  targetId: number;
  targetKind: EntityKind;
  targetTeam: Team;
  targetCallsign: string;
}

/** One scoreboard row. */
export interface ScoreRow {
  entityId: number;
  callsign: string;
  team: Team;
  /** Players and NPCs this player downed. */
  downs: number;
  /** Times this player was downed. */
  deaths: number;
  /** Round trip the player's client reported, ms; null when unknown (not yet measured, or disconnected). */
  pingMs: number | null;
}

export interface ScoreboardMsg {
  readonly type: typeof ServerMsg.Scoreboard;
  rows: ScoreRow[];
}

export interface PongMsg {
  readonly type: typeof ServerMsg.Pong;
  clientTime: number;
  /** Server wall clock (ms since epoch). float64. */
  serverTime: number;
  tick: number;
}

export interface ErrorMsg {
  readonly type: typeof ServerMsg.Error;
  reason: RejectReason;
  /** The rejected fire command, when the rejection was one. */
  commandId: number | null;
  /** True when the server closes the connection right after. */
  fatal: boolean;
}

/** A Batch frame: views of the contained messages, in order (valid while the frame is). */
export interface BatchMsg {
  readonly type: typeof ServerMsg.Batch;
  frames: Uint8Array[];
}

export type ServerMessage =
  | BatchMsg
  | WelcomeMsg
  | WorldEditsMsg
  | SnapshotMsg
  | DeltaMsg
  | CarveMsg
  | HitMsg
  | DownMsg
  | ScoreboardMsg
  | PongMsg
  | ErrorMsg
  | TransferMsg;

/** A new SelfState with every field zero. */
export function createSelfState(): SelfState {
  return { x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, flags: 0, health: 0 };
}

/** Quantises a world coordinate to 1/POS_SCALE voxel. */
export function quantPos(v: number): number {
  return Math.round(v * POS_SCALE);
}

/** Quantises yaw (radians) to one byte, 1/256 turn. */
export function quantYaw(yaw: number): number {
  return Math.round((yaw / (2 * Math.PI)) * 256) & 255;
}

/** Yaw byte back to radians in [0, 2 pi). */
export function dequantYaw(q: number): number {
  return (q / 256) * 2 * Math.PI;
}

function growU32(a: Uint32Array, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function growU8(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
