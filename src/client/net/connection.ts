// The client's game connection: one socket at a time to /ws, the hello handshake (with the
// resume token of the previous welcome, so a dropped player gets their entity back), frame
// decoding through the shared codec, byte counters and ping/pong RTT, a watchdog for silent
// sockets, and reconnection with exponential backoff and jitter. It knows nothing about the
// game: decoded messages go to one listener, which rebuilds its state from each new join
// snapshot.
import {
  ByteWriter,
  CloseCode,
  encodeFire,
  encodeHello,
  encodeInput,
  encodePing,
  encodeScores,
  PROTOCOL_VERSION,
  RejectReason,
  ServerDecoder,
  ServerMsg,
} from "../../shared/protocol/index.ts";
import type { BatchMsg, FireMsg, InputMsg, ServerMessage, TransferMsg, WelcomeMsg } from "../../shared/protocol/index.ts";
import { backoffDelay } from "../../shared/backoff.ts";
import type { BackoffPolicy } from "../../shared/backoff.ts";
import type { NetTransport, TransportEvents, TransportFactory } from "./transport.ts";

/** A decoded server message (batches are unpacked before the listener sees them). */
export type ServerEvent = Exclude<ServerMessage, BatchMsg>;

/** Where the connection is. */
export const NetStatus = {
  /** First attempt: the socket is not open yet. */
  Connecting: "connecting",
  /** Socket open, hello sent, the join snapshot has not completed yet. */
  Joining: "joining",
  /** Joined: commands are sent, deltas and events arrive. */
  Playing: "playing",
  /** Dropped: waiting for the next attempt, or connecting again. */
  Reconnecting: "reconnecting",
  /** Handed to the next zone: connecting there with the hand-off ticket until its join completes. */
  Transferring: "transferring",
  /** The server refused this client for good (protocol version): a reload is needed. */
  Failed: "failed",
  /** Closed by the page. */
  Closed: "closed",
} as const;
export type NetStatus = (typeof NetStatus)[keyof typeof NetStatus];

/** Close codes this client sends (4000-4999 are application codes). */
export const ClientCloseCode = {
  Normal: 1000,
  /** A server frame failed to decode: state may be out of step, so rejoin from a snapshot. */
  BadFrame: 4400,
  /** Nothing arrived for CONNECTION.silenceMs: the socket is presumed dead. */
  Silent: 4408,
  /** The join did not complete within CONNECTION.joinTimeoutMs. */
  JoinTimeout: 4409,
  /** simulateDrop(): a test or debug tool cut the connection. */
  Simulated: 4499,
} as const;

/** Timing of the connection (ms). */
export const CONNECTION = {
  /** Housekeeping period: pings, the join timeout and the silence watchdog are checked this often. */
  heartbeatMs: 500,
  pingIntervalMs: 2000,
  /** The server sends self state at least once a second and pongs every ping, so this long without a frame means a dead socket. */
  silenceMs: 8000,
  joinTimeoutMs: 15_000,
} as const;

/** Reconnect schedule: 250 ms doubling to 10 s, each delay jittered down by up to half. */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 250, factor: 2, maxMs: 10_000, jitter: 0.5 };

/**
 * Network figures, mutated in place (telemetry and the dev overlay read them). Byte counts are
 * WebSocket payload bytes since the page started, across reconnects.
 */
export interface NetStats {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  /** Latest ping round trip, ms (NaN before the first pong). */
  rttMs: number;
  /** The server's mean tick duration over its last stats window, ms (NaN before the first report). */
  serverTickMs: number;
  serverTickMaxMs: number;
  /** Server frames that failed to decode (each one forces a rejoin). */
  decodeErrors: number;
  /** Connections lost after a join (each followed by reconnection attempts). */
  drops: number;
  /** Joins completed, the first one included. */
  joins: number;
  /** Non-fatal rejections the server reported (fire rate, speed, rate limit). */
  rejections: number;
  /** Hand-offs to another zone completed (Transfer followed by a join there). */
  transfers: number;
  /** The last hand-off as this client saw it: Transfer received to the first snapshot of the next zone, ms (NaN before any). */
  lastTransferMs: number;
  /** Hand-off tickets the next zone refused (the client then joins it as a new player). */
  badTickets: number;
}

