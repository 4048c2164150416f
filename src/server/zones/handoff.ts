// Hand-offs between zones, on the zone's side (the coordinator does the Redis part):
//   1. A player who keeps pushing across a linked edge for handoffPushMs is frozen here.
//   2. The next zone is asked for a seat (capacity and its own tick budget), within handoffTimeoutMs.
//   3. One atomic compare-and-set moves the player record to the next zone under a ticket.
//   4. The client is sent a Transfer (url, ticket, zone) and this zone lets the player go.
//   5. The next zone admits only that ticket, once (admit below), and places the player just
//      inside its opposite edge, with a cooldown before it can be handed off again.
// A refused or timed-out hand-off leaves the player here, pushed back from the edge; there is
// no "do it locally" fallback. The same session_id follows the player, so logs correlate, and
// zone.handoff here and zone.admit there are one trace (the traceparent rides in the seat
// request and the ticket).
import { CALLSIGN_MAX, EntityKind } from "../../shared/protocol/messages.ts";
import type { Team } from "../../shared/protocol/messages.ts";
import { encodeDown } from "../../shared/protocol/server-codec.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import { formatTraceparent } from "../../shared/telemetry/trace-context.ts";
import { nearestRank } from "../../shared/telemetry/percentiles.ts";
import type { ServerConfig } from "../config.ts";
import type { Entity } from "../game/entities.ts";
import { encodeRecord, playerRecord, restorePlayer } from "../game/player-records.ts";
import type { Game } from "../game/state.ts";
import type { SessionManager, ZonePort } from "../net/sessions.ts";
import { decodePlayer } from "../store/format.ts";
import type { PlayerRecord } from "../store/format.ts";
import { logger, metrics, SPAN_NAMES, tracing } from "../telemetry/facade.ts";
import type { HandoffResult, SpanHandle } from "../telemetry/facade.ts";
import type { BusEvent, SeatDecision, SelfEntry, ZoneCoordinator } from "./coordinator.ts";
import { arrivalPoint, pushBack } from "./edges.ts";
import type { Edge, ZoneLinks } from "./spec.ts";

const log = logger("zone");

/** After a refused hand-off, the player may try again after this long (ms of simulated time). */
const RETRY_AFTER_REFUSAL_MS = 1000;
/** The zone's tick p99 (for the directory and seat decisions) is recomputed this often (ms). */
const STATS_EVERY_MS = 1000;

/** One finished hand-off attempt by this zone (kept for /debug and tests; bounded). */
export interface HandoffAttempt {
  readonly sessionId: string;
  readonly to: string;
  readonly result: HandoffResult;
  /** From the freeze to the result (ms). */
  readonly ms: number;
}

/** Attempts kept in `attempts`. */
const ATTEMPTS_KEPT = 256;

/** The zone's side of hand-offs; see the file comment. Installed as the session layer's ZonePort. */
export class ZoneHandoffs implements ZonePort {
  /** The latest hand-off attempts from this zone, oldest first (at most ATTEMPTS_KEPT). */
  readonly attempts: HandoffAttempt[] = [];
  /** Players admitted here by ticket. */
  admitted = 0;
  /** Kill-feed lines received from other zones and broadcast here. */
  killFeedIn = 0;
  private readonly writer = new ByteWriter(128);
  /** Seats promised to players on their way here: session id -> wall-clock expiry. */
  private readonly reserved = new Map<string, number>();
  private statsAt = 0;
  private tickP99Ms = 0;
  /** The WebSocket origins (ws(s)://host:port) of every zone in the directory, this one included; refreshed every second. */
  origins: readonly string[] = [];
  private listing = false;
  /** Players in this zone now, by zone, from the other zones' population events. */
  readonly populations = new Map<string, number>();

  constructor(
    private readonly game: Game,
    private readonly sessions: SessionManager,
    readonly coord: ZoneCoordinator,
    private readonly links: ZoneLinks,
    private readonly self: SelfEntry,
    private readonly config: ServerConfig,
  ) {
    sessions.zones = this;
    game.downFeed = [];
  }

  /**
   * Once per tick, before the systems: delivers the cross-zone events that arrived since the
   * last tick, so this tick's net system sends them (after the systems they would wait a tick).
   */
  beforeTick(): void {
    this.coord.drainEvents((ev) => this.onEvent(ev));
  }

