import { createPlayerState, MOVE, stepPlayer } from "../../shared/physics/movement.ts";
import type { MoveInput, PlayerState } from "../../shared/physics/movement.ts";
import type { World } from "../../shared/voxel/world.ts";
import { clamp } from "../../shared/math.ts";

/** Physics rate offline: fixed steps keep movement identical at any frame rate. */
const PHYSICS_DT = 1 / 60;
/** At most this much simulated time per frame, so a stalled tab does not fast-forward. */
const MAX_FRAME_DT = 0.25;
const MAX_PITCH = Math.PI / 2 - 0.01;

/** Reconciliation corrections (voxels, seconds). */
const CORRECTION = {
  /** A visual offset left by a correction shrinks with this time constant, so small mispredictions glide instead of jump. */
  smoothing: 0.1,
  /** Corrections larger than this are teleports (respawn, a rejoin): applied at once. */
  snapDistance: 3,
} as const;

/** How the player is stepped. */
export interface PlayerOptions {
  /** Fixed simulation step in seconds (default PHYSICS_DT); online it is the server's input dt. */
  readonly stepDt?: number;
  /**
   * Online: inputs travel as float32, so yaw is rounded to float32 before each step, exactly
   * as the server will see it; prediction and server then run bit-identical steps.
   */
  readonly float32Inputs?: boolean;
  /** Called after every step with the input and dt it used (online: send it and keep it for replay). */
  readonly onStep?: (input: Readonly<MoveInput>, pitch: number, dt: number) => void;
  /** Offline: put the player back at the spawn after falling out of the world (online the server decides). */
  readonly respawnOnFall?: boolean;
}

/**
 * The local player: look angles plus the shared movement simulation (gravity, jumping,
 * voxel collision) stepped at a fixed rate, with the camera interpolated between the last
 * two steps so it moves smoothly whatever the display rate. Online, the state is the
 * prediction: the session rewinds and replays it when the server's state arrives, and the
 * camera absorbs the difference through a decaying offset.
 */
export class PlayerController {
  readonly state: PlayerState;
  yaw: number;
  pitch = 0;
  private readonly prev: PlayerState;
  private accumulator = 0;
  private readonly input: MoveInput = { forward: 0, right: 0, jump: false, yaw: 0 };
  private readonly stepDt: number;
  private readonly float32Inputs: boolean;
  private readonly onStep: PlayerOptions["onStep"];
  private readonly respawnOnFall: boolean;
  /** Visual correction offset (voxels), decaying to zero. */
  private ox = 0;
  private oy = 0;
  private oz = 0;

  constructor(
    private readonly world: World,
    private readonly spawn: readonly [number, number, number],
    yaw: number,
    options: PlayerOptions = {},
  ) {
    this.state = createPlayerState(spawn[0], spawn[1], spawn[2]);
    this.prev = createPlayerState(spawn[0], spawn[1], spawn[2]);
    this.yaw = yaw;
    this.stepDt = options.stepDt ?? PHYSICS_DT;
    this.float32Inputs = options.float32Inputs ?? false;
    this.onStep = options.onStep;
    this.respawnOnFall = options.respawnOnFall ?? true;
  }

  /** Turns the view; pitch is clamped short of straight up/down, yaw wrapped to [-pi, pi). */
  look(dYaw: number, dPitch: number): void {
    this.setAim(this.yaw + dYaw, this.pitch + dPitch);
  }

  /** Sets the view angles directly (radians). */
  setAim(yaw: number, pitch: number): void {
    this.yaw = yaw - 2 * Math.PI * Math.floor((yaw + Math.PI) / (2 * Math.PI));
    this.pitch = clamp(pitch, -MAX_PITCH, MAX_PITCH);
  }

  /** Advances the simulation by the frame's dt under the held movement keys. */
  update(dt: number, forward: number, right: number, jump: boolean): void {
    const input = this.input;
    input.forward = forward;
    input.right = right;
    input.jump = jump;
    input.yaw = this.float32Inputs ? Math.fround(this.yaw) : this.yaw;
    const frameDt = Math.min(dt, MAX_FRAME_DT);
    this.accumulator += frameDt;
    while (this.accumulator >= this.stepDt) {
      Object.assign(this.prev, this.state);
      stepPlayer(this.world, this.state, input, this.stepDt);
      this.accumulator -= this.stepDt;
      this.onStep?.(input, this.pitch, this.stepDt);
    }
    this.decayOffset(frameDt);
    // Fell out of the world (e.g. through a crater at the edge): back to the spawn point.
    if (this.respawnOnFall && this.state.y < -32) {
      Object.assign(this.state, createPlayerState(this.spawn[0], this.spawn[1], this.spawn[2]));
      Object.assign(this.prev, this.state);
    }
  }

  /** Lets the camera offset decay while the simulation is paused (e.g. waiting for a rejoin). */
  idle(dt: number): void {
    this.decayOffset(Math.min(dt, MAX_FRAME_DT));
  }

  /**
   * Call after the state was replaced by reconciliation, with the state before. The previous
   * step moves by the same amount (so interpolation stays continuous) and the camera keeps its
   * place through an offset that decays; a large jump is applied at once.
   */
  corrected(before: Readonly<PlayerState>): void {
    const s = this.state;
    const dx = s.x - before.x;
    const dy = s.y - before.y;
    const dz = s.z - before.z;
    if (dx === 0 && dy === 0 && dz === 0) return;
    const p = this.prev;
    if (dx * dx + dy * dy + dz * dz > CORRECTION.snapDistance ** 2) {
      Object.assign(p, s);
      this.ox = this.oy = this.oz = 0;
      return;
    }
    p.x += dx;
    p.y += dy;
    p.z += dz;
    this.ox -= dx;
    this.oy -= dy;
    this.oz -= dz;
  }

  /** Puts the player at `s` at once (join snapshot, respawn), with no smoothing and no partial step. */
  teleport(s: Readonly<PlayerState>): void {
    Object.assign(this.state, s);
    Object.assign(this.prev, s);
    this.accumulator = 0;
    this.ox = this.oy = this.oz = 0;
  }

  /** Eye position, interpolated between the last two physics steps, into `out`. */
  eye(out: Float64Array | number[]): Float64Array | number[] {
    const a = this.accumulator / this.stepDt;
    const p = this.prev;
    const s = this.state;
    out[0] = p.x + (s.x - p.x) * a + this.ox;
    out[1] = p.y + (s.y - p.y) * a + MOVE.eyeHeight + this.oy;
    out[2] = p.z + (s.z - p.z) * a + this.oz;
    return out;
  }

  private decayOffset(dt: number): void {
    if (this.ox === 0 && this.oy === 0 && this.oz === 0) return;
    const k = Math.exp(-dt / CORRECTION.smoothing);
    this.ox *= k;
    this.oy *= k;
    this.oz *= k;
    if (Math.abs(this.ox) + Math.abs(this.oy) + Math.abs(this.oz) < 1e-4) this.ox = this.oy = this.oz = 0;
  }
}
