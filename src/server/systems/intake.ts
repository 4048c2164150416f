// Command intake: applies each player's queued movement inputs through the shared stepPlayer
// (the same code the client predicts with) and turns queued fire commands into projectiles.
// Speed is enforced by a movement-time budget that only the server's clock refills, so a client
// that sends inputs faster than real time, or with huge dt, is rejected and counted; a fire
// command within the weapon cooldown is rejected, counted and reported back to its client.
// A downed player's inputs are acknowledged but not applied and its shots are refused, until
// its respawn time, when it is put back in the spawn area.
import { MOVE, stepPlayer } from "../../shared/physics/movement.ts";
import type { MoveInput } from "../../shared/physics/movement.ts";
import { Buttons, quantPos, RejectReason } from "../../shared/protocol/messages.ts";
import { logger, SPAN_NAMES, tracing } from "../telemetry/facade.ts";
import type { Fields } from "../telemetry/facade.ts";
import { isDowned } from "../game/entities.ts";
import { pushedEdge } from "../zones/edges.ts";
import type { Entity } from "../game/entities.ts";
import type { QueuedFire } from "../game/control.ts";
import type { Game } from "../game/state.ts";
import type { System, TickContext } from "./types.ts";

const log = logger("sim");

/** Movement validation limits. */
const INTAKE = {
  /** Largest dt one input may cover. */
  maxInputDt: 0.1,
  /** Movement time a client may bank (absorbs network bunching); refilled by server time. */
  maxBudget: 0.25,
  /** Budget a fresh player starts with. */
  initialBudget: 0.1,
  /** Inputs applied per player per tick; the rest wait for the next tick. */
  maxInputsPerTick: 8,
  /** A fire origin farther than this from the server's eye position is replaced by it. */
  maxOriginError: 1.5,
} as const;

const moveInput: MoveInput = { forward: 0, right: 0, jump: false, yaw: 0 };
const commandFields: Fields = { zone: "", shard: "", session_id: "", command_id: 0, projectile_id: 0 };

function wrapAngle(a: number): number {
  const t = Math.PI * 2;
  return a - Math.floor(a / t) * t;
}

function applyInputs(game: Game, e: Entity, ctx: TickContext): void {
  const c = e.control!;
  c.moveBudget = Math.min(INTAKE.maxBudget, c.moveBudget + ctx.elapsed);
  for (let n = 0; n < INTAKE.maxInputsPerTick; n++) {
    const inp = c.inputs.peek();
    if (inp === null) break;
    c.inputs.shift();
    if (inp.seq <= c.lastSeq) {
      // Replayed or reordered input: never applied twice.
      game.stats.recordError("malformed_frame");
      continue;
    }
    if (isDowned(e) || c.frozen) {
      // Sent before the client learned it was down (or while it is being handed to the next
      // zone): acknowledged, so its prediction settles.
      c.lastSeq = inp.seq;
      c.pushMs = 0;
      continue;
    }
    if (!(inp.dt > 0) || inp.dt > INTAKE.maxInputDt || inp.dt > c.moveBudget + 1e-4) {
      game.stats.recordError("speed_violation");
      c.rejectMask |= 1 << RejectReason.SpeedViolation;
      c.lastSeq = inp.seq;
      log.warnLimited("intake.speed", { session_id: c.sessionId, dt: inp.dt, budget: c.moveBudget }, "input rejected: faster than real time");
      continue;
    }
    let f = inp.forward;
    let r = inp.right;
    if (f > 1 || f < -1 || r > 1 || r < -1) {
      // Axis values beyond 1 would not be faster (stepPlayer clamps), but they are a
      // tampered client: count it, clamp, and still apply the input.
      game.stats.recordError("speed_violation");
      c.rejectMask |= 1 << RejectReason.SpeedViolation;
      f = f > 1 ? 1 : f < -1 ? -1 : f;
      r = r > 1 ? 1 : r < -1 ? -1 : r;
    }
    moveInput.forward = f;
    moveInput.right = r;
    moveInput.jump = (inp.buttons & Buttons.Jump) !== 0;
    moveInput.yaw = inp.yaw;
    stepPlayer(game.world, e.move, moveInput, inp.dt);
    const edge = pushedEdge(e.move.x, e.move.z, game.world.maxX, game.world.maxZ, f, r, inp.yaw);
    c.pushMs = edge !== null && edge === c.pushEdge ? c.pushMs + inp.dt * 1000 : 0;
    c.pushEdge = edge;
    e.yaw = wrapAngle(inp.yaw);
    e.pitch = inp.pitch > 1.55 ? 1.55 : inp.pitch < -1.55 ? -1.55 : inp.pitch;
    c.moveBudget -= inp.dt;
    c.lastSeq = inp.seq;
  }
}

