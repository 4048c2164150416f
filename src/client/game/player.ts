import { createPlayerState, MOVE, stepPlayer } from "../../shared/physics/movement.ts";
import type { MoveInput, PlayerState } from "../../shared/physics/movement.ts";
import type { World } from "../../shared/voxel/world.ts";

/** Physics rate: fixed steps keep movement identical at any frame rate (and match the server's stepPlayer). */
export const PHYSICS_DT = 1 / 60;
/** At most this much simulated time per frame, so a stalled tab does not fast-forward. */
const MAX_FRAME_DT = 0.25;
const MAX_PITCH = Math.PI / 2 - 0.01;

/**
 * The local player: look angles plus the shared movement simulation (gravity, jumping,
 * voxel collision) stepped at a fixed rate, with the camera interpolated between the last
 * two steps so it moves smoothly whatever the display rate.
 */
export class PlayerController {
  readonly state: PlayerState;
  yaw: number;
  pitch = 0;
  private readonly prev: PlayerState;
  private accumulator = 0;
  private readonly input: MoveInput = { forward: 0, right: 0, jump: false, yaw: 0 };

  constructor(
    private readonly world: World,
    private readonly spawn: readonly [number, number, number],
    yaw: number,
  ) {
    this.state = createPlayerState(spawn[0], spawn[1], spawn[2]);
    this.prev = createPlayerState(spawn[0], spawn[1], spawn[2]);
    this.yaw = yaw;
  }

  /** Turns the view; pitch is clamped short of straight up/down, yaw wrapped to [-pi, pi). */
  look(dYaw: number, dPitch: number): void {
    this.setAim(this.yaw + dYaw, this.pitch + dPitch);
  }

  /** Sets the view angles directly (radians). */
  setAim(yaw: number, pitch: number): void {
    this.yaw = yaw - 2 * Math.PI * Math.floor((yaw + Math.PI) / (2 * Math.PI));
    this.pitch = Math.max(-MAX_PITCH, Math.min(MAX_PITCH, pitch));
  }

  /** Advances the simulation by the frame's dt under the held movement keys. */
  update(dt: number, forward: number, right: number, jump: boolean): void {
    const input = this.input;
    input.forward = forward;
    input.right = right;
    input.jump = jump;
    input.yaw = this.yaw;
    this.accumulator += Math.min(dt, MAX_FRAME_DT);
    while (this.accumulator >= PHYSICS_DT) {
      Object.assign(this.prev, this.state);
      stepPlayer(this.world, this.state, input, PHYSICS_DT);
      this.accumulator -= PHYSICS_DT;
    }
    // Fell out of the world (e.g. through a crater at the edge): back to the spawn point.
    if (this.state.y < -32) {
      Object.assign(this.state, createPlayerState(this.spawn[0], this.spawn[1], this.spawn[2]));
      Object.assign(this.prev, this.state);
    }
  }

  /** Eye position, interpolated between the last two physics steps, into `out`. */
  eye(out: Float64Array | number[]): Float64Array | number[] {
    const a = this.accumulator / PHYSICS_DT;
    const p = this.prev;
    const s = this.state;
    out[0] = p.x + (s.x - p.x) * a;
    out[1] = p.y + (s.y - p.y) * a + MOVE.eyeHeight;
    out[2] = p.z + (s.z - p.z) * a;
    return out;
  }
}