/** Receives everything the connection learns. */
export interface ConnectionListener {
  /** A decoded message, valid only during the call (snapshot and delta objects are reused). */
  message(m: ServerEvent): void;
  /** The status changed (read attempt/retryAt from the connection). */
  status(status: NetStatus): void;
  /**
   * The server edit log this client's world follows and the last edit applied, sent in the
   * hello so a rejoin carries only what was missed (absent or logBase 0: no world yet).
   */
  worldPosition?(): { logBase: number; lastSeq: number };
}

/** Clock and timers, injectable for tests. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How to connect. */
export interface ConnectionOptions {
  readonly url: string;
  readonly transport: TransportFactory;
  /** Defaults to performance.now() and the global timers. */
  readonly timers?: Timers;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Protocol version the hello announces (default PROTOCOL_VERSION; tests of the server's version check use others). */
  readonly protocolVersion?: number;
  /** Resume token of the first hello (default none: a fresh player; tests of the server's resume check set one). */
  readonly resumeToken?: string;
  /** Hand-off ticket of the first hello (tests of the server's ticket check). */
  readonly ticket?: string;
}

const browserTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The game connection. Create, then start(listener). */
export class Connection {
  readonly stats: NetStats = {
    bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, rttMs: Number.NaN, serverTickMs: Number.NaN, serverTickMaxMs: Number.NaN,
    decodeErrors: 0, drops: 0, joins: 0, rejections: 0, transfers: 0, lastTransferMs: Number.NaN, badTickets: 0,
  };
  /** The zone this connection is in, or heading to (from the welcome, or the last Transfer). */
  zone = "";
  /** The latest welcome (identity, tick rate, world and weapon parameters), null before the first. */
  welcome: WelcomeMsg | null = null;
  /** Consecutive failed attempts since the last successful join. */
  attempt = 0;
  /** When the next attempt starts (timers.now() ms), NaN unless waiting to reconnect. */
  retryAt = Number.NaN;
  /** Close code of the last lost socket (0 before any). */
  lastCloseCode = 0;

  private state: NetStatus = NetStatus.Closed;
  private listener: ConnectionListener | null = null;
  private transport: NetTransport | null = null;
  /** Bumped per socket: events of an abandoned socket are ignored. */
  private generation = 0;
  private resumeToken: string | null = null;
  /** Where the next attempt connects: the page's server, or the zone a Transfer named. */
  private url: string;
  /** A hand-off ticket for the next hello (until a welcome shows it was used). */
  private ticket: string | null;
  /** timers.now() when the pending Transfer arrived (NaN when none is pending). */
  private transferAt = Number.NaN;
  private readonly writer = new ByteWriter(256);
  private readonly decoder = new ServerDecoder();
  private readonly timers: Timers;
  private readonly random: () => number;
  private heartbeat: unknown = null;
  private retryTimer: unknown = null;
  private attemptStartedAt = 0;
  private lastRxAt = 0;
  private lastPingAt = 0;
  /** simulateDrop(): no reconnect before this time. */
  private holdUntil = 0;
  private failed = false;
  private closedByPage = false;
  private readonly ping = { clientTime: 0, rttMs: Number.NaN };

  constructor(private readonly options: ConnectionOptions) {
    this.timers = options.timers ?? browserTimers;
    this.random = options.random ?? Math.random;
    this.resumeToken = options.resumeToken ?? null;
    this.url = options.url;
    this.ticket = options.ticket ?? null;
  }

  /** The URL the current or next attempt connects to. */
  get currentUrl(): string {
    return this.url;
  }

  /** Current status. */
  get status(): NetStatus {
    return this.state;
  }

  /** Connects and keeps reconnecting until close() or a fatal refusal. */
  start(listener: ConnectionListener): void {
    if (this.listener !== null) throw new Error("connection already started");
    this.listener = listener;
    this.open();
  }

  /** Sends one movement input; false (and nothing sent) unless joined. */
  sendInput(m: Omit<InputMsg, "type">): boolean {
    if (this.state !== NetStatus.Playing) return false;
    this.send(encodeInput(this.writer, m));
    return true;
  }

