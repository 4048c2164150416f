// Retry schedules: exponential backoff with jitter, one formula for every retry in the game
// (the client's reconnects, worker replacement, telemetry delivery), each caller with its own
// schedule. The jitter matters when a server restarts: every client dropped at the same
// instant would otherwise come back in lockstep waves and hit the fresh process all at once.

/** A backoff schedule (ms). */
export interface BackoffPolicy {
  /** Delay before the first retry (before jitter). */
  readonly baseMs: number;
  /** Growth per failed attempt. */
  readonly factor: number;
  /** Upper bound of the delay (before jitter). */
  readonly maxMs: number;
  /** The delay is the nominal delay times a uniform random factor in (1 - jitter, 1]. */
  readonly jitter: number;
}

/**
 * Delay (ms) before retry number `attempt` (0 for the first retry): the nominal delay
 * baseMs * factor^attempt, capped at maxMs, scaled by a random factor in (1 - jitter, 1].
 * Negative, fractional or NaN attempts count as the whole attempt below (at least 0).
 * `random` returns values in [0, 1) (Math.random, or a seeded source in tests).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const n = Math.max(0, Math.floor(attempt)) || 0;
  const nominal = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.min(n, 30));
  return nominal * (1 - policy.jitter * random());
}
