// Tick timing kept by the scheduler: a ring of recent tick durations (for the dev overlay
// figures in deltas, /healthz and the loadtest), per-system totals, and over-budget counts.
import { SYSTEMS } from "../telemetry/facade.ts";
import type { SystemName } from "../telemetry/facade.ts";

/** Recent tick durations and cumulative counters. */
export class TickStats {
  readonly ring: Float64Array;
  private next = 0;
  private filled = 0;
  ticks = 0;
  overBudget = 0;
  lastTickMs = 0;
  /** performance.now() at the end of the last tick (0 before the first). */
  lastTickAt = 0;
  /** Cumulative ms per system since start. */
  readonly systemMs: Record<SystemName, number> = Object.fromEntries(SYSTEMS.map((s) => [s, 0])) as Record<SystemName, number>;
  /** ms per system in the tick being run / last run, in SYSTEMS order (written by the scheduler). */
  readonly current = new Float64Array(SYSTEMS.length);
  /** Optional full recording of tick durations (the loadtest's measurement window). */
  recording: number[] | null = null;
  /** With `recording`: each tick's per-system ms, SYSTEMS order (to explain slow ticks). */
  systemRecording: Float64Array[] | null = null;

  constructor(capacity = 1024) {
    this.ring = new Float64Array(capacity);
  }

  /** Records one tick's duration in ms. */
  record(ms: number, over: boolean, at: number): void {
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled++;
    this.ticks++;
    if (over) this.overBudget++;
    this.lastTickMs = ms;
    this.lastTickAt = at;
    this.recording?.push(ms);
    this.systemRecording?.push(this.current.slice());
  }

  /** Mean and max of the last `n` ticks (for the overlay stats in deltas). Allocation-free. */
  recent(n: number, out: { avg: number; max: number }): { avg: number; max: number } {
    const k = Math.min(n, this.filled);
    let sum = 0;
    let max = 0;
    for (let i = 1; i <= k; i++) {
      const v = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      sum += v;
      if (v > max) max = v;
    }
    out.avg = k > 0 ? sum / k : 0;
    out.max = max;
    return out;
  }

  /** Recent durations in ms, oldest first (allocates; for reports). */
  values(): number[] {
    const out: number[] = [];
    for (let i = this.filled; i >= 1; i--) out.push(this.ring[(this.next - i + this.ring.length) % this.ring.length]);
    return out;
  }
}