function fire(game: Game, e: Entity, f: QueuedFire, ctx: TickContext): void {
  const c = e.control!;
  const cfg = game.config;
  if (isDowned(e) || c.frozen) {
    c.rejectedFires.push(f.commandId);
    c.rejectedFireReasons.push(RejectReason.Downed);
    return;
  }
  const tolerance = Math.min(cfg.weaponCooldownMs / 2, 100);
  if (ctx.nowMs < c.nextFireMs - tolerance) {
    game.stats.recordError("fire_rate");
    c.rejectedFires.push(f.commandId);
    c.rejectedFireReasons.push(RejectReason.FireRate);
    log.warnLimited("intake.fire_rate", { session_id: c.sessionId, command_id: f.commandId }, "fire rejected: weapon cooling down");
    return;
  }
  // Sustained rate stays at one shot per cooldown: the schedule advances from the later of
  // now and the previous slot.
  c.nextFireMs = Math.max(ctx.nowMs, c.nextFireMs) + cfg.weaponCooldownMs;

  const ex = e.move.x;
  const ey = e.move.y + MOVE.eyeHeight;
  const ez = e.move.z;
  const ddx = f.ox - ex;
  const ddy = f.oy - ey;
  const ddz = f.oz - ez;
  const near = ddx * ddx + ddy * ddy + ddz * ddz <= INTAKE.maxOriginError * INTAKE.maxOriginError;
  const len = Math.sqrt(f.dx * f.dx + f.dy * f.dy + f.dz * f.dz);
  const speed = cfg.projectileSpeed;

  const p = game.projectiles.spawn();
  p.ownerId = e.id;
  p.ownerSlot = e.slot;
  p.ownerTeam = e.team;
  p.commandId = f.commandId;
  p.sessionId = c.sessionId;
  p.x = p.px = near ? f.ox : ex;
  p.y = p.py = near ? f.oy : ey;
  p.z = p.pz = near ? f.oz : ez;
  p.ox = p.x;
  p.oy = p.y;
  p.oz = p.z;
  p.vx = (f.dx / len) * speed;
  p.vy = (f.dy / len) * speed;
  p.vz = (f.dz / len) * speed;
  p.ticksLeft = Math.max(1, Math.ceil(cfg.projectileLifetimeMs / (ctx.dt * 1000)));

  commandFields.zone = ctx.zone;
  commandFields.shard = ctx.shard;
  commandFields.session_id = c.sessionId;
  commandFields.command_id = f.commandId;
  commandFields.projectile_id = p.id;
  // A client's parent is sampled by the server's policy (ratio, or its flag within the session's budget).
  const span = tracing.startSpan(SPAN_NAMES.command, commandFields, f.parent);
  p.parent = span.context();
  span.end();

  const s = game.outbox.spawned;
  const i = s.push();
  s.id[i] = p.id;
  s.owner[i] = e.id;
  s.commandId[i] = f.commandId;
  s.x[i] = quantPos(p.x);
  s.y[i] = quantPos(p.y);
  s.z[i] = quantPos(p.z);
  s.vx[i] = quantPos(p.vx);
  s.vy[i] = quantPos(p.vy);
  s.vz[i] = quantPos(p.vz);
  game.stats.shots++;
}

/** Respawns downed players whose time has come, then applies queued inputs and fire commands. */
export const intakeSystem: System = {
  name: "intake",
  run(game, ctx) {
    const slots = game.entities.slots;
    for (let s = 0; s < game.entities.highWater; s++) {
      const e = slots[s];
      if (e === null || e.control === null) continue;
      game.respawnIfDue(e);
      applyInputs(game, e, ctx);
      const fires = e.control.fires;
      for (let f = fires.peek(); f !== null; f = fires.peek()) {
        fires.shift();
        fire(game, e, f, ctx);
      }
    }
  },
};
