// Client-side prediction of the local player with server reconciliation. Every input the
// player steps with is kept, by sequence number, with the state it led to, until the server
// acknowledges it. When a delta brings the server's authoritative state after the last input
// it applied, the client compares it with what it predicted for that input: equal (within
// float32 transport rounding) means nothing was mispredicted and nothing changes. Otherwise
// the client rewinds to the server's state and replays the inputs the server has not seen
// yet, with the same shared stepPlayer and dt the server uses.
//
// Skipping the rewind when the prediction was right matters beyond saving work: the server
// sends float32, and replaying from a rounded state can shift a discrete event (the step on
// which a fall touches the ground) by one tick, which would show as a spurious correction.
import { stepPlayer } from "../../shared/physics/movement.ts";
import type { MoveInput, PlayerState } from "../../shared/physics/movement.ts";
import { SelfFlag } from "../../shared/protocol/messages.ts";
import type { SelfState } from "../../shared/protocol/messages.ts";
import type { World } from "../../shared/voxel/world.ts";

/** Inputs kept for replay: four seconds at 30 Hz. Older ones are dropped (their effect is in the next server state anyway). */
const PREDICTION_CAPACITY = 128;

/** A server state this close to the prediction (voxels, voxels/s) confirms it: float32 rounding is about 1e-6 here. */
const PREDICTION_TOLERANCE = { position: 1e-3, velocity: 1e-2 } as const;

/**
 * Unacknowledged inputs in a ring of typed arrays, and the rewind-and-replay. Allocation-free
 * after construction.
 */
export class Prediction {
  private readonly seq: Float64Array;
  private readonly dt: Float64Array;
  private readonly forward: Float64Array;
  private readonly right: Float64Array;
  private readonly yaw: Float64Array;
  private readonly jump: Uint8Array;
  /** Predicted state after each input: x, y, z, vx, vy, vz, onGround. */
  private readonly after: Float64Array;
  /**
   * The newest acknowledged input and the state it led to, kept after its entry is dropped:
   * the server re-sends its state without a newer ack (a refresh, or a tick with no input
   * from us), and that must confirm, not rewind.
   */
  private baseSeq = -1;
  private readonly base = new Float64Array(7);
  private head = 0;
  /** Inputs waiting for the server's acknowledgement. */
  count = 0;
  /** Inputs replayed by the last reconcile, and rewinds so far (diagnostics). */
  lastReplayed = 0;
  rewinds = 0;
  private readonly input: MoveInput = { forward: 0, right: 0, jump: false, yaw: 0 };
  private readonly scratch: PlayerState = { x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, onGround: false };

  constructor(readonly capacity = PREDICTION_CAPACITY) {
    this.seq = new Float64Array(capacity);
    this.dt = new Float64Array(capacity);
    this.forward = new Float64Array(capacity);
    this.right = new Float64Array(capacity);
    this.yaw = new Float64Array(capacity);
    this.jump = new Uint8Array(capacity);
    this.after = new Float64Array(capacity * 7);
  }

  /** Records an input the player was just stepped with and the state it led to (sequence numbers must increase). */
  push(seq: number, input: Readonly<MoveInput>, dt: number, after: Readonly<PlayerState>): void {
    if (this.count === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    const i = (this.head + this.count) % this.capacity;
    this.seq[i] = seq;
    this.dt[i] = dt;
    this.forward[i] = input.forward;
    this.right[i] = input.right;
    this.yaw[i] = input.yaw;
    this.jump[i] = input.jump ? 1 : 0;
    const a = this.after;
    const k = i * 7;
    a[k] = after.x;
    a[k + 1] = after.y;
    a[k + 2] = after.z;
    a[k + 3] = after.vx;
    a[k + 4] = after.vy;
    a[k + 5] = after.vz;
    a[k + 6] = after.onGround ? 1 : 0;
    this.count++;
  }

  /** Forgets every input up to and including `ackSeq` (the newest of them becomes the base). */
  ack(ackSeq: number): void {
    while (this.count > 0 && this.seq[this.head] <= ackSeq) {
      const k = this.head * 7;
      this.baseSeq = this.seq[this.head];
      for (let f = 0; f < 7; f++) this.base[f] = this.after[k + f];
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  /** Forgets everything (a new join: the snapshot's state already includes whatever was applied). */
  clear(): void {
    this.head = 0;
    this.count = 0;
    this.baseSeq = -1;
  }

  /**
   * Reconciles with the server's state after input `ackSeq`. When that is what was predicted
   * for `ackSeq`, only forgets the acknowledged inputs and returns false (`out` untouched).
   * Otherwise rewinds to the server's state, replays the later inputs on `world`, writes the
   * corrected present into `out` and returns true.
   */
  reconcile(world: World, ackSeq: number, server: Readonly<SelfState>, out: PlayerState): boolean {
    this.ack(ackSeq);
    if (this.baseSeq === ackSeq && this.confirms(server)) {
      this.lastReplayed = 0;
      return false;
    }
    const b = this.base;
    this.baseSeq = ackSeq;
    b[0] = server.x;
    b[1] = server.y;
    b[2] = server.z;
    b[3] = server.vx;
    b[4] = server.vy;
    b[5] = server.vz;
    b[6] = server.flags & SelfFlag.OnGround ? 1 : 0;
    const s = this.scratch;
    s.x = server.x;
    s.y = server.y;
    s.z = server.z;
    s.vx = server.vx;
    s.vy = server.vy;
    s.vz = server.vz;
    s.onGround = (server.flags & SelfFlag.OnGround) !== 0;
    const input = this.input;
    const a = this.after;
    for (let n = 0; n < this.count; n++) {
      const i = (this.head + n) % this.capacity;
      input.forward = this.forward[i];
      input.right = this.right[i];
      input.yaw = this.yaw[i];
      input.jump = this.jump[i] === 1;
      stepPlayer(world, s, input, this.dt[i]);
      // The corrected timeline is the prediction from now on.
      const k = i * 7;
      a[k] = s.x;
      a[k + 1] = s.y;
      a[k + 2] = s.z;
      a[k + 3] = s.vx;
      a[k + 4] = s.vy;
      a[k + 5] = s.vz;
      a[k + 6] = s.onGround ? 1 : 0;
    }
    this.lastReplayed = this.count;
    this.rewinds++;
    out.x = s.x;
    out.y = s.y;
    out.z = s.z;
    out.vx = s.vx;
    out.vy = s.vy;
    out.vz = s.vz;
    out.onGround = s.onGround;
    return true;
  }

  /** True when the base state is the server's (within PREDICTION_TOLERANCE). */
  private confirms(server: Readonly<SelfState>): boolean {
    const b = this.base;
    const p = PREDICTION_TOLERANCE.position;
    const v = PREDICTION_TOLERANCE.velocity;
    return Math.abs(b[0] - server.x) <= p && Math.abs(b[1] - server.y) <= p && Math.abs(b[2] - server.z) <= p
      && Math.abs(b[3] - server.vx) <= v && Math.abs(b[4] - server.vy) <= v && Math.abs(b[5] - server.vz) <= v
      && (b[6] === 1) === ((server.flags & SelfFlag.OnGround) !== 0);
  }
}
