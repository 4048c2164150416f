// NPC wander: each NPC walks on a heading that changes every few seconds, steered by the
// collider surface heights (turns back at cliffs it cannot climb, drops it would not take,
// the world edge, and too far from home) and jumps when it gets stuck. Movement goes through
// the shared stepPlayer. A downed NPC stands still until its respawn time. All randomness
// comes from the game's seeded Rng: deterministic.
import { MOVE, stepPlayer } from "../../shared/physics/movement.ts";
import { EntityKind } from "../../shared/protocol/messages.ts";
import { isDowned } from "../game/entities.ts";
import type { Entity } from "../game/entities.ts";
import type { Game } from "../game/state.ts";
import type { System, TickContext } from "./types.ts";

/** NPC behaviour tuning. */
export const NPC = {
  /** Fraction of walk speed. */
  pace: 0.5,
  /** NPCs turn home beyond this distance from the world spawn. */
  homeRadius: 56,
  /** Ticks between heading changes, min and max. */
  minTicks: 45,
  maxTicks: 180,
  /** Probability an NPC stands still for a leg. */
  idleChance: 0.2,
  /** Look-ahead distance (voxels) for the surface check. */
  lookAhead: 1.5,
  /** Steps it can climb and drops it accepts, in voxels. */
  maxClimb: 1,
  maxDrop: 4,
} as const;

function steer(game: Game, e: Entity): void {
  const [hx, , hz] = game.gen.spawn;
  const m = e.move;
  const dx = m.x - hx;
  const dz = m.z - hz;
  if (dx * dx + dz * dz > NPC.homeRadius * NPC.homeRadius) {
    // yaw 0 faces -Z; forward = (-sin yaw, -cos yaw): aim at home.
    e.yaw = Math.atan2(dx, dz);
    return;
  }
  const fx = m.x - Math.sin(e.yaw) * NPC.lookAhead;
  const fz = m.z - Math.cos(e.yaw) * NPC.lookAhead;
  const here = Math.floor(m.y) - 1;
  const ahead = game.colliders.surfaceAt(fx, fz);
  if (ahead < 0 || ahead - here > NPC.maxClimb || here - ahead > NPC.maxDrop) e.yaw += Math.PI * (0.5 + game.rng.next());
}

function wander(game: Game, e: Entity, ctx: TickContext): void {
  const inp = e.npcInput;
  if (--e.wanderTicks <= 0) {
    e.wanderTicks = game.rng.range(NPC.minTicks, NPC.maxTicks);
    e.yaw = game.rng.next() * Math.PI * 2;
    inp.forward = game.rng.next() < NPC.idleChance ? 0 : NPC.pace;
  }
  if (inp.forward !== 0) steer(game, e);
  const m = e.move;
  const movedX = m.x - e.lastX;
  const movedZ = m.z - e.lastZ;
  const stuck = inp.forward !== 0 && movedX * movedX + movedZ * movedZ < 1e-4;
  inp.jump = stuck && m.onGround;
  inp.yaw = e.yaw;
  e.lastX = m.x;
  e.lastZ = m.z;
  stepPlayer(game.world, m, inp, ctx.dt);
  if (m.y < -8) {
    // Fell out of the world (through a carved floor at the edge): put it back on the surface.
    m.x = game.gen.spawn[0];
    m.z = game.gen.spawn[2];
    m.y = game.groundY(m.x, m.z) + MOVE.height;
    m.vy = 0;
  }
}

/** Respawns downed NPCs whose time has come and moves every NPC that is up one tick. */
export const npcSystem: System = {
  name: "npc",
  run(game, ctx) {
    const slots = game.entities.slots;
    for (let s = 0; s < game.entities.highWater; s++) {
      const e = slots[s];
      if (e === null || e.kind !== EntityKind.Npc) continue;
      game.respawnIfDue(e);
      if (!isDowned(e)) wander(game, e, ctx);
    }
  },
};
