/**
 * requestAnimationFrame driver. Calls `tick` with the seconds since the previous frame
 * (clamped, so a tab returning from the background does not get one huge step).
 * Returns a function that stops the loop. An exception in `tick` is reported and the loop
 * goes on: one bad frame should not freeze the game.
 */
export function startLoop(tick: (dt: number, now: number) => void): () => void {
  let last = performance.now();
  let handle = 0;
  let stopped = false;
  const frame = (now: number) => {
    if (stopped) return;
    handle = requestAnimationFrame(frame);
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
