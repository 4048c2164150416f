// The join snapshot: welcome, then the world's edits in WorldEdits frames (each under the frame
// limit), then a Snapshot with everything in the player's interest and its own state.
//
// The edits are the stored bytes as they are: the snapshot's rows (a few sets per touched chunk)
// and the log after it, up to the last edit broadcast (later ones reach the player as carve
// events). A client that comes back with a world built from the same log (hello's logBase) is
// sent only the edits after its lastSeq, when the server still holds them.
import { EntityFrame, IdList, MAX_FRAME_BYTES, POS_SCALE, PROTOCOL_VERSION, ProjectileFrame, createSelfState, quantPos } from "../../shared/protocol/messages.ts";
import { beginWorldEdits, encodeSnapshot, encodeWelcome } from "../../shared/protocol/server-codec.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import type { Game } from "../game/state.ts";
import { MAX_HEALTH } from "../game/entities.ts";
import type { Entity } from "../game/entities.ts";
import { buildEntityUpdates, buildSelf, markSelfSent } from "./interest.ts";
import type { InterestState, QuantFrame } from "./interest.ts";

/** Edit frames stay well under the 64 KiB limit clients may enforce too. */
const EDIT_FRAME_BUDGET = MAX_FRAME_BYTES - 4096;

const writer = new ByteWriter(MAX_FRAME_BYTES);
const entities = new EntityFrame();
const removed = new IdList();
const projectiles = new ProjectileFrame();
const self = createSelfState();

/** Sends one frame; `owned` tells the transport it may keep the array. */
export type SendFn = (bytes: Uint8Array, owned: boolean) => void;

/** Identity the welcome carries, and the world the client already has. */
export interface JoinInfo {
  sessionId: string;
  resumeToken: string;
  resumed: boolean;
  /** The hello's log base and last seq (0 and 0 for a client without a world). */
  logBase: number;
  lastSeq: number;
}

/** Whether a client holding `info`'s world can be sent just the edits after its lastSeq. */
function continuesFrom(game: Game, info: JoinInfo): boolean {
  const log = game.log;
  return info.logBase !== 0 && info.logBase === log.logBase && info.lastSeq > 0 && log.canResumeFrom(info.lastSeq);
}

/** Sends the whole join sequence for `player`; returns the bytes sent. */
export function sendJoin(game: Game, quant: QuantFrame, player: Entity, st: InterestState, info: JoinInfo, send: SendFn): number {
  const cfg = game.config;
  let total = 0;
  const incremental = continuesFrom(game, info);
  const welcome = encodeWelcome(writer, {
    version: PROTOCOL_VERSION,
    sessionId: info.sessionId,
    resumeToken: info.resumeToken,
    resumed: info.resumed,
    entityId: player.id,
    tickHz: cfg.tickHz,
    tick: game.tick,
    seed: cfg.seed,
    chunksX: cfg.chunksX,
    chunksY: cfg.chunksY,
    chunksZ: cfg.chunksZ,
    spawnX: player.move.x,
    spawnY: player.move.y,
    spawnZ: player.move.z,
    spawnYaw: player.yaw,
    interestRadius: cfg.interestRadius,
    weaponCooldownMs: cfg.weaponCooldownMs,
    projectileSpeed: cfg.projectileSpeed,
    projectileLifetimeMs: cfg.projectileLifetimeMs,
    zone: cfg.zone,
    shard: cfg.shard,
    callsign: player.callsign,
    team: player.team,
    maxHealth: MAX_HEALTH,
    respawnMs: cfg.respawnMs,
    logBase: game.log.logBase,
    baseSeq: incremental ? info.lastSeq : 0,
    lastSeq: game.log.releasedSeq,
  });
  total += welcome.length;
  send(welcome, false);
  const sent = sendEdits(game, incremental ? info.lastSeq : -1, send);
  total += sent.bytes;

  st.reset();
  quant.update(game.entities);
  buildEntityUpdates(quant, st, player, cfg.interestRadius, entities, removed);
  projectiles.clear();
  const r2 = cfg.interestRadius * cfg.interestRadius;
  for (const p of game.projectiles.active) {
    const dx = p.x - player.move.x;
    const dy = p.y - player.move.y;
    const dz = p.z - player.move.z;
    if (dx * dx + dy * dy + dz * dz > r2) continue;
    const k = projectiles.push();
    projectiles.id[k] = p.id;
    projectiles.owner[k] = p.ownerId;
    projectiles.commandId[k] = p.commandId >>> 0;
    projectiles.x[k] = quantPos(p.x);
    projectiles.y[k] = quantPos(p.y);
    projectiles.z[k] = quantPos(p.z);
    projectiles.vx[k] = Math.round(p.vx * POS_SCALE);
    projectiles.vy[k] = Math.round(p.vy * POS_SCALE);
    projectiles.vz[k] = Math.round(p.vz * POS_SCALE);
    st.addKnown(p.id);
  }
  buildSelf(player, st, self);
  markSelfSent(st, self);
  const snap = encodeSnapshot(writer, { tick: game.tick, editSets: sent.sets, self, entities, projectiles });
  total += snap.length;
  send(snap, false);
  st.lastAck = player.control?.lastSeq ?? 0;
  return total;
}

/** Packs voxel sets (pre-encoded, `count` sets in `bytes`) into WorldEdits frames under the budget. */
class EditFrames {
  sets = 0;
  bytes = 0;
  private inFrame = 0;

  constructor(private readonly send: SendFn) {}

  add(count: number, bytes: Uint8Array): void {
    if (this.inFrame > 0 && writer.length + bytes.length > EDIT_FRAME_BUDGET) this.flush();
    if (this.inFrame === 0) beginWorldEdits(writer, 0);
    writer.bytesRaw(bytes);
    this.inFrame += count;
    this.sets += count;
  }

  flush(): void {
    if (this.inFrame === 0) return;
    // The count was written as 0 before the sets were known; rewrite the header with it.
    const body = writer.view().slice(2);
    beginWorldEdits(writer, this.inFrame);
    writer.bytesRaw(body);
    this.bytes += writer.length;
    this.send(writer.view(), false);
    this.inFrame = 0;
  }
}

/**
 * Sends the edits a joiner needs, up to the last edit broadcast: after seq `from` of the log, or
 * (from < 0) the whole snapshot and the log after it. Returns the sets and bytes sent.
 */
function sendEdits(game: Game, from: number, send: SendFn): { sets: number; bytes: number } {
  const log = game.log;
  const frames = new EditFrames(send);
  if (from < 0) {
    for (const c of log.chunks.values()) frames.add(c.sets.count, c.sets.bytes);
    from = log.snapshotSeq;
  }
  const end = log.indexAfter(log.releasedSeq);
  for (let i = log.indexAfter(from); i < end; i++) frames.add(1, log.edits[i].data);
  frames.flush();
  return { sets: frames.sets, bytes: frames.bytes };
}