  /** Once per tick, after the systems: starts due hand-offs, publishes this tick's downs, refreshes the zone's figures. */
  afterTick(): void {
    const cfg = this.config;
    for (const s of this.sessions.playing) {
      const e = s.entity;
      const c = e?.control;
      if (e == null || c == null || c.frozen || c.pushEdge === null || c.pushMs < cfg.handoffPushMs) continue;
      if (this.game.timeMs < c.handoffAfterMs) continue;
      const to = this.links[c.pushEdge];
      if (to === undefined) continue;
      void this.handOff(e, c.pushEdge, to);
    }
    const downs = this.game.downFeed;
    if (downs !== null && downs.length > 0) {
      for (const d of downs) {
        this.coord.publish("kill_feed", {
          shooter: d.shooterCallsign, shooter_kind: String(d.shooterKind), shooter_team: String(d.shooterTeam),
          target: d.targetCallsign, target_kind: String(d.targetKind), target_team: String(d.targetTeam),
        });
      }
      downs.length = 0;
    }
    const now = performance.now();
    if (now - this.statsAt >= STATS_EVERY_MS) {
      this.statsAt = now;
      const ticks = this.game.tickStats.values();
      this.tickP99Ms = ticks.length > 0 ? nearestRank(ticks.sort((a, b) => a - b), 99) : 0;
      this.self.tickP99Ms = this.tickP99Ms;
      this.self.population = this.sessions.playing.length;
      this.refreshOrigins();
    }
  }

  /** Re-reads the zones' origins from the directory (one read at a time; kept as they were while Redis is down). */
  private refreshOrigins(): void {
    if (this.listing || !this.coord.up()) return;
    this.listing = true;
    void this.coord.listZones().then((entries) => {
      this.listing = false;
      // An empty answer is Redis failing mid-read: keep what was known.
      if (entries.length === 0 && this.origins.length > 0) return;
      const out = new Set<string>([originOf(this.self.url)]);
      for (const e of entries) out.add(originOf(e.url));
      out.delete("");
      this.origins = [...out].sort();
    });
  }

  /** Decides another zone's seat request for player `sessionId`: a free seat (held for the ticket's life) within the tick budget. */
  seatRequest(from: string, sessionId: string): SeatDecision {
    const now = Date.now();
    for (const [sid, until] of this.reserved) if (until <= now) this.reserved.delete(sid);
    const budgetMs = 1000 / this.config.tickHz;
    if (this.tickP99Ms > budgetMs) return "refused_budget";
    if (this.sessions.playing.length + this.reserved.size >= this.config.maxPlayers) return "refused_full";
    this.reserved.set(sessionId, now + this.config.handoffTicketTtlMs);
    log.debug({ session_id: sessionId, from_zone: from }, "seat reserved for an arriving player");
    return "ok";
  }

  async admit(ticket: string): Promise<Entity | null> {
    const arrival = await this.coord.admit(ticket);
    if (arrival === null) {
      metrics.zoneAdmit("bad_ticket");
      return null;
    }
    const fields = { zone: this.config.zone, shard: this.config.shard, session_id: arrival.sessionId, from_zone: arrival.from };
    return tracing.withSpan(SPAN_NAMES.zoneAdmit, fields, (span) => {
      this.reserved.delete(arrival.sessionId);
      let rec: PlayerRecord;
      try {
        rec = decodePlayer(arrival.format, arrival.record);
      } catch (err) {
        // A record this build cannot read (a newer format from a zone running a newer build).
        log.error({ session_id: arrival.sessionId, error: err instanceof Error ? err.message : String(err) }, "arriving player's record unreadable");
        metrics.zoneAdmit("bad_ticket");
        span.setAttributes({ result: "unreadable" });
        return null;
      }
      const e = this.game.spawnPlayer(rec.sessionId);
      if (e === null) {
        // The seat was promised, so this is a bug or an over-full zone: the player is lost here; say so loudly.
        log.error({ session_id: arrival.sessionId }, "arriving player could not be spawned: zone full despite its seat");
        metrics.zoneAdmit("bad_ticket");
        span.setAttributes({ result: "full" });
        return null;
      }
      restorePlayer(e, rec, this.game.timeMs);
      // Zones share one size; should a neighbour's differ, the arrival is kept inside this world.
      const w = this.game.world;
      e.move.x = Math.min(Math.max(e.move.x, 1), w.maxX - 1);
      e.move.z = Math.min(Math.max(e.move.z, 1), w.maxZ - 1);
      e.move.y = Math.max(e.move.y, this.game.groundY(e.move.x, e.move.z));
      e.lastX = e.move.x;
      e.lastZ = e.move.z;
      const c = e.control!;
      c.handoffAfterMs = this.game.timeMs + this.config.handoffCooldownMs;
      const seconds = Math.max(0, Date.now() - arrival.frozenAtMs) / 1000;
      metrics.zoneHandoffDuration(seconds);
      metrics.zoneAdmit("ok");
      this.admitted++;
      span.setAttributes({ result: "ok", handoff_ms: Math.round(seconds * 1000) });
      log.info({ session_id: arrival.sessionId, from_zone: arrival.from, handoff_ms: Math.round(seconds * 1000) }, "player arrived from another zone");
      return e;
    }, tracing.extract(arrival.traceparent));
  }

  joined(e: Entity): void {
    this.coord.registerPlayer(e.control!.sessionId);
  }

  forgotten(e: Entity): void {
    if (e.control != null) this.coord.forgetPlayer(e.control.sessionId);
  }

