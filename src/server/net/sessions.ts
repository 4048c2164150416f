// Sessions: one per connection, one player entity per session. Every frame is rate limited
// (token bucket), decoded and validated here, between ticks; valid commands are copied into
// the player's bounded queues for the intake system. Every rejection is counted by class,
// logged at a limited rate, and answered with an Error frame; abuse that makes continuing
// pointless (a wrong protocol version, repeated garbage, a sustained flood) closes the socket
// with a specific close code. Nothing here touches the world: a bad client can waste only its
// own budget.
import { decodeClientMessage, DecodeErrorCode } from "../../shared/protocol/index.ts";
import type { ClientMessage, DecodeError } from "../../shared/protocol/index.ts";
import { ClientMsg, CloseCode, PROTOCOL_VERSION, RejectReason } from "../../shared/protocol/messages.ts";
import { encodeError, encodePong } from "../../shared/protocol/server-codec.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import { logger, metrics, tracing } from "../telemetry/facade.ts";
import type { ErrorClass } from "../telemetry/facade.ts";
import type { Entity } from "../game/entities.ts";
import { randomHex16 } from "../game/ids.ts";
import type { Game } from "../game/state.ts";
import { InterestState, QuantFrame } from "./interest.ts";
import { encodeZoneScoreboard, SCOREBOARD_MIN_INTERVAL_MS } from "./scoreboard.ts";
import { Session, SessionState } from "./session.ts";
import { sendJoin } from "./snapshot.ts";
import type { ConnId, Transport, TransportHandlers } from "./transport.ts";

const log = logger("net");

/** What the net system needs from the session layer. */
export interface NetPort {
  /** Sessions past their hello, in join order. */
  readonly playing: readonly Session[];
  /** Scratch of every entity's quantised state, refreshed once per tick by the net system. */
  readonly quant: QuantFrame;
  send(s: Session, bytes: Uint8Array, owned: boolean): boolean;
  buffered(s: Session): number;
  closeSession(s: Session, code: number, reason: string): void;
  /** Hello timeouts and expiry of dropped players waiting for a resume. */
  maintain(): void;
  connectedCount(): number;
  detachedCount(): number;
}

/** WebSocket close code of a clean, intentional close by the peer. */
const NORMAL_CLOSURE = 1000;

/** A dropped player kept for resumeGraceMs. */
interface Detached {
  entity: Entity;
  sessionId: string;
  expiresAt: number;
}

const ERROR_REASON: Record<ErrorClass, number> = {
  malformed_frame: RejectReason.MalformedFrame,
  unknown_message: RejectReason.UnknownMessage,
  oversized_frame: RejectReason.OversizedFrame,
  non_finite: RejectReason.NonFinite,
  speed_violation: RejectReason.SpeedViolation,
  fire_rate: RejectReason.FireRate,
  rate_limited: RejectReason.RateLimited,
  bad_version: RejectReason.BadVersion,
  mesh_worker: 0,
  system_panic: 0,
  ingest_rejected: 0,
  bad_path: 0,
};

/** The counted class of a decode rejection. */
export function errorClassOf(e: DecodeError): ErrorClass {
  if (e.code === DecodeErrorCode.NonFinite) return "non_finite";
  if (e.code === DecodeErrorCode.UnknownType) return "unknown_message";
  return "malformed_frame";
}

/** Rate at which the flood score decays, as a fraction of the allowed command rate. */
const FLOOD_DECAY = 1 / 8;
/** Minimum gap between Error notices to one session. */
const NOTICE_MS = 1000;

/** Session registry and the per-frame validation front door. */
export class SessionManager implements TransportHandlers, NetPort {
  private readonly byConn = new Map<ConnId, Session>();
  private readonly detached = new Map<string, Detached>();
  playing: Session[] = [];
  readonly quant: QuantFrame;
  private readonly w = new ByteWriter(256);
  private accepting = true;

  constructor(
    private readonly game: Game,
    private readonly transport: Transport,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.quant = new QuantFrame(game.entities.capacity);
  }

  /** Starts receiving connections. */
  start(): void {
    this.transport.listen(this);
  }

