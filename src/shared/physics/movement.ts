// Player movement shared by client prediction and server authority: both run stepPlayer with
// the same inputs and fixed dt and must land on the same state, so there is no hidden state
// and no wall-clock time here. (Math.sin/cos are the only engine-specific functions used; the
// browser and Node both use V8's implementation.)
import type { World } from "../voxel/world.ts";
import { CollideResult, moveAndCollide, PLAYER_BOX } from "./collide.ts";

/** Movement tuning, in voxels (= metres) and seconds. */
export const MOVE = {
  walkSpeed: 6,
  /** Take-off speed; apex = jumpVelocity^2 / (2 * gravity) ~ 1.33 voxels, clears a 1-voxel step. */
  jumpVelocity: 8,
  gravity: 24,
  maxFallSpeed: 50,
  /** In the air, horizontal velocity approaches the wished velocity at this rate (1/s). */
  airControl: 2,
  halfWidth: PLAYER_BOX.halfWidth,
  height: PLAYER_BOX.height,
  /** Camera height above the feet. */
  eyeHeight: 1.6,
} as const;

/** A body's position and velocity (voxels, voxels per second). */
export interface Motion {
  x: number;
  y: number;
  z: number;
  vx: number;
  vy: number;
  vz: number;
}

/** A player's simulated state; feet position. */
export interface PlayerState extends Motion {
  onGround: boolean;
}

/**
 * One tick of player intent. yaw in radians: 0 looks towards -Z, positive turns left (towards
 * -X), i.e. forward = (-sin yaw, 0, -cos yaw), right = (cos yaw, 0, -sin yaw).
 */
export interface MoveInput {
  /** -1..1, backwards..forwards. */
  forward: number;
  /** -1..1, left..right. */
  right: number;
  jump: boolean;
  yaw: number;
}

/** A fresh state standing at feet position (x, y, z). */
export function createPlayerState(x: number, y: number, z: number): PlayerState {
  return { x, y, z, vx: 0, vy: 0, vz: 0, onGround: false };
}

function axisInput(v: number): number {
  // NaN and out-of-range values from the network become harmless instead of fast.
  return v > 1 ? 1 : v < -1 ? -1 : v === v ? v : 0;
}

const pos = new Float64Array(3);
const vel = new Float64Array(3);
const collide = new CollideResult();

/**
 * Advances `state` by `dt` seconds under `input` and writes the result into `out` (which may be
 * `state` itself). Deterministic: the same world, state, input and dt give the same result.
 * Allocation-free. Returns `out`.
 */
export function stepPlayer(world: World, state: PlayerState, input: MoveInput, dt: number, out: PlayerState = state): PlayerState {
  let f = axisInput(input.forward);
  let r = axisInput(input.right);
  const len2 = f * f + r * r;
  if (len2 > 1) {
    // Diagonal input is not faster than straight input.
    const inv = 1 / Math.sqrt(len2);
    f *= inv;
    r *= inv;
  }
  const yaw = Number.isFinite(input.yaw) ? input.yaw : 0;
  const s = Math.sin(yaw);
  const c = Math.cos(yaw);
  const wishX = (-s * f + c * r) * MOVE.walkSpeed;
  const wishZ = (-c * f - s * r) * MOVE.walkSpeed;

  let vx = state.vx;
  let vy = state.vy;
  let vz = state.vz;
  if (state.onGround) {
    // Ground movement is direct: no sliding, which keeps prediction errors small.
    vx = wishX;
    vz = wishZ;
    if (input.jump) vy = MOVE.jumpVelocity;
  } else {
    const k = Math.min(1, MOVE.airControl * dt);
    vx += (wishX - vx) * k;
    vz += (wishZ - vz) * k;
  }
  vy = Math.max(-MOVE.maxFallSpeed, vy - MOVE.gravity * dt);

  pos[0] = state.x;
  pos[1] = state.y;
  pos[2] = state.z;
  vel[0] = vx;
  vel[1] = vy;
  vel[2] = vz;
  moveAndCollide(world, pos, vel, dt, collide, PLAYER_BOX, state.onGround && vy <= 0);
  out.x = pos[0];
  out.y = pos[1];
  out.z = pos[2];
  out.vx = vel[0];
  out.vy = vel[1];
  out.vz = vel[2];
  out.onGround = collide.onGround;
  return out;
}
