// Headless game client over a real WebSocket, speaking the shared protocol. Used by the
// integration tests and the loadtest. It keeps an entity mirror and, optionally, a local copy of
// the world (generated from the welcome's seed, then the join edits and every carve event
// applied), so tests can compare its checksum with the server's and other bots'.
import WebSocket from "ws";
import { MOVE } from "../../shared/physics/movement.ts";
import {
  Buttons,
  ByteWriter,
  createSelfState,
  encodeFire,
  encodeHello,
  encodeInput,
  encodePing,
  encodeScores,
  EntityMirror,
  PROTOCOL_VERSION,
  ServerDecoder,
  ServerMsg,
  voxelSetToEdits,
} from "../../shared/protocol/index.ts";
import type {
  BatchMsg,
  CarveMsg,
  DownMsg,
  ErrorMsg,
  HitMsg,
  PongMsg,
  SelfState,
  ScoreboardMsg,
  ServerMessage,
  VoxelSet,
  WelcomeMsg,
} from "../../shared/protocol/index.ts";
import { applyEdits, EditLog } from "../../shared/voxel/carve.ts";
import { worldChecksum } from "../../shared/voxel/checksum.ts";
import { generateWorld } from "../../shared/voxel/worldgen.ts";
import type { GeneratedWorld } from "../../shared/voxel/worldgen.ts";
import type { World } from "../../shared/voxel/world.ts";

/** How to connect a bot. */
export interface BotOptions {
  /** ws://host:port/ws */
  readonly url: string;
  /** Keep a local world for checksums (default true; the loadtest turns it off for most bots). */
  readonly trackWorld?: boolean;
  /** Keep every carve, hit and error message (default true; off for long loadtests). */
  readonly keepEvents?: boolean;
  readonly resumeToken?: string | null;
  readonly protocolVersion?: number;
  /** Reject connect() if the join has not completed by then (default 15 s). */
  readonly timeoutMs?: number;
  /** Local address to connect from (a 127.x.y.z per bot makes loopback bots look like distinct hosts). */
  readonly localAddress?: string;
  /**
   * A bot of an earlier connection whose world this one continues: the hello carries its log
   * base and last seq, and when the server continues that world (welcome baseSeq > 0) only the
   * missed edits are applied to it; otherwise a fresh world is built.
   */
  readonly continueFrom?: Bot;
}

/**
 * A distinct loopback source address for client `i` of a group (group 0, 1, ...: bots, hostile
 * clients), so many clients on one machine look like distinct hosts to the server's
 * per-address connection cap. Linux routes all of 127.0.0.0/8 to the loopback interface.
 */
export function loopbackAddress(group: number, i: number): string {
  return `127.${group + 1}.${Math.floor(i / 250) % 256}.${(i % 250) + 2}`;
}

/** Aim options of Bot.fire. */
export interface FireOptions {
  readonly origin?: readonly [number, number, number];
  readonly traceparent?: string | null;
  readonly commandId?: number;
}

/** A connected headless client. */
export class Bot {
  readonly ws: WebSocket;
  welcome: WelcomeMsg | null = null;
  gen: GeneratedWorld | null = null;
  world: World | null = null;
  readonly mirror = new EntityMirror();
  readonly self: SelfState = createSelfState();
  /** The last delta's ack of our inputs and server tick. */
  ackSeq = 0;
  tick = 0;
  joined = false;
  readonly carves: CarveMsg[] = [];
  readonly hits: HitMsg[] = [];
  readonly errors: ErrorMsg[] = [];
  readonly pongs: PongMsg[] = [];
  readonly downs: DownMsg[] = [];
  /** The latest scoreboard received (after scores()). */
  scoreboard: ScoreboardMsg | null = null;
  carveCount = 0;
  hitCount = 0;
  errorCount = 0;
  bytesIn = 0;
  framesIn = 0;
  decodeErrors = 0;
  editSetsApplied = 0;
  /** The server log the local world follows and the last of its edits applied (seq of the newest carve or join). */
  logBase = 0;
  lastSeq = 0;
  /** True when the last join continued the world of `continueFrom` instead of sending all of it. */
  continued = false;
  /** Server tick ms samples carried by deltas (avg, max per stats window). */
  readonly tickSamples: number[] = [];
  readonly tickMaxSamples: number[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly decoder = new ServerDecoder();
  private readonly w = new ByteWriter(256);
  private readonly edits = new EditLog();
  private seq = 0;
  private nextCommand = 1;
  private readonly listeners = new Set<() => void>();
  private readonly trackWorld: boolean;
  private readonly keepEvents: boolean;

  private constructor(private readonly opts: BotOptions) {
    this.trackWorld = opts.trackWorld ?? true;
    this.keepEvents = opts.keepEvents ?? true;
    this.ws = new WebSocket(opts.url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, localAddress: opts.localAddress });
    this.ws.binaryType = "nodebuffer";
    this.ws.on("message", (data: Buffer) => this.onFrame(data));
    this.ws.on("close", (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.notify();
    });
    this.ws.on("error", () => this.notify());
  }

  /** Connects, says hello and resolves once the join snapshot has been applied. */
  static async connect(opts: BotOptions): Promise<Bot> {
    const bot = new Bot(opts);
    await new Promise<void>((resolve, reject) => {
      bot.ws.once("open", () => resolve());
      bot.ws.once("error", reject);
    });
    const prev = opts.continueFrom;
    const logBase = prev?.world != null ? prev.logBase : 0;
    const lastSeq = prev?.world != null ? prev.lastSeq : 0;
    bot.ws.send(encodeHello(bot.w, { version: opts.protocolVersion ?? PROTOCOL_VERSION, resumeToken: opts.resumeToken ?? null, logBase, lastSeq }).slice());
    await bot.waitFor(() => bot.joined || bot.closed !== null, opts.timeoutMs ?? 15000);
    if (!bot.joined) throw new Error(`join failed: closed ${bot.closed?.code} ${bot.closed?.reason}`);
    return bot;
  }