  /** Refuses new players from now on (shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  // ---- TransportHandlers ----

  open(conn: ConnId): void {
    const sessionId = randomHex16();
    const cfg = this.game.config;
    const s = new Session(conn, sessionId, randomHex16(), this.now(), cfg.rateLimitPerSecond, cfg.rateLimitBurst, log.child({ session_id: sessionId }));
    this.byConn.set(conn, s);
    this.game.stats.sessionsOpened++;
    s.log.debug({}, "connection opened");
  }

  message(conn: ConnId, data: Uint8Array): void {
    const s = this.byConn.get(conn);
    if (s === undefined || s.state === SessionState.Closed) return;
    this.game.stats.messagesIn++;
    const now = this.now();
    if (!s.bucket.take(now)) {
      this.flood(s, now, "over rate limit");
      return;
    }
    const r = decodeClientMessage(data);
    if (!r.ok) {
      this.protocolError(s, errorClassOf(r.error), r.error.detail);
      return;
    }
    this.dispatch(s, r.msg, now);
  }

  rejected(conn: ConnId, cls: ErrorClass, detail: string): void {
    const s = this.byConn.get(conn);
    this.game.stats.recordError(cls);
    (s?.log ?? log).warnLimited(`net.${cls}`, { reason: detail }, "frame refused by transport");
    // The WebSocket layer closes the connection itself for oversized or broken frames; a text
    // frame is just one more strike.
    if (s !== undefined && cls === "malformed_frame") this.strike(s);
  }

  close(conn: ConnId, code: number): void {
    const s = this.byConn.get(conn);
    if (s === undefined) return;
    this.byConn.delete(conn);
    this.game.stats.sessionsClosed++;
    const wasPlaying = s.state === SessionState.Playing;
    s.state = SessionState.Closed;
    if (wasPlaying) this.playing = this.playing.filter((p) => p !== s);
    const e = s.entity;
    if (e !== null) {
      // 1000 is a deliberate goodbye (the page closed): nobody will resume, so the player
      // leaves the world now instead of standing there for the grace period.
      if (s.evicted || code === NORMAL_CLOSURE || !this.accepting || this.game.config.resumeGraceMs === 0) {
        this.game.entities.remove(e);
      } else {
        e.control!.connected = false;
        e.control!.inputs.clear();
        e.control!.fires.clear();
        this.detached.set(s.resumeToken, { entity: e, sessionId: s.sessionId, expiresAt: this.now() + this.game.config.resumeGraceMs });
      }
    }
    s.log.debug({ code }, "connection closed");
  }

  // ---- validation ----

  private dispatch(s: Session, msg: ClientMessage, now: number): void {
    if (msg.type === ClientMsg.Hello) {
      this.hello(s, msg.version, msg.resumeToken);
      return;
    }
    if (msg.type === ClientMsg.Ping) {
      const bytes = encodePong(this.w, { clientTime: msg.clientTime, serverTime: Date.now(), tick: this.game.tick });
      this.transport.send(s.conn, bytes, false);
      if (msg.rttMs !== undefined && s.entity?.control) s.entity.control.pingMs = msg.rttMs;
      return;
    }
    const e = s.entity;
    if (s.state !== SessionState.Playing || e === null) {
      this.protocolError(s, "malformed_frame", "command before hello");
      return;
    }
    const c = e.control!;
    if (msg.type === ClientMsg.Scores) {
      if (now - c.lastScoresMs < SCOREBOARD_MIN_INTERVAL_MS) return;
      c.lastScoresMs = now;
      this.transport.send(s.conn, encodeZoneScoreboard(this.game, this.w), false);
      return;
    }
    if (msg.type === ClientMsg.Input) {
      const slot = c.inputs.pushSlot();
      if (slot === null) {
        this.flood(s, now, "input queue full");
        return;
      }
      slot.seq = msg.seq;
      slot.dt = msg.dt;
      slot.forward = msg.forward;
      slot.right = msg.right;
      slot.yaw = msg.yaw;
      slot.pitch = msg.pitch;
      slot.buttons = msg.buttons;
      return;
    }
    const slot = c.fires.pushSlot();
    if (slot === null) {
      this.flood(s, now, "fire queue full");
      return;
    }
    slot.commandId = msg.commandId;
    slot.ox = msg.ox;
    slot.oy = msg.oy;
    slot.oz = msg.oz;
    slot.dx = msg.dx;
    slot.dy = msg.dy;
    slot.dz = msg.dz;
    slot.parent = tracing.extract(msg.traceparent);
  }

  private hello(s: Session, version: number, resumeToken: string | null): void {
    if (s.state !== SessionState.AwaitingHello) {
      this.protocolError(s, "malformed_frame", "duplicate hello");
      return;
    }
    if (version !== PROTOCOL_VERSION) {
      this.game.stats.recordError("bad_version");
      s.log.warnLimited("net.bad_version", { version, expected: PROTOCOL_VERSION }, "hello with unsupported protocol version");
      this.fatal(s, RejectReason.BadVersion, CloseCode.BadVersion, "unsupported protocol version");
      return;
    }
    if (!this.accepting) {
      this.fatal(s, RejectReason.ShuttingDown, CloseCode.GoingAway, "server shutting down");
      return;
    }
    let entity: Entity | null;
    let resumed = false;
    const d = resumeToken !== null ? this.detached.get(resumeToken) : undefined;
    if (d !== undefined && resumeToken !== null && this.game.entities.slots[d.entity.slot] === d.entity) {
      this.detached.delete(resumeToken);
      entity = d.entity;
      entity.control!.connected = true;
      s.sessionId = d.sessionId;
      s.resumeToken = resumeToken;
      s.log = log.child({ session_id: d.sessionId });
      resumed = true;
    } else {
      entity = this.game.spawnPlayer(s.sessionId);
    }
    if (entity === null) {
      s.log.warnLimited("net.full", {}, "zone full; player refused");
      this.fatal(s, RejectReason.ServerFull, CloseCode.ServerFull, "zone full");
      return;
    }
    s.entity = entity;
    s.interest = new InterestState(this.game.entities.capacity);
    s.state = SessionState.Playing;
    this.playing.push(s);
    const bytes = sendJoin(this.game, this.quant, entity, s.interest, { sessionId: s.sessionId, resumeToken: s.resumeToken, resumed }, (b, owned) => {
      this.transport.send(s.conn, b, owned);
    });
    this.game.stats.snapshotBytes += bytes;
    metrics.snapshotBytes(bytes);
    s.log.info({ entity_id: entity.id, resumed, snapshot_bytes: bytes }, "player joined");
  }

  /** Counts a dropped command; a session that keeps flooding is closed. */
  private flood(s: Session, now: number, detail: string): void {
    this.game.stats.recordError("rate_limited");
    const decay = ((now - s.floodAt) * this.game.config.rateLimitPerSecond * FLOOD_DECAY) / 1000;
    s.floodScore = Math.max(0, s.floodScore - decay) + 1;
    s.floodAt = now;
    s.log.warnLimited("net.rate_limited", { reason: detail, score: Math.round(s.floodScore) }, "command dropped by rate limit");
    if (s.floodScore >= this.game.config.floodCloseScore) {
      s.log.warn({ score: Math.round(s.floodScore) }, "closing flooding session");
      this.fatal(s, RejectReason.RateLimited, CloseCode.RateLimited, "rate limited");
      return;
    }
    this.notice(s, RejectReason.RateLimited, now);
  }

