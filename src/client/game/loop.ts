/**
 * Caps the frame rate on top of requestAnimationFrame: a frame runs when its deadline has
 * come, and deadlines advance by whole intervals (not from the frame's own time), so the
 * average rate is the cap whatever the display's rate. A fifth of an interval of slack keeps
 * frames that arrive a little early (rAF jitter) from being skipped at a cap equal to the
 * display rate.
 */
export class FrameLimiter {
  private next = Number.NEGATIVE_INFINITY;

  /** True when a frame at `now` (ms) should run under a cap of `fps` (0 or less: every frame). */
  ready(now: number, fps: number): boolean {
    if (!(fps > 0)) {
      this.next = Number.NEGATIVE_INFINITY;
      return true;
    }
    const interval = 1000 / fps;
    if (now < this.next - interval * 0.2) return false;
    // After a stall (or the first frame) start over from now instead of running a burst.
    this.next = now - this.next > interval ? now + interval : this.next + interval;
    return true;
  }
}

/**
 * requestAnimationFrame driver. Calls `tick` with the seconds since the previous frame that
 * ran (clamped, so a tab returning from the background does not get one huge step), at most
 * `fpsCap()` times a second when that is positive. Returns a function that stops the loop.
 * An exception in `tick` is reported and the loop goes on: one bad frame should not freeze
 * the game.
 */
export function startLoop(tick: (dt: number, now: number) => void, fpsCap: () => number = () => 0): () => void {
  let last = performance.now();
  let handle = 0;
  let stopped = false;
  const limiter = new FrameLimiter();
  const frame = (now: number) => {
    if (stopped) return;
    handle = requestAnimationFrame(frame);
    if (!limiter.ready(now, fpsCap())) return;
    const dt = Math.min(Math.max((now - last) / 1000, 0), 0.1);
    last = now;
    try {
      tick(dt, now);
    } catch (err) {
      console.error("frame failed", err);
    }
  };
  handle = requestAnimationFrame(frame);
  return () => {
    stopped = true;
    cancelAnimationFrame(handle);
  };
}
