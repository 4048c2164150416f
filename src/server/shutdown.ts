// Graceful stop under a deadline. A stop is an ordered list of named steps (stop accepting,
// close the connections, close the listener, stop the mesh workers, flush telemetry). Each
// step gets the time left before the deadline minus what later steps keep in reserve, so a
// step that hangs (a worker that never exits, an upstream flush that never answers, a
// connection that never closes) is logged by name and abandoned, and the steps after it still
// run: the caller always gets its report by the deadline and the process can exit. Reserves
// are scaled down when together they would take more than RESERVE_SHARE of the deadline.
import type { Log } from "./telemetry/facade.ts";

/** One named step of a graceful stop. */
export interface StopStep {
  /** Logged when the step hangs or fails ("close connections", "flush telemetry"). */
  readonly name: string;
  run(): unknown;
  /** Time (ms) kept for this step even when earlier ones use up theirs (default 0). */
  readonly reserveMs?: number;
}

/** What happened during a stop. */
export interface StopReport {
  /** Names of steps abandoned at their deadline, in order. */
  readonly timedOut: readonly string[];
  /** Names of steps that threw or rejected. */
  readonly failed: readonly string[];
  /** Wall time of the whole stop, ms. */
  readonly ms: number;
}

/** At most this share of the deadline is held back in reserves. */
const RESERVE_SHARE = 0.75;

/** Runs `steps` in order within `deadlineMs` (see the file comment); never rejects. */
export async function runStopSteps(steps: readonly StopStep[], deadlineMs: number, log: Log): Promise<StopReport> {
  const start = performance.now();
  const deadlineAt = start + deadlineMs;
  const timedOut: string[] = [];
  const failed: string[] = [];
  let reserved = 0;
  for (const step of steps) reserved += step.reserveMs ?? 0;
  const scale = reserved > 0 ? Math.min(1, (deadlineMs * RESERVE_SHARE) / reserved) : 1;
  const reserve = (step: StopStep): number => (step.reserveMs ?? 0) * scale;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    let later = 0;
    for (let j = i + 1; j < steps.length; j++) later += reserve(steps[j]);
    const budget = Math.max(reserve(step), deadlineAt - performance.now() - later);
    const outcome = await withinBudget(step, budget);
    if (outcome === "timeout") {
      timedOut.push(step.name);
      log.error({ step: step.name, budget_ms: Math.round(budget) }, "shutdown step timed out; continuing without it");
    } else if (outcome !== "ok") {
      failed.push(step.name);
      log.error({ step: step.name, error: describe(outcome.error) }, "shutdown step failed; continuing");
    }
  }
  return { timedOut, failed, ms: performance.now() - start };
}

/** Runs one step, settling as "timeout" when it takes longer than `budgetMs`. */
function withinBudget(step: StopStep, budgetMs: number): Promise<"ok" | "timeout" | { error: unknown }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), Math.max(0, budgetMs));
    Promise.resolve()
      .then(() => step.run())
      .then(
        () => resolve("ok"),
        (error: unknown) => resolve({ error }),
      )
      .finally(() => clearTimeout(timer));
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