  /** Steps 1-4 of the file comment for one player. Never rejects. */
  private async handOff(e: Entity, edge: Edge, to: string): Promise<void> {
    const c = e.control!;
    c.frozen = true;
    c.pushMs = 0;
    const frozenAtMs = Date.now();
    const sessionId = c.sessionId;
    const span = tracing.startSpan(SPAN_NAMES.zoneHandoff, { zone: this.config.zone, shard: this.config.shard, session_id: sessionId, to_zone: to, edge });
    const ctx = span.context();
    const traceparent = ctx === undefined ? null : formatTraceparent(ctx);
    try {
      const seat = await this.coord.reserveSeat(to, sessionId, traceparent, this.config.handoffTimeoutMs);
      if (!this.alive(e)) return this.finish(span, "failed", sessionId, to, frozenAtMs);
      if (!seat.ok) return this.refuse(e, edge, seat.reason, span, to, frozenAtMs);
      const rec = playerRecord(e, this.game.timeMs);
      const p = arrivalPoint(edge, rec.x, rec.z, this.game.world.maxX, this.game.world.maxZ);
      const { format, data } = encodeRecord({ ...rec, x: p.x, z: p.z, vx: 0, vy: 0, vz: 0 });
      const moved = await this.coord.movePlayer(to, { sessionId, from: this.config.zone, format, record: data.slice(), frozenAtMs, traceparent }, this.config.handoffTicketTtlMs);
      if (!this.alive(e)) return this.finish(span, "failed", sessionId, to, frozenAtMs);
      if (!moved.ok) return this.refuse(e, edge, moved.reason, span, to, frozenAtMs);
      this.sessions.transfer(e, { url: seat.url, ticket: moved.ticket, zone: to }, this.config.handoffTicketTtlMs);
      this.finish(span, "ok", sessionId, to, frozenAtMs);
    } catch (err) {
      span.recordError(err);
      if (this.alive(e)) this.refuse(e, edge, "failed", span, to, frozenAtMs);
      else this.finish(span, "failed", sessionId, to, frozenAtMs);
    }
  }

  /** The player stays: unfrozen, pushed back from the edge, and not tried again for a moment. */
  private refuse(e: Entity, edge: Edge, reason: HandoffResult, span: SpanHandle, to: string, frozenAtMs: number): void {
    const c = e.control!;
    const p = pushBack(edge, e.move.x, e.move.z, this.game.world.maxX, this.game.world.maxZ);
    e.move.x = p.x;
    e.move.z = p.z;
    e.move.vx = 0;
    e.move.vz = 0;
    c.frozen = false;
    c.pushMs = 0;
    c.handoffAfterMs = this.game.timeMs + RETRY_AFTER_REFUSAL_MS;
    this.finish(span, reason, c.sessionId, to, frozenAtMs);
  }

  private finish(span: SpanHandle, result: HandoffResult, sessionId: string, to: string, frozenAtMs: number): void {
    metrics.zoneHandoff(result);
    if (this.attempts.length >= ATTEMPTS_KEPT) this.attempts.shift();
    this.attempts.push({ sessionId, to, result, ms: Date.now() - frozenAtMs });
    span.setAttributes({ result });
    span.end();
    if (result !== "ok") log.warnLimited(`zone.handoff.${result}`, { session_id: sessionId, to_zone: to, result }, "hand-off refused; the player stays");
  }

  /** True while `e` is still this zone's live player. */
  private alive(e: Entity): boolean {
    return this.game.entities.slots[e.slot] === e && e.control !== null;
  }

  /** A cross-zone event: populations are kept; another zone's downs go to this zone's kill feed (entity ids 0: not here). */
  private onEvent(ev: BusEvent): void {
    if (ev.topic === "population") {
      const n = Number(ev.payload.population);
      if (Number.isFinite(n)) this.populations.set(ev.from, n);
    } else if (ev.topic === "kill_feed") {
      const p = ev.payload;
      const kind = (v: string | undefined): EntityKind => (v === String(EntityKind.Npc) ? EntityKind.Npc : EntityKind.Player);
      const team = (v: string | undefined): Team => (v === "1" ? 1 : v === "2" ? 2 : 0);
      // Encoded before the tick that sends it (beforeTick): stamped with that tick.
      this.game.outbox.broadcasts.push(encodeDown(this.writer, {
        tick: this.game.tick + 1, shooterId: 0, shooterKind: kind(p.shooter_kind), shooterTeam: team(p.shooter_team), shooterCallsign: callsign(p.shooter),
        targetId: 0, targetKind: kind(p.target_kind), targetTeam: team(p.target_team), targetCallsign: callsign(p.target),
      }).slice());
      this.killFeedIn++;
    }
  }
}

/** A callsign from another zone's event, as printable ASCII of at most CALLSIGN_MAX chars. */
function callsign(v: string | undefined): string {
  return (v ?? "").replace(/[^\x20-\x7e]/g, "").slice(0, CALLSIGN_MAX);
}

/** ws(s)://host:port of a WebSocket URL, or "" when it is not one. */
function originOf(url: string): string {
  try {
    const u = new URL(url);
    return u.protocol === "ws:" || u.protocol === "wss:" ? `${u.protocol}//${u.host}` : "";
  } catch {
    return "";
  }
}
