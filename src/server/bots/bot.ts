// A headless player for the integration tests, the loadtest and the soak. It is the browser's
// own network client (Connection, and OnlineSession with its world sync, remote entities and
// server authority) on a Node WebSocket, with an input script on top: the bot only says where
// to walk, when to fire and when to leave, and records what tests look at. Everything the
// protocol says (handshake, resume, snapshots, deltas, world edits, pings) is handled by the
// client code the page runs, so a protocol change is written and tested once.
//
// A bot that tracks the world generates it from the welcome's seed, as the page does in its
// worker, so tests can compare its checksum with the server's and other bots'. Load bots
// usually do not: their session keeps no voxels and still reports every carve.
import { Connection, NetStatus } from "../../client/net/connection.ts";
import type { ConnectionListener, ServerEvent } from "../../client/net/connection.ts";
import { OnlineSession } from "../../client/net/online-session.ts";
import type { CommandSpans } from "../../client/net/server-authority.ts";
import type { TransportFactory } from "../../client/net/transport.ts";
import { MOVE } from "../../shared/physics/movement.ts";
import type { MoveInput } from "../../shared/physics/movement.ts";
import { ByteWriter, encodePing, ServerMsg } from "../../shared/protocol/index.ts";
import type { CarveMsg, DownMsg, TransferMsg, EntityMirror, ErrorMsg, HitMsg, SelfState, WelcomeMsg } from "../../shared/protocol/index.ts";
import { worldChecksum } from "../../shared/voxel/checksum.ts";
import type { World } from "../../shared/voxel/world.ts";
import { generateWorld } from "../../shared/voxel/worldgen.ts";
import type { GeneratedWorld, WorldGenConfig } from "../../shared/voxel/worldgen.ts";
import { nodeTransport } from "./node-transport.ts";
import type { NodeTransport } from "./node-transport.ts";

/** How to connect a bot. */
export interface BotOptions {
  /** ws://host:port/ws */
  readonly url: string;
  /** Keep a local world for checksums (default true; the loadtest turns it off for most bots). */
  readonly trackWorld?: boolean;
  /** Keep every carve, hit and error message (default true; off for long loadtests). */
  readonly keepEvents?: boolean;
  /**
   * Reconnect after a lost connection, resuming the player, as the page does (default false:
   * the bot leaves, and `closed` says why). Before its first join such a bot keeps trying
   * until `timeoutMs`.
   */
  readonly reconnect?: boolean;
  /** Protocol version of the hello (tests of the server's version check). */
  readonly protocolVersion?: number;
  /** Reject connect() if the join has not completed by then (default 15 s). */
  readonly timeoutMs?: number;
  /** Local address to connect from (a 127.x.y.z per bot makes loopback bots look like distinct hosts). */
  readonly localAddress?: string;
  /** Extra HTTP headers of the WebSocket handshake (tests that what a client says about itself goes nowhere). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Resume token of the first hello (tests of a made-up one); default none, a fresh player. */
  readonly resumeToken?: string;
  /** Hand-off ticket of the first hello (tests of a made-up one). */
  readonly ticket?: string;
}

/**
 * A distinct loopback source address for client `i` of a group (group 0, 1, ...: bots, hostile
 * clients), so many clients on one machine look like distinct hosts to the server's
 * per-address connection cap. Linux routes all of 127.0.0.0/8 to the loopback interface.
 */
export function loopbackAddress(group: number, i: number): string {
  return `127.${group + 1}.${Math.floor(i / 250) % 256}.${(i % 250) + 2}`;
}

