// Destructible raycast: tests the segment each projectile moved this tick against voxels (DDA,
// with the collider broadphase skipping empty chunks) and against NPC and player capsules,
// and takes the earliest hit. Downed entities are not hit, nor (without friendly fire) the
// shooter's teammates. Capsule hits damage the target and become hit events; a hit that takes
// the last health downs the target (a down event for every player, the scoreboard counts,
// a respawn after config.respawnMs: see Game.respawnIfDue). Voxel hits
// are classified destructible (inside a destructible's box: its did) or terrain and queued
// for the carve system. Projectiles that hit or expire end here, and so do a traced
// projectile's flight spans: its destructible.raycast span (from its first test, with what it
// hit) and its projectile.integrate span, each with the steps flown (`ticks`).
import { MOVE } from "../../shared/physics/movement.ts";
import { rayCapsule } from "../../shared/physics/capsule.ts";
import { RayHit } from "../../shared/physics/raycast.ts";
import { encodeDown, encodeHit } from "../../shared/protocol/server-codec.ts";
import { EntityKind, HitTarget } from "../../shared/protocol/messages.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import { destructibleAt } from "../../shared/voxel/destructibles.ts";
import { CHUNK_SHIFT } from "../../shared/voxel/constants.ts";
import { logger, SPAN_NAMES, tracing } from "../telemetry/facade.ts";
import type { Fields } from "../telemetry/facade.ts";
import { isDowned } from "../game/entities.ts";
import type { Entity } from "../game/entities.ts";
import type { Projectile } from "../game/projectiles.ts";
import type { Game } from "../game/state.ts";
import type { System } from "./types.ts";

/** Hit tuning. */
const HIT = {
  /** Capsule radius: a little wider than the movement box, so grazing shots count. */
  capsuleRadius: 0.45,
  capsuleHeight: MOVE.height,
  damage: 25,
} as const;

const log = logger("sim");
const ray = new RayHit();
const writer = new ByteWriter(64);
const fields: Fields = { zone: "", shard: "", projectile_id: 0, command_id: 0, did: 0, chunk: "", kind: "", impact_id: 0, ticks: undefined };

/** Where along the segment (fraction) the last capsuleHit found its target. */
const capsuleOut = { t: 0 };

/** The entity whose capsule the segment enters first, within fraction maxT; sets capsuleOut.t. */
function capsuleHit(game: Game, p: Projectile, sx: number, sy: number, sz: number, maxT: number): Entity | null {
  const slots = game.entities.slots;
  const reach = Math.sqrt(sx * sx + sy * sy + sz * sz) + HIT.capsuleHeight + HIT.capsuleRadius;
  const mx = p.px + sx * 0.5;
  const my = p.py + sy * 0.5;
  const mz = p.pz + sz * 0.5;
  let best: Entity | null = null;
  let bestT = maxT;
  const spareTeam = game.config.friendlyFire ? -1 : p.ownerTeam;
  for (let s = 0; s < game.entities.highWater; s++) {
    const e = slots[s];
    if (e === null || e.id === p.ownerId || isDowned(e) || (e.team !== 0 && e.team === spareTeam)) continue;
    const dx = e.move.x - mx;
    const dy = e.move.y - my;
    const dz = e.move.z - mz;
    if (dx * dx + dy * dy + dz * dz > reach * reach) continue;
    const t = rayCapsule(p.px, p.py, p.pz, sx, sy, sz, bestT, e.move.x, e.move.y, e.move.z, HIT.capsuleRadius, HIT.capsuleHeight);
    if (t >= 0 && t <= bestT) {
      best = e;
      bestT = t;
    }
  }
  capsuleOut.t = bestT;
  return best;
}

function damage(game: Game, p: Projectile, e: Entity, x: number, y: number, z: number): void {
  const kind = e.kind === EntityKind.Npc ? "npc" : "player";
  game.stats.recordHit(kind);
  e.health = Math.max(0, e.health - HIT.damage);
  const bytes = encodeHit(writer, {
    commandId: p.commandId >= 0 ? p.commandId : null,
    shooterId: p.ownerId,
    targetId: e.id,
    targetKind: e.kind === EntityKind.Npc ? HitTarget.Npc : HitTarget.Player,
    projectileId: p.id,
    x, y, z,
    damage: HIT.damage,
    health: e.health,
    sx: p.ox, sy: p.oy, sz: p.oz,
  }).slice();
  game.outbox.hits.push({ bytes, x, y, z, shooterId: p.ownerId, targetId: e.id });
  if (e.health === 0) down(game, p, e);
}

