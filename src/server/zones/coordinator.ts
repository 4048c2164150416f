// Zone coordination: the directory of live zones, seats and tickets for hand-offs, and the
// cross-zone event bus. COORD=local (one process) has no other zones and runs none of this
// (a ticketed hello is refused there); COORD=redis:// runs it all on Redis (coordinator-redis.ts). Ownership of a zone is never decided here: that is the
// store's lease and epoch. Redis only routes players and events between the owners.
import type { BusTopic, HandoffResult } from "../telemetry/facade.ts";

/** A zone's entry in the directory (a routing hint with a TTL, refreshed by its owner). */
export interface DirectoryEntry {
  readonly zone: string;
  /** Public WebSocket URL. */
  readonly url: string;
  /** host:port of the zone's metrics listener, or null when it has none. */
  readonly metrics: string | null;
  readonly population: number;
  readonly tick_p99_ms: number;
  /** Random id of the process that wrote the entry (only it refreshes it). */
  readonly instance: string;
  /** The store epoch of that process's ownership: a later owner's entry replaces an earlier one's. */
  readonly epoch: number;
  readonly started_at_ms: number;
  readonly at_ms: number;
}

/** What this zone publishes about itself. */
export interface SelfEntry {
  readonly url: string;
  readonly metrics: string | null;
  readonly epoch: number;
  population: number;
  tickP99Ms: number;
}

/** The answer to a seat request: a seat (and the zone's URL) or a refusal reason. */
export type SeatAnswer = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly reason: HandoffResult };

/** What a zone decides about a seat request (capacity and tick budget). */
export type SeatDecision = "ok" | "refused_full" | "refused_budget";

/** A player record in flight between zones (the ticket's payload). */
export interface Arrival {
  readonly sessionId: string;
  readonly from: string;
  /** The player record (store/format.ts encodePlayer) and its format. */
  readonly format: number;
  readonly record: Uint8Array;
  /** Wall clock (ms since epoch) at which the zone it left froze the player. */
  readonly frozenAtMs: number;
  /** W3C traceparent of the zone.handoff span, so zone.admit joins its trace. */
  readonly traceparent: string | null;
}

/** A ticket or why none was issued. */
export type MoveResult = { readonly ok: true; readonly ticket: string } | { readonly ok: false; readonly reason: HandoffResult };

/** A cross-zone event, as drained by the tick. */
export interface BusEvent {
  readonly topic: BusTopic;
  /** Zone that published it. */
  readonly from: string;
  /** Wall clock of publication (ms since epoch). */
  readonly ts: number;
  readonly payload: Readonly<Record<string, string>>;
}

/** Zone coordination as the game sees it; every method is safe while Redis is down. */
export interface ZoneCoordinator {
  readonly kind: "redis";
  /** True while the coordinator is reachable. */
  up(): boolean;
  /**
   * Asks zone `to` for a seat. Resolves within `timeoutMs` (plus a little) with a seat or a
   * refusal (refused_no_zone when it is not in the directory, refused_coord_down when Redis is
   * unreachable, timeout when it did not answer). Never rejects.
   */
  reserveSeat(to: string, sessionId: string, traceparent: string | null, timeoutMs: number): Promise<SeatAnswer>;
  /**
   * Atomically moves the player's location from this zone to `to` and stores its record under a
   * new one-use ticket that lives `ttlMs`. Fails (failed) when the player is not this zone's
   * (another zone owns it), refused_coord_down when Redis cannot be reached. Never rejects.
   */
  movePlayer(to: string, arrival: Arrival, ttlMs: number): Promise<MoveResult>;
  /** Consumes a ticket addressed to this zone: the arriving player, or null (unknown, expired, used, another zone's, or Redis down). Never rejects. */
  admit(ticket: string): Promise<Arrival | null>;
  /** Records that the player lives in this zone now (a fresh join); best effort. */
  registerPlayer(sessionId: string): void;
  /** Forgets the player's location if it is still this zone's (the player left for good); best effort. */
  forgetPlayer(sessionId: string): void;
  /** Publishes an event for the other zones (counted; dropped when Redis is down). */
  publish(topic: BusTopic, payload: Record<string, string>): void;
  /** Calls `fn` for each event from other zones received since the last drain (the tick drains; the queue is bounded). */
  drainEvents(fn: (e: BusEvent) => void): void;
  /** The live zones in the directory (empty while Redis is down). */
  listZones(): Promise<DirectoryEntry[]>;
  /** Stops the loops and closes the connections (the directory entry expires by its TTL). */
  close(): Promise<void>;
}