  /** Sends a fire command; false (and nothing sent) unless joined. */
  sendFire(m: Omit<FireMsg, "type">): boolean {
    if (this.state !== NetStatus.Playing) return false;
    this.send(encodeFire(this.writer, m));
    return true;
  }

  /** Asks for the scoreboard; false (and nothing sent) unless joined. */
  sendScores(): boolean {
    if (this.state !== NetStatus.Playing) return false;
    this.send(encodeScores(this.writer));
    return true;
  }

  /** Closes for good (page teardown): no reconnect. */
  close(): void {
    this.closedByPage = true;
    this.clearRetry();
    if (this.transport !== null) this.drop(ClientCloseCode.Normal, "bye");
    else this.setStatus(NetStatus.Closed);
  }

  /**
   * Cuts the socket as a network failure would and reconnects through the normal backoff path,
   * not before `outageMs` have passed. For tests and debugging of the rejoin path.
   */
  simulateDrop(outageMs = 0): void {
    if (this.transport === null) return;
    this.holdUntil = this.timers.now() + Math.max(0, outageMs);
    this.drop(ClientCloseCode.Simulated, "simulated drop");
  }

  private open(): void {
    this.retryTimer = null;
    this.retryAt = Number.NaN;
    const gen = ++this.generation;
    const now = this.timers.now();
    this.attemptStartedAt = now;
    this.lastRxAt = now;
    const transferring = Number.isFinite(this.transferAt);
    this.setStatus(transferring ? NetStatus.Transferring : this.stats.joins === 0 && this.attempt === 0 ? NetStatus.Connecting : NetStatus.Reconnecting);
    const events: TransportEvents = {
      open: () => {
        if (gen === this.generation) this.onOpen();
      },
      message: (bytes) => {
        if (gen === this.generation) this.onFrame(bytes);
      },
      invalid: () => {
        if (gen === this.generation) this.onBadFrame();
      },
      close: (code) => {
        if (gen === this.generation) this.onClosed(code);
      },
    };
    try {
      this.transport = this.options.transport(this.url, events);
    } catch {
      // A socket that cannot even be created (a malformed URL, a blocked port) is one more
      // failed attempt, retried on the same schedule.
      this.onClosed(1006);
      return;
    }
    this.startHeartbeat();
  }

  private onOpen(): void {
    const at = this.listener?.worldPosition?.();
    const version = this.options.protocolVersion ?? PROTOCOL_VERSION;
    this.send(encodeHello(this.writer, { version, resumeToken: this.resumeToken, logBase: at?.logBase ?? 0, lastSeq: at?.lastSeq ?? 0, ticket: this.ticket }));
    if (!Number.isFinite(this.transferAt)) this.setStatus(NetStatus.Joining);
  }

  private onFrame(bytes: Uint8Array): void {
    const s = this.stats;
    s.bytesIn += bytes.length;
    s.framesIn++;
    this.lastRxAt = this.timers.now();
    if (this.decoder.decodeFrame(bytes, this.onMessage) !== null) this.onBadFrame();
  }

  private onBadFrame(): void {
    this.stats.decodeErrors++;
    // Deltas are relative to what was received before: after a lost message the mirror
    // cannot be trusted, so start over from a fresh join snapshot.
    if (this.transport !== null) this.drop(ClientCloseCode.BadFrame, "undecodable server frame");
  }

  private readonly onMessage = (m: ServerEvent): void => {
    switch (m.type) {
      case ServerMsg.Welcome:
        this.welcome = m;
        this.resumeToken = m.resumeToken;
        this.zone = m.zone;
        // The ticket was used by this join: a later reconnect resumes here with the new token.
        this.ticket = null;
        break;
      case ServerMsg.Snapshot:
        // The join is complete once its snapshot is in: the backoff starts over.
        this.attempt = 0;
        this.stats.joins++;
        if (Number.isFinite(this.transferAt)) {
          this.stats.transfers++;
          this.stats.lastTransferMs = this.timers.now() - this.transferAt;
          this.transferAt = Number.NaN;
        }
        this.listener?.message(m);
        this.setStatus(NetStatus.Playing);
        this.sendPing();
        return;
      case ServerMsg.Delta:
        if (m.hasStats) {
          this.stats.serverTickMs = m.tickMsAvg;
          this.stats.serverTickMaxMs = m.tickMsMax;
        }
        break;
      case ServerMsg.Pong:
        this.stats.rttMs = Math.max(0, this.timers.now() - m.clientTime);
        break;
      case ServerMsg.Error:
        if (m.reason === RejectReason.BadVersion) this.failed = true;
        else if (!m.fatal) this.stats.rejections++;
        break;
      case ServerMsg.Transfer:
        this.listener?.message(m);
        this.follow(m);
        return;
    }
    this.listener?.message(m);
  };