  private protocolError(s: Session, cls: ErrorClass, detail: string): void {
    this.game.stats.recordError(cls);
    s.log.warnLimited(`net.${cls}`, { reason: detail }, "frame rejected");
    this.notice(s, ERROR_REASON[cls], this.now());
    this.strike(s);
  }

  private strike(s: Session): void {
    s.strikes++;
    if (s.strikes >= this.game.config.maxProtocolStrikes && s.state !== SessionState.Closed) {
      s.log.warn({ strikes: s.strikes }, "closing session after repeated protocol errors");
      this.fatal(s, RejectReason.MalformedFrame, CloseCode.ProtocolViolation, "protocol violation");
    }
  }

  /** An Error frame, at most one per NOTICE_MS per session (a flood must not be echoed). */
  private notice(s: Session, reason: number, now: number): void {
    if (reason === 0 || now - s.lastNoticeMs < NOTICE_MS) return;
    s.lastNoticeMs = now;
    this.transport.send(s.conn, encodeError(this.w, { reason: reason as RejectReason, commandId: null, fatal: false }), false);
  }

  private fatal(s: Session, reason: RejectReason, code: number, text: string): void {
    this.transport.send(s.conn, encodeError(this.w, { reason, commandId: null, fatal: true }), false);
    this.closeSession(s, code, text);
  }

  // ---- NetPort ----

  send(s: Session, bytes: Uint8Array, owned: boolean): boolean {
    return this.transport.send(s.conn, bytes, owned);
  }

  buffered(s: Session): number {
    return this.transport.buffered(s.conn);
  }

  closeSession(s: Session, code: number, reason: string): void {
    if (s.state === SessionState.Closed) return;
    if (code !== CloseCode.GoingAway) s.evicted = true;
    if (s.state === SessionState.Playing) this.playing = this.playing.filter((p) => p !== s);
    s.state = SessionState.Closed;
    this.transport.close(s.conn, code, reason);
  }

  maintain(): void {
    const now = this.now();
    const timeout = this.game.config.helloTimeoutMs;
    for (const s of this.byConn.values()) {
      if (s.state === SessionState.AwaitingHello && now - s.openedAt > timeout) this.closeSession(s, CloseCode.HelloTimeout, "hello timeout");
    }
    for (const [token, d] of this.detached) {
      if (now < d.expiresAt) continue;
      this.detached.delete(token);
      this.game.entities.remove(d.entity);
      log.debug({ session_id: d.sessionId }, "dropped player removed after resume grace");
    }
  }

  connectedCount(): number {
    return this.byConn.size;
  }

  detachedCount(): number {
    return this.detached.size;
  }

  /** Closes every session (shutdown) and removes their players. */
  async shutdown(): Promise<void> {
    this.accepting = false;
    await this.transport.shutdown(CloseCode.GoingAway, "server shutting down");
    for (const d of this.detached.values()) this.game.entities.remove(d.entity);
    this.detached.clear();
  }
}
