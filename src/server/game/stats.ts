// Plain counters beside the metrics facade: the facade may be a no-op (tests, loadtest), but
// tests and the loadtest still need to read what happened. Every rejection goes through
// recordError so the metric, the counter and the class always agree.
import { CLOSE_REASONS, ERROR_CLASSES, metrics, NET_STAGES, REFUSE_REASONS } from "../telemetry/facade.ts";
import type { CloseReason, ErrorClass, HitKind, NetStage, RefuseReason, SocketErrorCode } from "../telemetry/facade.ts";

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** Monotonic counters of one server instance. */
export class ServerStats {
  readonly errors: Record<ErrorClass, number> = zeros(ERROR_CLASSES);
  /** Game-port socket errors by stage (game_net_socket_errors_total{listener="game"}). */
  readonly socketErrors: Record<NetStage, number> = zeros(NET_STAGES);
  /** Game-port connections refused over a cap, by reason. */
  readonly refused: Record<RefuseReason, number> = zeros(REFUSE_REASONS);
  /** Game WebSockets closed, by reason. */
  readonly closes: Record<CloseReason, number> = zeros(CLOSE_REASONS);
  readonly hits: Record<HitKind, number> = { npc: 0, player: 0, destructible: 0, terrain: 0 };
  carves = 0;
  /** Voxel impacts that carved nothing because the store was behind or the zone was lost. */
  carvesRefused = 0;
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

  /** Counts a network error on the game port. */
  recordSocketError(stage: NetStage, code: SocketErrorCode): void {
    this.socketErrors[stage]++;
    metrics.socketError("game", stage, code);
  }

  /** Counts a game-port connection refused over a cap. */
  recordRefused(reason: RefuseReason): void {
    this.refused[reason]++;
    metrics.connectionRefused("game", reason);
  }

  /** Counts a closed game WebSocket. */
  recordClose(reason: CloseReason): void {
    this.closes[reason]++;
    metrics.wsClose(reason);
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
      socketErrors: { ...this.socketErrors },
      refused: { ...this.refused },
      closes: { ...this.closes },
      hits: { ...this.hits },
      carves: this.carves,
      carvesRefused: this.carvesRefused,
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
  readonly socketErrors: Readonly<Record<NetStage, number>>;
  readonly refused: Readonly<Record<RefuseReason, number>>;
  readonly closes: Readonly<Record<CloseReason, number>>;
  readonly hits: Readonly<Record<HitKind, number>>;
  readonly carves: number;
  readonly carvesRefused: number;
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