/** WebSocket framing a server-to-client (unmasked) frame of `len` payload bytes adds. */
function frameOverhead(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/** Options of Bot.fire. */
export interface FireOptions {
  /** The traceparent the command carries (default none), as the page's telemetry would set it. */
  readonly traceparent?: string | null;
}

/** Options of Bot.input. */
export interface InputOptions {
  readonly pitch?: number;
  readonly jump?: boolean;
  /** Seconds the input covers (default 1/30). */
  readonly dt?: number;
}

/** A connected headless player: the page's network client plus an input script's controls. */
export class Bot implements ConnectionListener {
  readonly connection: Connection;
  readonly session: OnlineSession;
  /** The world generated for the last join, with its destructibles (tracking bots only). */
  gen: GeneratedWorld | null = null;
  /** Carve, hit and error messages received (with keepEvents). */
  readonly carves: CarveMsg[] = [];
  readonly hits: HitMsg[] = [];
  readonly errors: ErrorMsg[] = [];
  /** Kill-feed (down) messages received (with keepEvents). */
  readonly downs: DownMsg[] = [];
  /** Transfer messages received (with keepEvents; tests of ticket reuse). */
  readonly transferMsgs: TransferMsg[] = [];
  /** Each completed hand-off as the bot saw it: Transfer received to the next zone's first snapshot (ms). */
  readonly transferMs: number[] = [];
  /** Messages of each kind received, kept or not. */
  carveCount = 0;
  hitCount = 0;
  errorCount = 0;
  /** Bytes received including WebSocket framing (the payload alone is connection.stats.bytesIn). */
  wireBytesIn = 0;
  /** Server tick ms samples carried by deltas (mean and max per stats window). */
  readonly tickSamples: number[] = [];
  readonly tickMaxSamples: number[] = [];
  /** Set once the bot is done: it left, was refused, or lost its connection without `reconnect`. */
  closed: { code: number } | null = null;
  /** Close codes of connections lost after a join that the bot did not cut itself (with `reconnect`). */
  readonly losses: number[] = [];
  /** Called with each kill-feed (down) message as it arrives, kept or not (the zone loadtest times cross-zone events with it). */
  onDown: ((m: DownMsg) => void) | null = null;

  private readonly trackWorld: boolean;
  private readonly keepEvents: boolean;
  /** The newest socket the connection opened. */
  private socket: { readonly transport: NodeTransport; open: boolean; readonly closed: Promise<void> } | null = null;
  private joinedOnce = false;
  private dropping = false;
  private traceparent: string | null = null;
  private lastUpdate = performance.now();
  private readonly listeners = new Set<() => void>();
  private readonly move: MoveInput = { forward: 0, right: 0, jump: false, yaw: 0 };
  private readonly origin: [number, number, number] = [0, 0, 0];
  private readonly dir: [number, number, number] = [0, 0, 0];
  private readonly raw = new ByteWriter(64);

  private constructor(private readonly opts: BotOptions) {
    this.trackWorld = opts.trackWorld ?? true;
    this.keepEvents = opts.keepEvents ?? true;
    this.connection = new Connection({ url: opts.url, transport: this.transport(), protocolVersion: opts.protocolVersion, resumeToken: opts.resumeToken, ticket: opts.ticket });
    const spans: CommandSpans = { begin: () => this.traceparent ?? undefined, end: () => {} };
    this.session = new OnlineSession(this.connection, this.trackWorld ? this.loadWorld : null, {
      status: (s) => this.onStatus(s),
      incompatible: () => this.leave(),
      failed: () => this.leave(),
    }, { spans });
    this.session.onResync(() => this.notify());
  }

  /** Starts connecting; the join completes later (see connect). */
  static open(opts: BotOptions): Bot {
    const bot = new Bot(opts);
    bot.connection.start(bot);
    return bot;
  }

  /** Connects and resolves once joined (with the world in step, when tracked); rejects if refused or timed out. */
  static async connect(opts: BotOptions): Promise<Bot> {
    const bot = Bot.open(opts);
    try {
      await bot.waitFor(() => bot.joined || bot.closed !== null, opts.timeoutMs ?? 15000);
    } catch (err) {
      await bot.close();
      throw err;
    }
    if (!bot.joined) {
      await bot.close();
      throw new Error(`join failed: closed ${bot.closed?.code}`);
    }
    return bot;
  }

  /** Joined and playing, with the tracked world in step with the server's. */
  get joined(): boolean {
    const sync = this.session.sync;
    return this.connection.status === NetStatus.Playing && (!this.trackWorld || (sync.world !== null && !sync.busy));
  }

  /** The latest welcome (null before the first). */
  get welcome(): WelcomeMsg | null {
    return this.session.welcome;
  }

  /** The own authoritative state last received. */
  get self(): SelfState {
    return this.session.self;
  }

  /** Newest server tick received. */
  get tick(): number {
    return this.session.tick;
  }

  /** The last edit of the server's log the bot's world has applied (seq of the newest carve or join). */
  get lastSeq(): number {
    return this.session.sync.lastSeq;
  }

  /** Joins the server continued from this bot's world with only the edits it missed (after reconnects). */
  get continuedJoins(): number {
    return this.session.sync.stats.tailJoins;
  }

  /** The zone the bot is in (or heading to, during a hand-off). */
  get zone(): string {
    return this.connection.zone;
  }

  /** Hand-offs to another zone this bot completed. */
  get transfers(): number {
    return this.connection.stats.transfers;
  }

  /** The newest input the server has applied. */
  get ackSeq(): number {
    return this.session.ackSeq;
  }

  /** The entities (and projectiles) in this player's interest. */
  get mirror(): EntityMirror {
    return this.session.entities.mirror;
  }

  /**
   * Sends one movement input, as one frame of the page's loop does, and advances the session
   * (interpolation, command timeouts). Returns its sequence number, or -1 unless joined.
   */
  input(forward: number, right: number, yaw: number, opts: InputOptions = {}): number {
    const m = this.move;
    m.forward = forward;
    m.right = right;
    m.yaw = yaw;
    m.jump = opts.jump ?? false;
    const seq = this.session.sendStep(m, opts.pitch ?? 0, opts.dt ?? 1 / 30);
    const now = performance.now();
    this.session.update((now - this.lastUpdate) / 1000, now);
    this.lastUpdate = now;
    return seq;
  }

  /** Fires from the eye along (dx, dy, dz) (any length); returns the command id, or -1 when no shot was made. */
  fire(dx: number, dy: number, dz: number, opts: FireOptions = {}): number {
    const len = Math.hypot(dx, dy, dz);
    if (!(len > 0)) return -1;
    const d = this.dir;
    d[0] = dx / len;
    d[1] = dy / len;
    d[2] = dz / len;
    this.traceparent = opts.traceparent ?? null;
    const id = this.session.authority.fire(this.eyeInto(this.origin), d);
    this.traceparent = null;
    return id;
  }

  /** Eye position from the last authoritative self state. */
  eye(): [number, number, number] {
    return this.eyeInto([0, 0, 0]);
  }

  /** Checksum of the local world (tracking bots only). */
  checksum(): number {
    const world = this.session.sync.world;
    if (world === null) throw new Error("bot does not track the world");
    return worldChecksum(world);
  }

  /** Sends raw bytes as one binary frame on the current socket (tests of bad input). */
  sendRaw(bytes: Uint8Array): void {
    this.socket?.transport.send(bytes);
  }

  /** Sends a ping outside the connection's own schedule (floods in tests of the rate limit). */
  ping(): void {
    this.sendRaw(encodePing(this.raw, { clientTime: performance.now() }));
  }

  /** Cuts the socket as a failing network would; with `reconnect` the client then resumes the player. */
  drop(): void {
    if (this.socket === null || !this.socket.open) return;
    this.dropping = true;
    this.socket.transport.terminate();
  }

  /** Resolves with the first truthy value of `check`, evaluated after every message and status change; rejects on timeout. */
  waitFor<T>(check: () => T | false | null | undefined, timeoutMs = 10000): Promise<T> {
    const first = check();
    if (first) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const l = (): void => {
        const v = check();
        if (v) {
          this.listeners.delete(l);
          clearTimeout(timer);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(l);
        reject(new Error(`bot wait timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(l);
    });
  }

  /** Leaves (close code 1000) and waits for the socket to close (at most 2 s, then it is cut). */
  async close(): Promise<void> {
    this.leave();
    const socket = this.socket;
    if (socket === null || !socket.open) return;
    await Promise.race([socket.closed, new Promise((r) => setTimeout(r, 2000))]);
    if (socket.open) socket.transport.terminate();
  }

  // ---- ConnectionListener: the session handles everything; the bot only records ----

  message(m: ServerEvent): void {
    this.session.message(m);
    switch (m.type) {
      case ServerMsg.Delta:
        if (m.hasStats) {
          this.tickSamples.push(m.tickMsAvg);
          this.tickMaxSamples.push(m.tickMsMax);
        }
        break;
      case ServerMsg.Carve:
        this.carveCount++;
        if (this.keepEvents) this.carves.push(m);
        break;
      case ServerMsg.Hit:
        this.hitCount++;
        if (this.keepEvents) this.hits.push(m);
        break;
      case ServerMsg.Error:
        this.errorCount++;
        if (this.keepEvents) this.errors.push(m);
        break;
      case ServerMsg.Down:
        if (this.keepEvents) this.downs.push(m);
        this.onDown?.(m);
        break;
      case ServerMsg.Transfer:
        if (this.keepEvents) this.transferMsgs.push({ ...m });
        break;
      case ServerMsg.Snapshot:
        if (this.connection.stats.transfers > this.transferMs.length) this.transferMs.push(this.connection.stats.lastTransferMs);
        break;
    }
    this.notify();
  }

  status(status: NetStatus): void {
    this.session.status(status);
  }

  worldPosition(): { logBase: number; lastSeq: number } {
    return this.session.worldPosition();
  }

  /** The bot's policy on connection changes: leave on a loss unless it reconnects. */
  private onStatus(s: NetStatus): void {
    const c = this.connection;
    if (s === NetStatus.Playing) {
      this.joinedOnce = true;
    } else if (s === NetStatus.Reconnecting) {
      if (this.dropping) this.dropping = false;
      else if (this.opts.reconnect && this.joinedOnce) this.losses.push(c.lastCloseCode);
      if (!this.opts.reconnect) this.leave(c.lastCloseCode);
    } else if (s === NetStatus.Failed || s === NetStatus.Closed) {
      this.closed ??= { code: c.lastCloseCode };
    }
    this.notify();
  }

  /** Stops for good: records why (the given code, or a goodbye) and closes the connection. */
  private leave(code = 1000): void {
    this.closed ??= { code };
    this.connection.close();
  }

  private eyeInto(out: [number, number, number]): [number, number, number] {
    const s = this.session.self;
    out[0] = s.x;
    out[1] = s.y + MOVE.eyeHeight;
    out[2] = s.z;
    return out;
  }

  /** Generates the world as the page's worker does (synchronously here), keeping its destructibles. */
  private readonly loadWorld = (config: WorldGenConfig): Promise<World> => {
    this.gen = generateWorld(config);
    return Promise.resolve(this.gen.world);
  };

  /** Node sockets, counting wire bytes and tracking the current socket for raw sends and drops. */
  private transport(): TransportFactory {
    const open = nodeTransport({ localAddress: this.opts.localAddress, headers: this.opts.headers });
    return (url, events) => {
      let resolveClosed = (): void => {};
      const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
      const transport = open(url, {
        open: () => events.open(),
        message: (bytes) => {
          this.wireBytesIn += bytes.length + frameOverhead(bytes.length);
          events.message(bytes);
        },
        invalid: () => events.invalid(),
        close: (code, reason) => {
          socket.open = false;
          resolveClosed();
          events.close(code, reason);
        },
      });
      const socket = { transport, open: true, closed };
      this.socket = socket;
      return transport;
    };
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
