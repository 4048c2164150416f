// Snapshot interpolation for entities the client does not simulate: other players and NPCs
// are drawn a fixed delay in the past, between two server ticks the client already has, so
// network jitter does not show as stutter. ServerClock maps local time to the server's tick
// timeline; EntityTrack keeps an entity's recent samples and answers "where at tick t".

/** Interpolation tuning. */
export const INTERPOLATION = {
  /** How far in the past remote entities are drawn (ms): about three ticks at 30 Hz, so one or two late deltas do not starve it. */
  delayMs: 100,
  /** Samples kept per entity (half a second at 30 Hz). */
  samples: 16,
  /** Consecutive samples farther apart than this (voxels) are a teleport (respawn): no sliding across the map. */
  teleportDistance: 6,
  /** Clock offset adaptation: fast when a tick arrives earlier than expected, slow otherwise (delays only ever add). */
  clockEarly: 0.3,
  clockLate: 0.02,
  /** A clock error beyond this (ms) is a discontinuity (rejoin, stall): snap instead of adapting. */
  clockSnapMs: 500,
} as const;

/**
 * Estimates the server's tick timeline from delta arrivals. Each delta for tick T arriving at
 * local time t is one sample of offset = T * tickMs - t; network delay only makes samples
 * smaller, so the estimate follows larger samples quickly and smaller ones slowly.
 */
export class ServerClock {
  private offset = Number.NaN;
  private tickMs = 1000 / 30;

  /** Forgets the estimate and sets the tick rate (on every join). */
  reset(tickHz: number): void {
    this.tickMs = 1000 / tickHz;
    this.offset = Number.NaN;
  }

  /** True once a tick has been observed. */
  get ready(): boolean {
    return !Number.isNaN(this.offset);
  }

  /** Records that tick `tick` arrived at local time `nowMs`. */
  observe(tick: number, nowMs: number): void {
    const sample = tick * this.tickMs - nowMs;
    const err = sample - this.offset;
    if (Number.isNaN(err) || Math.abs(err) > INTERPOLATION.clockSnapMs) this.offset = sample;
    else this.offset += err * (err > 0 ? INTERPOLATION.clockEarly : INTERPOLATION.clockLate);
  }

  /** The (fractional) server tick to draw remote entities at, `delayMs` behind the estimated present. */
  renderTick(nowMs: number, delayMs: number = INTERPOLATION.delayMs): number {
    return (nowMs + this.offset - delayMs) / this.tickMs;
  }
}

/** A position and heading sampled from the track. */
export interface TrackSample {
  x: number;
  y: number;
  z: number;
  yaw: number;
}

const F = 5; // floats per sample: tick, x, y, z, yaw

/**
 * Recent (tick, position, yaw) samples of one entity, oldest first, in a fixed ring.
 * Allocation-free after construction.
 */
export class EntityTrack {
  private readonly data: Float64Array;
  private head = 0;
  count = 0;

  constructor(readonly capacity: number = INTERPOLATION.samples) {
    this.data = new Float64Array(capacity * F);
  }

  /** Tick of the newest sample (NaN when empty). */
  get lastTick(): number {
    return this.count === 0 ? Number.NaN : this.data[this.index(this.count - 1)];
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /**
   * Adds the entity's state at `tick`. Deltas only carry entities that changed, so when the
   * previous sample is older than tick - 1 the entity stood still in between: a copy of that
   * sample is inserted at tick - 1 first, and interpolation does not smear the wait into a slow
   * glide. A sample for an older or equal tick replaces the newest.
   */
  push(tick: number, x: number, y: number, z: number, yaw: number): void {
    if (this.count > 0) {
      const last = this.index(this.count - 1);
      const lastTick = this.data[last];
      if (tick <= lastTick) {
        this.write(last, lastTick, x, y, z, yaw);
        return;
      }
      if (lastTick < tick - 1) {
        const d = this.data;
        this.append(tick - 1, d[last + 1], d[last + 2], d[last + 3], d[last + 4]);
      }
    }
    this.append(tick, x, y, z, yaw);
  }

  /**
   * The state at fractional tick `t` into `out`: linear between the samples around t (yaw the
   * short way round), the oldest before them and the newest after them (no extrapolation).
   * False when the track is empty.
   */
  sample(t: number, out: TrackSample): boolean {
    const n = this.count;
    if (n === 0) return false;
    const d = this.data;
    let b = 0;
    while (b < n && d[this.index(b)] < t) b++;
    if (b === 0 || b === n) {
      const k = this.index(b === 0 ? 0 : n - 1);
      out.x = d[k + 1];
      out.y = d[k + 2];
      out.z = d[k + 3];
      out.yaw = d[k + 4];
      return true;
    }
    const i = this.index(b - 1);
    const j = this.index(b);
    const dx = d[j + 1] - d[i + 1];
    const dy = d[j + 2] - d[i + 2];
    const dz = d[j + 3] - d[i + 3];
    if (dx * dx + dy * dy + dz * dz > INTERPOLATION.teleportDistance ** 2) {
      // A jump (respawn): show whichever sample is nearer in time.
      const k = t - d[i] < d[j] - t ? i : j;
      out.x = d[k + 1];
      out.y = d[k + 2];
      out.z = d[k + 3];
      out.yaw = d[k + 4];
      return true;
    }
    const a = (t - d[i]) / (d[j] - d[i]);
    out.x = d[i + 1] + dx * a;
    out.y = d[i + 2] + dy * a;
    out.z = d[i + 3] + dz * a;
    let dyaw = d[j + 4] - d[i + 4];
    dyaw -= 2 * Math.PI * Math.round(dyaw / (2 * Math.PI));
    out.yaw = d[i + 4] + dyaw * a;
    return true;
  }

  /** Float offset of the k-th oldest sample. */
  private index(k: number): number {
    return ((this.head + k) % this.capacity) * F;
  }

  private append(tick: number, x: number, y: number, z: number, yaw: number): void {
    if (this.count === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    this.write(this.index(this.count), tick, x, y, z, yaw);
    this.count++;
  }

  private write(k: number, tick: number, x: number, y: number, z: number, yaw: number): void {
    const d = this.data;
    d[k] = tick;
    d[k + 1] = x;
    d[k + 2] = y;
    d[k + 3] = z;
    d[k + 4] = yaw;
  }
}