  /** A Transfer: leave this zone's socket and join the next zone with the ticket, at once (no backoff). */
  private follow(m: TransferMsg): void {
    this.url = m.url;
    this.ticket = m.ticket;
    this.zone = m.zone;
    this.transferAt = this.timers.now();
    this.attempt = 0;
    this.holdUntil = 0;
    const t = this.transport;
    if (t !== null) {
      this.generation++;
      this.transport = null;
      this.stopHeartbeat();
      t.close(ClientCloseCode.Normal, "transferred");
    }
    if (this.closedByPage) return;
    this.clearRetry();
    this.open();
  }

  private onClosed(code: number): void {
    this.lastCloseCode = code;
    const wasPlaying = this.state === NetStatus.Playing;
    this.transport = null;
    this.generation++;
    this.stopHeartbeat();
    if (wasPlaying) this.stats.drops++;
    if (code === CloseCode.BadVersion) this.failed = true;
    if (code === CloseCode.BadTicket) {
      // The next zone did not take the ticket (expired, or already used by an earlier attempt
      // whose join this page never saw): join that zone afresh rather than lose the game.
      this.stats.badTickets++;
      this.ticket = null;
      this.transferAt = Number.NaN;
    }
    if (this.closedByPage) {
      this.setStatus(NetStatus.Closed);
      return;
    }
    if (this.failed) {
      this.setStatus(NetStatus.Failed);
      return;
    }
    const now = this.timers.now();
    const delay = Math.max(backoffDelay(this.attempt, RECONNECT_BACKOFF, this.random), this.holdUntil - now);
    this.attempt++;
    this.retryAt = now + delay;
    this.retryTimer = this.timers.setTimeout(() => this.open(), delay);
    this.setStatus(NetStatus.Reconnecting);
  }

  /** Closes the current socket and handles the loss now (its own close event is ignored). */
  private drop(code: number, reason: string): void {
    const t = this.transport;
    if (t === null) return;
    this.generation++;
    t.close(code, reason);
    this.onClosed(code);
  }

  private send(bytes: Uint8Array): void {
    if (this.transport === null) return;
    this.stats.bytesOut += bytes.length;
    this.stats.framesOut++;
    this.transport.send(bytes);
  }

  private sendPing(): void {
    this.lastPingAt = this.timers.now();
    this.ping.clientTime = this.lastPingAt;
    // The last round trip measured rides along, for the scoreboard's ping column.
    this.ping.rttMs = this.stats.rttMs;
    this.send(encodePing(this.writer, this.ping));
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const beat = (): void => {
      this.heartbeat = this.timers.setTimeout(beat, CONNECTION.heartbeatMs);
      this.onHeartbeat();
    };
    this.heartbeat = this.timers.setTimeout(beat, CONNECTION.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) this.timers.clearTimeout(this.heartbeat);
    this.heartbeat = null;
  }

  private onHeartbeat(): void {
    const now = this.timers.now();
    if (this.state === NetStatus.Playing) {
      if (now - this.lastRxAt > CONNECTION.silenceMs) {
        this.drop(ClientCloseCode.Silent, "no frames from the server");
        return;
      }
      if (now - this.lastPingAt >= CONNECTION.pingIntervalMs) this.sendPing();
    } else if (now - this.attemptStartedAt > CONNECTION.joinTimeoutMs) {
      this.drop(ClientCloseCode.JoinTimeout, "join timed out");
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = Number.NaN;
  }

  private setStatus(s: NetStatus): void {
    if (s === this.state) return;
    this.state = s;
    this.listener?.status(s);
  }
}