/** The target's last health is gone: it is downed until config.respawnMs from now. */
function down(game: Game, p: Projectile, e: Entity): void {
  e.respawnAtMs = game.timeMs + game.config.respawnMs;
  e.move.vx = e.move.vz = 0;
  e.deaths++;
  game.stats.downs++;
  const owner = p.ownerSlot >= 0 ? game.entities.slots[p.ownerSlot] : null;
  const shooter = owner !== null && owner !== undefined && owner.id === p.ownerId ? owner : null;
  if (shooter !== null) shooter.downs++;
  game.outbox.broadcasts.push(encodeDown(writer, {
    tick: game.tick,
    shooterId: p.ownerId,
    shooterKind: shooter?.kind ?? EntityKind.Player,
    shooterTeam: shooter?.team ?? 0,
    shooterCallsign: shooter?.callsign ?? "",
    targetId: e.id,
    targetKind: e.kind,
    targetTeam: e.team,
    targetCallsign: e.callsign,
  }).slice());
  game.downFeed?.push({
    shooterCallsign: shooter?.callsign ?? "", shooterKind: shooter?.kind ?? EntityKind.Player, shooterTeam: shooter?.team ?? 0,
    targetCallsign: e.callsign, targetKind: e.kind, targetTeam: e.team,
  });
  log.debug({ entity_id: e.id, projectile_id: p.id }, "entity downed");
}

function testProjectile(game: Game, p: Projectile): void {
  const sx = p.x - p.px;
  const sy = p.y - p.py;
  const sz = p.z - p.pz;
  const len = Math.sqrt(sx * sx + sy * sy + sz * sz);
  let voxelT = Infinity;
  if (len > 0 && game.colliders.raycast(p.px, p.py, p.pz, sx, sy, sz, len, ray)) voxelT = ray.distance / len;
  const target = capsuleHit(game, p, sx, sy, sz, Math.min(1, voxelT));
  const t = capsuleOut.t;
  if (target !== null && t <= voxelT) {
    damage(game, p, target, p.px + sx * t, p.py + sy * t, p.pz + sz * t);
    p.dead = true;
    fields.kind = target.kind === EntityKind.Npc ? "npc" : "player";
    return;
  }
  if (voxelT <= 1) {
    const did = destructibleAt(game.gen.index, ray.x, ray.y, ray.z);
    game.stats.recordHit(did !== 0 ? "destructible" : "terrain");
    const im = game.addImpact();
    im.impactId = game.impactIds.next();
    im.projectileId = p.id;
    im.shooterId = p.ownerId;
    im.commandId = p.commandId;
    im.sessionId = p.sessionId;
    im.x = ray.px;
    im.y = ray.py;
    im.z = ray.pz;
    im.vx = ray.x;
    im.vy = ray.y;
    im.vz = ray.z;
    im.did = did;
    im.parent = p.parent;
    p.dead = true;
    fields.kind = did !== 0 ? "destructible" : "terrain";
    fields.did = did;
    fields.impact_id = im.impactId;
    fields.chunk = `${ray.x >> CHUNK_SHIFT},${ray.y >> CHUNK_SHIFT},${ray.z >> CHUNK_SHIFT}`;
    return;
  }
  const w = game.world;
  if (p.ticksLeft <= 0 || p.y < -4 || p.x < -64 || p.z < -64 || p.x > w.maxX + 64 || p.z > w.maxZ + 64 || p.y > w.maxY + 64) p.dead = true;
}

const flightFields: Fields = { ticks: 0 };

/** Ends a traced projectile's flight spans: the raycast's with what it hit (this tick's fields), both with the steps flown. */
function endFlight(p: Projectile): void {
  fields.ticks = p.steps;
  flightFields.ticks = p.steps;
  if (p.raycastSpan !== null) {
    p.raycastSpan.setAttributes(fields);
    p.raycastSpan.end();
  }
  if (p.integrateSpan !== null) {
    p.integrateSpan.setAttributes(flightFields);
    p.integrateSpan.end();
  }
}

/** Tests every projectile's step against voxels and capsules. */
export const raycastSystem: System = {
  name: "raycast",
  run(game, ctx) {
    const list = game.projectiles.active;
    fields.zone = ctx.zone;
    fields.shard = ctx.shard;
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      fields.projectile_id = p.id;
      fields.command_id = p.commandId;
      fields.kind = "";
      fields.did = 0;
      fields.chunk = "";
      fields.impact_id = 0;
      fields.ticks = undefined;
      if (p.parent !== undefined && p.raycastSpan === null) p.raycastSpan = tracing.startSpan(SPAN_NAMES.destructibleRaycast, fields, p.parent);
      testProjectile(game, p);
      if (p.dead) {
        game.outbox.despawned.push(p.id);
        endFlight(p);
      }
    }
    game.projectiles.sweep();
  },
};
