// The join snapshot: welcome, then the edit log in WorldEdits frames (each under the frame
// limit), then a Snapshot with everything in the player's interest and its own state.
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

/** Identity the welcome carries. */
export interface JoinInfo {
  sessionId: string;
  resumeToken: string;
  resumed: boolean;
}

/** Sends the whole join sequence for `player`; returns the bytes sent. */
export function sendJoin(game: Game, quant: QuantFrame, player: Entity, st: InterestState, info: JoinInfo, send: SendFn): number {
  const cfg = game.config;
  let total = 0;
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
  });
  total += welcome.length;
  send(welcome, false);

  const sets = game.edits.sets;
  let i = 0;
  while (i < sets.length) {
    let j = i;
    let bytes = 0;
    while (j < sets.length && (j === i || bytes + sets[j].length <= EDIT_FRAME_BUDGET)) bytes += sets[j++].length;
    beginWorldEdits(writer, j - i);
    for (let k = i; k < j; k++) writer.bytesRaw(sets[k]);
    total += writer.length;
    send(writer.view(), false);
    i = j;
  }

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
  const snap = encodeSnapshot(writer, { tick: game.tick, editSets: sets.length, self, entities, projectiles });
  total += snap.length;
  send(snap, false);
  st.lastAck = player.control?.lastSeq ?? 0;
  return total;
}
