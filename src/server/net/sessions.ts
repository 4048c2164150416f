// Sessions: one per connection, one player entity per session. Every frame is rate limited
// (token bucket), decoded and validated here, between ticks; valid commands are copied into
// the player's bounded queues for the intake system. Every rejection is counted by class,
// logged at a limited rate, and answered with an Error frame; abuse that makes continuing
// pointless (a wrong protocol version, repeated garbage, a sustained flood) closes the socket
// with a specific close code. Nothing here touches the world: a bad client can waste only its
// own budget.
import { decodeClientMessage, DecodeErrorCode } from "../../shared/protocol/index.ts";
import type { ClientMessage, DecodeError, HelloMsg } from "../../shared/protocol/index.ts";
import { ClientMsg, CLIENT_RECONNECT_CLOSE_CODES, CloseCode, PROTOCOL_VERSION, RejectReason } from "../../shared/protocol/messages.ts";
import type { TransferMsg } from "../../shared/protocol/messages.ts";
import { encodeError, encodePong, encodeTransfer } from "../../shared/protocol/server-codec.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import { logger, metrics, tracing } from "../telemetry/facade.ts";
import type { CloseReason, ErrorClass } from "../telemetry/facade.ts";
import type { Entity } from "../game/entities.ts";
import { randomHex16 } from "../game/ids.ts";
import { playerRow, restorePlayer, tokenKey } from "../game/player-records.ts";
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
  /** Bytes `s` may have queued before it is closed as a slow consumer (seconds of its own stream). */
  queueLimit(s: Session): number;
  /** Hello and input-silence deadlines, stream rates, and expiry of dropped players waiting for a resume. */
  maintain(): void;
  connectedCount(): number;
  detachedCount(): number;
}

/** The reason each close code the server sends is counted under (game_net_ws_closes_total). */
const SERVER_CLOSE_REASON: Readonly<Record<number, CloseReason>> = {
  [CloseCode.GoingAway]: "shutdown",
  [CloseCode.TooBig]: "oversized_frame",
  [CloseCode.BadVersion]: "bad_version",
  [CloseCode.ProtocolViolation]: "protocol_violation",
  [CloseCode.HelloTimeout]: "hello_timeout",
  [CloseCode.ServerFull]: "server_full",
  [CloseCode.SlowConsumer]: "slow_consumer",
  [CloseCode.Unresponsive]: "heartbeat_timeout",
  [CloseCode.InputSilence]: "input_silence",
  [CloseCode.RateLimited]: "rate_limited",
  [CloseCode.Transferred]: "transferred",
  [CloseCode.BadTicket]: "bad_ticket",
};

/**
 * Server closes that look like a failing network rather than abuse (a stalled link stops
 * reading, answering pings and sending): the player keeps the resume grace. Every other close
 * the server makes evicts the player.
 */
const NETWORK_STYLE_SERVER_CLOSES: ReadonlySet<number> = new Set([CloseCode.SlowConsumer, CloseCode.Unresponsive, CloseCode.InputSilence]);

/** Closes whose peer reads nothing: the socket is cut at once instead of waiting for a close handshake. */
const ABORTED_CLOSES: ReadonlySet<number> = new Set([CloseCode.SlowConsumer, CloseCode.Unresponsive]);

/** The counted reason of a close made by the client (or by the network for it). */
function peerCloseReason(code: number): CloseReason {
  if (code === 1000 || code === 1005) return "normal";
  if (code === 1001) return "going_away";
  if (code === 1006) return "network";
  return "client_other";
}

/**
 * Client closes that keep the resume grace: going away (1001), no close frame at all (1006, a
 * reset or a dead link) and the client's own reconnect codes. A deliberate goodbye (1000) or
 * any other code ends the player at once.
 */
function keepsResumeGrace(code: number): boolean {
  return code === 1001 || code === 1006 || (code >= CLIENT_RECONNECT_CLOSE_CODES.min && code <= CLIENT_RECONNECT_CLOSE_CODES.max);
}

/** Period over which a session's stream rate is measured, and the weight of each new period. */
const RATE_WINDOW_MS = 1000;
const RATE_SMOOTHING = 0.25;

/** A dropped player kept for resumeGraceMs. */
interface Detached {
  entity: Entity;
  sessionId: string;
  expiresAt: number;
}

/** A player handed to another zone: a hello with its old resume token is sent there again until the ticket expires. */
interface Transferred {
  readonly msg: Omit<TransferMsg, "type">;
  readonly expiresAt: number;
}

/**
 * What the session layer needs from zone coordination (zones/handoff.ts). Without one (the
 * default), a hello with a ticket is refused as a bad ticket.
 */
