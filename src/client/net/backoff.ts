// Reconnect schedule: exponential backoff with jitter. The jitter matters when a server
// restarts: every client dropped at the same instant would otherwise come back in lockstep
// waves and hit the fresh process all at once.

/** Backoff tuning (ms). */
export const BACKOFF = {
  /** Delay before the first retry (before jitter). */
  baseMs: 250,
  /** Growth per failed attempt. */
  factor: 2,
  /** Upper bound of the delay (before jitter). */
  maxMs: 10_000,
  /** The delay is the nominal delay times a uniform random factor in (1 - jitter, 1]. */
  jitter: 0.5,
} as const;

/**
 * Delay (ms) before retry number `attempt` (0 for the first retry after a drop): the nominal
 * delay baseMs * factor^attempt, capped at maxMs, scaled by a random factor in (1 - jitter, 1].
 * `random` returns values in [0, 1) (Math.random, or a seeded source in tests).
 */
export function backoffDelay(attempt: number, random: () => number): number {
  const n = Math.max(0, Math.floor(attempt));
  const nominal = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * BACKOFF.factor ** Math.min(n, 30));
  return nominal * (1 - BACKOFF.jitter * random());
}
