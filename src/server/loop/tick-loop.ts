// Fixed-rate tick driver. Ticks are scheduled against an ideal timeline (start + n * period),
// not "period after the last one", so timer lateness does not accumulate into drift. The wait
// uses setTimeout for all but the last ~1 ms and setImmediate for the rest, which lands ticks
// within a fraction of a millisecond without spinning a core. A loop that falls more than a
// few ticks behind (a stall) skips ahead instead of bursting to catch up.

/** Ticks behind the timeline after which the loop resynchronises instead of catching up. */
const MAX_BEHIND = 5;

/** Drives `onTick` at `hz` until stopped. */
export class TickLoop {
  private readonly periodMs: number;
  private next = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private active = false;
  /** Ticks dropped by resynchronisation after a stall. */
  skipped = 0;

  constructor(
    hz: number,
    private readonly onTick: () => void,
  ) {
    this.periodMs = 1000 / hz;
  }

  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.next = performance.now() + this.periodMs;
    this.schedule();
  }

  stop(): void {
    this.active = false;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private schedule(): void {
    if (!this.active) return;
    const wait = this.next - performance.now();
    if (wait > 1.5) {
      this.timer = setTimeout(this.wake, wait - 1);
    } else {
      this.immediate = setImmediate(this.wake);
    }
  }

  private readonly wake = (): void => {
    this.timer = null;
    this.immediate = null;
    if (!this.active) return;
    const now = performance.now();
    if (now < this.next) {
      this.schedule();
      return;
    }
    this.onTick();
    this.next += this.periodMs;
    const after = performance.now();
    if (after - this.next > MAX_BEHIND * this.periodMs) {
      const behind = Math.floor((after - this.next) / this.periodMs);
      this.skipped += behind;
      this.next += behind * this.periodMs;
    }
    this.schedule();
  };
}