  /** Opens a socket without the hello (for tests of raw frames). */
  static async raw(url: string): Promise<Bot> {
    const bot = new Bot({ url, trackWorld: false });
    await new Promise<void>((resolve, reject) => {
      bot.ws.once("open", () => resolve());
      bot.ws.once("error", reject);
    });
    return bot;
  }

  private onFrame(data: Buffer): void {
    this.bytesIn += data.length;
    this.framesIn++;
    if (this.decoder.decodeFrame(data, this.onMessage) !== null) this.decodeErrors++;
    this.notify();
  }

  private readonly onMessage = (m: Exclude<ServerMessage, BatchMsg>): void => {
    switch (m.type) {
      case ServerMsg.Welcome:
        this.welcome = m;
        if (this.trackWorld) this.loadWorld(m);
        this.logBase = m.logBase;
        this.lastSeq = m.lastSeq;
        break;
      case ServerMsg.WorldEdits:
        for (const set of m.sets) this.applySet(set);
        break;
      case ServerMsg.Snapshot:
        this.mirror.applySnapshot(m);
        Object.assign(this.self, m.self);
        this.tick = m.tick;
        this.joined = true;
        break;
      case ServerMsg.Delta:
        this.mirror.applyDelta(m);
        if (m.hasSelf) Object.assign(this.self, m.self);
        this.ackSeq = m.ackSeq;
        // A resumed session: the server has applied inputs numbered past this bot's own counter
        // (they came from the connection before the drop), so number on from there or every
        // input would be refused as a replay.
        if (m.ackSeq > this.seq) this.seq = m.ackSeq;
        this.tick = m.tick;
        if (m.hasStats) {
          this.tickSamples.push(m.tickMsAvg);
          this.tickMaxSamples.push(m.tickMsMax);
        }
        break;
      case ServerMsg.Carve:
        this.carveCount++;
        this.applySet(m.voxels);
        this.lastSeq = m.seq;
        if (this.keepEvents) this.carves.push(m);
        break;
      case ServerMsg.Hit:
        this.hitCount++;
        if (this.keepEvents) this.hits.push(m);
        break;
      case ServerMsg.Down:
        if (this.keepEvents) this.downs.push(m);
        break;
      case ServerMsg.Scoreboard:
        this.scoreboard = m;
        break;
      case ServerMsg.Pong:
        if (this.keepEvents) this.pongs.push(m);
        break;
      case ServerMsg.Error:
        this.errorCount++;
        if (this.keepEvents) this.errors.push(m);
        break;
    }
  };

  private loadWorld(m: WelcomeMsg): void {
    const prev = this.opts.continueFrom;
    if (m.baseSeq > 0 && prev?.world != null && prev.gen !== null && prev.logBase === m.logBase && prev.lastSeq === m.baseSeq) {
      this.gen = prev.gen;
      this.world = prev.world;
      this.continued = true;
      return;
    }
    this.gen = generateWorld({ seed: m.seed, chunksX: m.chunksX, chunksY: m.chunksY, chunksZ: m.chunksZ });
    this.world = this.gen.world;
  }

  private applySet(set: VoxelSet): void {
    this.editSetsApplied++;
    if (this.world === null) return;
    this.edits.clear();
    voxelSetToEdits(this.world, set, this.edits);
    applyEdits(this.world, this.edits);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  /** Resolves with the first truthy value of `check`, evaluated after every frame; rejects on timeout. */
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

  /** Sends one movement input; returns its sequence number. */
  input(forward: number, right: number, yaw: number, opts: { pitch?: number; jump?: boolean; dt?: number } = {}): number {
    const seq = ++this.seq;
    this.send(encodeInput(this.w, {
      seq, dt: opts.dt ?? 1 / 30, forward, right, yaw, pitch: opts.pitch ?? 0, buttons: opts.jump ? Buttons.Jump : 0,
    }));
    return seq;
  }

  /** Fires along (dx, dy, dz) from the eye (or `origin`); returns the command id. */
  fire(dx: number, dy: number, dz: number, opts: FireOptions = {}): number {
    const commandId = opts.commandId ?? this.nextCommand++;
    const [ox, oy, oz] = opts.origin ?? this.eye();
    this.send(encodeFire(this.w, { commandId, ox, oy, oz, dx, dy, dz, traceparent: opts.traceparent ?? null }));
    return commandId;
  }

  /** Sends a ping with the local clock and, when given, the round trip to report (ms). */
  ping(rttMs?: number): void {
    this.send(encodePing(this.w, { clientTime: performance.now(), rttMs }));
  }

  /** Asks for the scoreboard (the answer lands in `scoreboard`). */
  scores(): void {
    this.send(encodeScores(this.w));
  }

  /** Sends raw bytes as one binary frame. */
  sendRaw(bytes: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  private send(view: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(view.slice());
  }

  /** Eye position from the last authoritative self state. */
  eye(): [number, number, number] {
    return [this.self.x, this.self.y + MOVE.eyeHeight, this.self.z];
  }

  /** Checksum of the local world (requires trackWorld). */
  checksum(): number {
    if (this.world === null) throw new Error("bot does not track the world");
    return worldChecksum(this.world);
  }

  /** Closes the socket and waits for the close. */
  async close(): Promise<void> {
    if (this.closed !== null) return;
    const done = new Promise<void>((resolve) => this.ws.once("close", () => resolve()));
    this.ws.close(1000, "bye");
    await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
    if (this.closed === null) this.ws.terminate();
  }
}