export interface ZonePort {
  /** Consumes a hand-off ticket addressed to this zone: the arriving player, spawned and placed, or null. Never rejects. */
  admit(ticket: string): Promise<Entity | null>;
  /** A new player joined this zone. */
  joined(e: Entity): void;
  /** A player left this zone for good (not handed off). */
  forgotten(e: Entity): void;
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
function errorClassOf(e: DecodeError): ErrorClass {
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
  /** Players handed to another zone, by their resume token here. */
  private readonly transferred = new Map<string, Transferred>();
  /** Players admitted by ticket whose socket closed before they joined, by ticket (a hello with it takes them). */
  private readonly arrived = new Map<string, Detached>();
  /** Zone coordination (zones/handoff.ts), when the server has it. */
  zones: ZonePort | null = null;
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
    s.lastFrameAt = now;
    if (s.bucket.take(now) > 0) {
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

  rejected(conn: ConnId, cls: ErrorClass, detail: string, closing: boolean): void {
    const s = this.byConn.get(conn);
    this.game.stats.recordError(cls);
    (s?.log ?? log).warnLimited(`net.${cls}`, { reason: detail }, "frame refused by transport");
    if (s === undefined || s.state === SessionState.Closed) return;
    if (closing) {
      // The WebSocket layer is closing the connection itself (1009 for size, 1002 for broken
      // framing): abuse like repeated garbage, so the player is evicted and cannot resume.
      s.evicted = true;
      s.closeReason = cls === "oversized_frame" ? "oversized_frame" : "protocol_violation";
      return;
    }
    // A text frame is just one more strike.
    this.strike(s);
  }

  unresponsive(conn: ConnId): void {
    const s = this.byConn.get(conn);
    if (s === undefined || s.state === SessionState.Closed) return;
    s.log.warnLimited("net.unresponsive", {}, "closing client that stopped answering pings");
    this.closeSession(s, CloseCode.Unresponsive, "heartbeat timeout");
  }

  close(conn: ConnId, code: number): void {
    const s = this.byConn.get(conn);
    if (s === undefined) return;
    this.byConn.delete(conn);
    this.game.stats.sessionsClosed++;
    const reason = s.closeReason ?? peerCloseReason(code);
    this.game.stats.recordClose(reason);
    const wasPlaying = s.state === SessionState.Playing;
    s.state = SessionState.Closed;
    if (wasPlaying) this.playing = this.playing.filter((p) => p !== s);
    const e = s.entity;
    if (e !== null) {
      // Only network-style drops keep the player for a resume: a deliberate goodbye (1000, the
      // page closed) or an abuse close ends it now instead of leaving it standing there.
      const resumable = s.closeReason !== null ? !s.evicted : keepsResumeGrace(code);
      if (!this.accepting) {
        // Shutting down: the record outlives the process, so the player resumes after the restart.
        this.saveRecord(e);
        this.game.entities.remove(e);
      } else if (!resumable || this.game.config.resumeGraceMs === 0) {
        this.forget(e);
      } else {
        e.control!.connected = false;
        e.control!.inputs.clear();
        e.control!.fires.clear();
        this.saveRecord(e);
        this.detached.set(s.resumeToken, { entity: e, sessionId: s.sessionId, expiresAt: this.now() + this.game.config.resumeGraceMs });
      }
    }
    s.log.debug({ code, reason }, "connection closed");
  }

  // ---- validation ----

  private dispatch(s: Session, msg: ClientMessage, now: number): void {
    if (msg.type === ClientMsg.Hello) {
      this.hello(s, msg);
      return;
    }
    if (msg.type === ClientMsg.Ping) {
      const bytes = encodePong(this.w, { clientTime: msg.clientTime, serverTime: Date.now(), tick: this.game.tick });
      this.send(s, bytes, false);
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

  private hello(s: Session, msg: HelloMsg): void {
    const { version, resumeToken } = msg;
    if (s.state !== SessionState.AwaitingHello || s.admitting) {
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
    if (msg.ticket !== null) {
      this.arrive(s, msg, msg.ticket);
      return;
    }
    const moved = resumeToken !== null ? this.transferred.get(resumeToken) : undefined;
    if (moved !== undefined && this.now() < moved.expiresAt) {
      // Handed to another zone while its connection was away: send it there again.
      this.sendTransfer(s, moved.msg);
      return;
    }
    const entity = resumeToken !== null ? this.resume(s, resumeToken) : null;
    const resumed = entity !== null;
    const player = entity ?? this.game.spawnPlayer(s.sessionId);
    if (player === null) {
      s.log.warnLimited("net.full", {}, "zone full; player refused");
      this.fatal(s, RejectReason.ServerFull, CloseCode.ServerFull, "zone full");
      return;
    }
    if (!resumed) this.zones?.joined(player);
    this.join(s, player, resumed, msg);
  }

  /**
   * A hello with a hand-off ticket: the player arrives from another zone. The ticket is checked
   * (and used up) by the coordinator; a player admitted while its socket closed waits here
   * under the ticket for the resume grace, so a retried hello with the same ticket takes it.
   */
  private arrive(s: Session, hello: HelloMsg, ticket: string): void {
    const waiting = this.arrived.get(ticket);
    if (waiting !== undefined && this.game.entities.slots[waiting.entity.slot] === waiting.entity) {
      this.arrived.delete(ticket);
      waiting.entity.control!.connected = true;
      this.adopt(s, waiting.sessionId, s.resumeToken);
      this.join(s, waiting.entity, true, hello);
      return;
    }
    if (this.zones === null) {
      this.game.stats.recordError("malformed_frame");
      this.fatal(s, RejectReason.MalformedFrame, CloseCode.BadTicket, "no hand-off here");
      return;
    }
    s.admitting = true;
    void this.zones.admit(ticket).then((e) => {
      s.admitting = false;
      if (e === null) {
        s.log.warnLimited("net.bad_ticket", {}, "hello with an unknown, expired or used hand-off ticket");
        if (s.state !== SessionState.Closed) this.fatal(s, RejectReason.MalformedFrame, CloseCode.BadTicket, "bad ticket");
        return;
      }
      const sessionId = e.control!.sessionId;
      if (s.state !== SessionState.AwaitingHello || !this.accepting) {
        e.control!.connected = false;
        this.arrived.set(ticket, { entity: e, sessionId, expiresAt: this.now() + this.game.config.resumeGraceMs });
        return;
      }
      this.adopt(s, sessionId, s.resumeToken);
      this.join(s, e, true, hello);
    }).catch((err: unknown) => {
      s.admitting = false;
      s.log.error({ error: err instanceof Error ? err.message : String(err) }, "admitting a player from another zone failed");
      if (s.state !== SessionState.Closed) this.fatal(s, RejectReason.MalformedFrame, CloseCode.BadTicket, "admission failed");
    });
  }

  /**
   * Hands player `e` to another zone: it leaves this one now (its saved record goes too), its
   * client is sent the Transfer and closed (4009), and a later hello with its resume token is
   * sent the same Transfer until `ttlMs` passes. A player whose connection is away (waiting for
   * a resume) is moved all the same: the closed socket never cancels a hand-off.
   */
  transfer(e: Entity, msg: Omit<TransferMsg, "type">, ttlMs: number): void {
    const expiresAt = this.now() + ttlMs;
    const key = e.control?.tokenKey;
    if (key != null) this.game.writer.queuePlayers([], [key]);
    this.game.entities.remove(e);
    for (const [token, d] of this.detached) {
      if (d.entity !== e) continue;
      this.detached.delete(token);
      this.transferred.set(token, { msg, expiresAt });
    }
    const s = this.playing.find((p) => p.entity === e);
    if (s === undefined) return;
    s.entity = null;
    this.transferred.set(s.resumeToken, { msg, expiresAt });
    this.sendTransfer(s, msg);
  }

  private sendTransfer(s: Session, msg: Omit<TransferMsg, "type">): void {
    this.send(s, encodeTransfer(this.w, msg), false);
    s.log.info({ to_zone: msg.zone }, "player handed to the next zone");
    this.closeSession(s, CloseCode.Transferred, "transferred");
  }

  /**
   * The player `resumeToken` belongs to: one dropped a moment ago and still waiting in this
   * process, or one saved by the store before a restart (spawned again where it was). Null when
   * the token matches neither (or the zone is full); the session then joins as a new player.
   */
  private resume(s: Session, resumeToken: string): Entity | null {
    const d = this.detached.get(resumeToken);
    if (d !== undefined && this.game.entities.slots[d.entity.slot] === d.entity) {
      this.detached.delete(resumeToken);
      d.entity.control!.connected = true;
      this.adopt(s, d.sessionId, resumeToken);
      return d.entity;
    }
    const key = tokenKey(resumeToken);
    const rec = this.game.savedPlayers.take(key);
    if (rec === undefined) return null;
    const e = this.game.spawnPlayer(rec.sessionId);
    if (e === null) return null;
    restorePlayer(e, rec, this.game.timeMs);
    e.control!.tokenKey = key;
    this.adopt(s, rec.sessionId, resumeToken);
    s.log.info({ entity_id: e.id }, "player resumed from its saved record");
    return e;
  }

  /** The session takes over an earlier session's identity. */
  private adopt(s: Session, sessionId: string, resumeToken: string): void {
    s.sessionId = sessionId;
    s.resumeToken = resumeToken;
    s.log = log.child({ session_id: sessionId });
  }

  private join(s: Session, entity: Entity, resumed: boolean, hello: HelloMsg): void {
    const c = entity.control!;
    c.tokenKey ??= tokenKey(s.resumeToken);
    s.entity = entity;
    s.interest = new InterestState(this.game.entities.capacity);
    s.state = SessionState.Playing;
    this.playing.push(s);
    const info = { sessionId: s.sessionId, resumeToken: s.resumeToken, resumed, logBase: hello.logBase, lastSeq: hello.lastSeq };
    const bytes = sendJoin(this.game, this.quant, entity, s.interest, info, (b, owned) => {
      this.send(s, b, owned);
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
    this.send(s, encodeError(this.w, { reason: reason as RejectReason, commandId: null, fatal: false }), false);
  }

  private fatal(s: Session, reason: RejectReason, code: number, text: string): void {
    this.send(s, encodeError(this.w, { reason, commandId: null, fatal: true }), false);
    this.closeSession(s, code, text);
  }

  // ---- NetPort ----

  send(s: Session, bytes: Uint8Array, owned: boolean): boolean {
    if (!this.transport.send(s.conn, bytes, owned)) return false;
    s.sentBytes += bytes.length;
    return true;
  }

  buffered(s: Session): number {
    return this.transport.buffered(s.conn);
  }

  queueLimit(s: Session): number {
    const cfg = this.game.config;
    // Bytes handed over in the current window count as at least a second of stream, so the
    // join snapshot that just went out is not mistaken for a backlog.
    const bytesPerSecond = Math.max(s.streamBps, s.sentBytes);
    return Math.min(cfg.sendQueueCeilingBytes, Math.max(cfg.sendQueueFloorBytes, bytesPerSecond * cfg.sendQueueSeconds));
  }

  closeSession(s: Session, code: number, reason: string): void {
    if (s.state === SessionState.Closed) return;
    s.closeReason = SERVER_CLOSE_REASON[code] ?? "client_other";
    s.evicted = !NETWORK_STYLE_SERVER_CLOSES.has(code);
    if (s.state === SessionState.Playing) this.playing = this.playing.filter((p) => p !== s);
    s.state = SessionState.Closed;
    this.transport.close(s.conn, code, reason, ABORTED_CLOSES.has(code));
  }

  maintain(): void {
    const now = this.now();
    const cfg = this.game.config;
    for (const s of this.byConn.values()) {
      if (s.state === SessionState.AwaitingHello) {
        if (now - s.openedAt > cfg.helloTimeoutMs) this.closeSession(s, CloseCode.HelloTimeout, "hello timeout");
        continue;
      }
      if (s.state !== SessionState.Playing) continue;
      if (now - s.lastFrameAt > cfg.inputSilenceMs) {
        s.log.warnLimited("net.input_silence", { silent_ms: Math.round(now - s.lastFrameAt) }, "closing client that sent nothing");
        this.closeSession(s, CloseCode.InputSilence, "no input");
        continue;
      }
      if (now - s.rateAt >= RATE_WINDOW_MS) {
        const bps = (s.sentBytes * 1000) / (now - s.rateAt);
        s.streamBps = s.streamBps === 0 ? bps : s.streamBps + (bps - s.streamBps) * RATE_SMOOTHING;
        s.sentBytes = 0;
        s.rateAt = now;
      }
    }
    for (const [token, d] of this.detached) {
      if (now < d.expiresAt) continue;
      this.detached.delete(token);
      this.forget(d.entity);
      log.debug({ session_id: d.sessionId }, "dropped player removed after resume grace");
    }
    for (const [ticket, d] of this.arrived) {
      if (now < d.expiresAt) continue;
      this.arrived.delete(ticket);
      this.forget(d.entity);
    }
    for (const [token, t] of this.transferred) if (now >= t.expiresAt) this.transferred.delete(token);
  }

  connectedCount(): number {
    return this.byConn.size;
  }

  detachedCount(): number {
    return this.detached.size;
  }

  /** Closes every session (shutdown) and removes their players, whose records are saved for after the restart. */
  async shutdown(): Promise<void> {
    this.accepting = false;
    await this.transport.shutdown(CloseCode.GoingAway, "server shutting down");
    for (const d of this.detached.values()) {
      this.saveRecord(d.entity);
      this.game.entities.remove(d.entity);
    }
    this.detached.clear();
  }

  /** Queues the player's record for saving (it can resume from it, even after a restart). */
  private saveRecord(e: Entity): void {
    const key = e.control?.tokenKey;
    if (key != null) this.game.writer.queuePlayers([playerRow(e, key, this.game.timeMs, Date.now())], []);
  }

  /** Removes a player for good: its entity and its saved record. */
  private forget(e: Entity): void {
    const key = e.control?.tokenKey;
    if (key != null) this.game.writer.queuePlayers([], [key]);
    this.game.entities.remove(e);
    this.zones?.forgotten(e);
  }
}
