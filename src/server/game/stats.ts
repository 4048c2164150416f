// Plain counters beside the metrics facade: the facade may be a no-op (tests, loadtest), but
// tests and the loadtest still need to read what happened. Every rejection goes through
// recordError so the metric, the counter and the class always agree.
import { ERROR_CLASSES, metrics } from "../telemetry/facade.ts";
import type { ErrorClass, HitKind } from "../telemetry/facade.ts";

/** Monotonic counters of one server instance. */
export class ServerStats {
  readonly errors: Record<ErrorClass, number> = Object.fromEntries(ERROR_CLASSES.map((c) => [c, 0])) as Record<ErrorClass, number>;
  readonly hits: Record<HitKind, number> = { npc: 0, player: 0, destructible: 0, terrain: 0 };
  carves = 0;
  voxelsCarved = 0;
  shots = 0;
  /** Players and NPCs downed. */
  downs = 0;
  chunksDirtied = 0;
  chunksMeshed = 0;
  snapshotBytes = 0;
  deltaBytes = 0;
  eventBytes = 0;
  messagesIn = 0;
  sessionsOpened = 0;
  sessionsClosed = 0;

  /** Counts a rejected input or failure in the metric and the local counter. */
  recordError(cls: ErrorClass): void {
    this.errors[cls]++;
    metrics.error(cls);
  }

  /** Counts a projectile hit by kind. */
  recordHit(kind: HitKind): void {
    this.hits[kind]++;
    metrics.projectileHit(kind);
  }

  /** A copy for reports. */
  snapshot(): ServerStatsSnapshot {
    return {
      errors: { ...this.errors },
      hits: { ...this.hits },
      carves: this.carves,
      voxelsCarved: this.voxelsCarved,
      shots: this.shots,
      downs: this.downs,
      chunksDirtied: this.chunksDirtied,
      chunksMeshed: this.chunksMeshed,
      snapshotBytes: this.snapshotBytes,
      deltaBytes: this.deltaBytes,
      eventBytes: this.eventBytes,
      messagesIn: this.messagesIn,
      sessionsOpened: this.sessionsOpened,
      sessionsClosed: this.sessionsClosed,
    };
  }
}

/** Serializable copy of ServerStats. */
export interface ServerStatsSnapshot {
  readonly errors: Readonly<Record<ErrorClass, number>>;
  readonly hits: Readonly<Record<HitKind, number>>;
  readonly carves: number;
  readonly voxelsCarved: number;
  readonly shots: number;
  readonly downs: number;
  readonly chunksDirtied: number;
  readonly chunksMeshed: number;
  readonly snapshotBytes: number;
  readonly deltaBytes: number;
  readonly eventBytes: number;
  readonly messagesIn: number;
  readonly sessionsOpened: number;
  readonly sessionsClosed: number;
}
