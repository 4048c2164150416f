// Networked play: routes what the connection decodes to the pieces that own each concern
// (WorldSync: voxels; RemoteEntities: other players and NPCs; ServerAuthority: shots and carve
// events; Prediction: the local player) and sends the local player's inputs. It holds no game
// logic of its own beyond that routing and the reconciliation call.
import type { MoveInput, PlayerState } from "../../shared/physics/movement.ts";
import { Listeners } from "../../shared/listeners.ts";
import { Buttons, createSelfState, SelfFlag, ServerMsg } from "../../shared/protocol/messages.ts";
import type { DownMsg, HitMsg, InputMsg, ScoreRow, SelfState, WelcomeMsg } from "../../shared/protocol/messages.ts";
import type { DirtyChunks } from "../../shared/voxel/carve.ts";
import type { Connection, ConnectionListener, NetStats, ServerEvent } from "./connection.ts";
import { NetStatus } from "./connection.ts";
import { RemoteEntities } from "./entities.ts";
import type { BoxSink } from "./entities.ts";
import { ServerClock } from "./interpolation.ts";
import type { TrackSample } from "./interpolation.ts";
import type { PlayerController } from "../game/player.ts";
import { Prediction } from "./prediction.ts";
import { ServerAuthority } from "./server-authority.ts";
import type { CarveRecord, CommandSpans, CommandStats, OwnProjectileRecord } from "./server-authority.ts";
import { WorldSync } from "./world-sync.ts";
import type { WorldLoader, WorldSyncStats } from "./world-sync.ts";

/** What the page needs to hear about. */
export interface OnlineEvents {
  /** The connection status changed. */
  status(status: NetStatus): void;
  /** The server's world has another size: the page must reload. */
  incompatible(): void;
  /** The world could not be generated. */
  failed(err: unknown): void;
}

/** What the HUD and effects hear about (all optional; objects passed are valid during the call). */
export interface GameEvents {
  welcome?(m: WelcomeMsg): void;
  /** The authoritative own health and flags (join snapshot, or a delta that carried them). */
  self?(health: number, flags: number): void;
  hit?(m: HitMsg): void;
  down?(m: DownMsg): void;
  scores?(rows: readonly ScoreRow[]): void;
}

/** Optional parts of a session. */
export interface OnlineOptions {
  /** Monotonic clock, ms (default performance.now). */
  readonly now?: () => number;
  /** Where fire command spans go (default the telemetry facade). */
  readonly spans?: CommandSpans;
}

/** Network state as the test hook reports it (plain data). */
export interface NetReport {
  status: NetStatus;
  sessionId: string | null;
  /** The zone the last welcome came from ("" before the first). */
  zone: string;
  entityId: number;
  callsign: string;
  team: number;
  tick: number;
  renderTick: number;
  stats: NetStats;
  remoteEntities: number;
  pendingCommands: number;
  commands: CommandStats;
  carvesApplied: number;
  hitsReceived: number;
  recentCarves: CarveRecord[];
  ownProjectiles: OwnProjectileRecord[];
  world: WorldSyncStats;
  unackedInputs: number;
  /** Reconciliations that found a misprediction and replayed. */
  rewinds: number;
}

/** One networked game session over a Connection; start() connects. */
export class OnlineSession implements ConnectionListener {
  readonly sync: WorldSync;
  readonly entities = new RemoteEntities();
  readonly authority: ServerAuthority;
  readonly clock = new ServerClock();
  readonly prediction = new Prediction();
  /** The own authoritative state last received (the player's start before it exists). */
  readonly self: SelfState = createSelfState();
  welcome: WelcomeMsg | null = null;
  /** Newest server tick received. */
  tick = 0;
  /** The newest input sequence number the server has applied (from the last delta). */
  ackSeq = 0;
  /** Resolves with the first welcome (world seed and size, tick rate). */
  readonly welcomed: Promise<WelcomeMsg>;
  /** Where HUD-relevant events go (set by the page). */
  gameEvents: GameEvents | null = null;

  private player: PlayerController | null = null;
  private readonly resyncListeners = new Listeners<(dirty: DirtyChunks) => void>();
  private seq = 0;
  private renderAt = 0;
  private resolveWelcomed: (m: WelcomeMsg) => void = () => {};
  private readonly input: Omit<InputMsg, "type"> = { seq: 0, dt: 0, forward: 0, right: 0, yaw: 0, pitch: 0, buttons: 0 };
  private readonly before: PlayerState = { x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, onGround: false };
  private readonly server: PlayerState = { x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, onGround: false };

  private readonly now: () => number;

  /** `loadWorld` null: keep no voxel world (headless load bots; see WorldSync). */
  constructor(
    readonly connection: Connection,
    loadWorld: WorldLoader | null,
    private readonly events: OnlineEvents,
    options: OnlineOptions = {},
  ) {
    const now = options.now ?? (() => performance.now());
    this.now = now;
    this.welcomed = new Promise<WelcomeMsg>((resolve) => (this.resolveWelcomed = resolve));
    this.sync = new WorldSync(loadWorld, {
      carve: (m, dirty, changed, material) => this.authority.carveApplied(m, dirty, changed, material),
      resync: (dirty) => {
        this.resyncListeners.emit(dirty);
      },
      incompatible: () => events.incompatible(),
      failed: (err) => events.failed(err),
    });
    this.authority = new ServerAuthority(connection, () => this.sync.world, this.entities.mirror.projectiles, now, options.spans);
  }

  /** Connects (and keeps reconnecting). */
  start(): void {
    this.connection.start(this);
  }

  /** True when the local player may move and fire: joined, and the world matches the server's. */
  get playable(): boolean {
    return this.connection.status === NetStatus.Playing && !this.sync.busy && this.sync.world !== null;
  }

  /** The server tick remote entities are drawn at this frame. */
  get renderTick(): number {
    return this.renderAt;
  }

  /**
   * Subscribes to world re-syncs: after a join the world matches the server's again and the
   * chunks in `dirty` (valid during the call) must be re-meshed. Returns the unsubscribe.
   */
  onResync(listener: (dirty: DirtyChunks) => void): () => void {
    return this.resyncListeners.add(listener);
  }

  /** Hands the local player over (after the first join); its steps are sent from now on. */
  attachPlayer(player: PlayerController): void {
    this.player = player;
    this.prediction.clear();
    player.teleport(this.selfAsState());
  }

  /**
   * The PlayerController's onStep: sends the input it just stepped with and keeps it for replay.
   * Returns the input's sequence number, or -1 when it was not sent (not joined).
   */
  readonly sendStep = (input: Readonly<MoveInput>, pitch: number, dt: number): number => {
    const m = this.input;
    m.seq = ++this.seq;
    m.dt = dt;
    m.forward = input.forward;
    m.right = input.right;
    m.yaw = input.yaw;
    m.pitch = pitch;
    m.buttons = input.jump ? Buttons.Jump : 0;
    if (!this.connection.sendInput(m)) return -1;
    // Called right after the step, so the player's state is the one this input led to.
    if (this.player !== null) this.prediction.push(m.seq, input, dt, this.player.state);
    return m.seq;
  };

  /** Per frame: interpolation time, entity flashes and departures, own shots and command timeouts. */
  update(dt: number, nowMs: number): void {
    this.renderAt = this.clock.ready ? this.clock.renderTick(nowMs) : this.tick;
    this.entities.update(dt, this.renderAt);
    this.authority.update(dt, this.renderAt);
  }

  /** Draws other players and NPCs as seen from camera position `eye`. */
  drawEntities(boxes: BoxSink, eye: ArrayLike<number>): void {
    this.entities.draw(boxes, this.renderAt, eye);
  }

  /** Interpolated feet position of entity `id` as drawn this frame; false when not in view. */
  entityPosition(id: number, out: TrackSample): boolean {
    return this.entities.position(id, this.renderAt, out);
  }

  // ---- ConnectionListener ----

  message(m: ServerEvent): void {
    switch (m.type) {
      case ServerMsg.Welcome:
        this.welcome = m;
        this.clock.reset(m.tickHz);
        this.sync.welcome(m);
        this.authority.welcome(m);
        this.entities.ownTeam = m.team;
        this.entities.maxHealth = m.maxHealth;
        this.gameEvents?.welcome?.(m);
        this.resolveWelcomed(m);
        break;
      case ServerMsg.WorldEdits:
        this.sync.worldEdits(m);
        break;
      case ServerMsg.Snapshot:
        this.tick = m.tick;
        this.clock.observe(m.tick, this.now());
        this.entities.applySnapshot(m);
        Object.assign(this.self, m.self);
        // The snapshot's state already includes every input the server applied.
        this.prediction.clear();
        this.sync.snapshot(m);
        this.player?.teleport(this.selfAsState());
        this.gameEvents?.self?.(m.self.health, m.self.flags);
        break;
      case ServerMsg.Delta:
        this.tick = m.tick;
        this.clock.observe(m.tick, this.now());
        this.entities.applyDelta(m);
        this.authority.delta(m);
        this.ackSeq = m.ackSeq;
        if (m.hasSelf) Object.assign(this.self, m.self);
        this.reconcile(m.ackSeq, m.hasSelf);
        if (m.hasSelf) this.gameEvents?.self?.(m.self.health, m.self.flags);
        break;
      case ServerMsg.Carve:
        this.sync.carve(m);
        break;
      case ServerMsg.Hit:
        this.authority.hit(m);
        this.entities.flash(m.targetId, m.shooterId === this.welcome?.entityId);
        this.gameEvents?.hit?.(m);
        break;
      case ServerMsg.Down:
        this.gameEvents?.down?.(m);
        break;
      case ServerMsg.Scoreboard:
        this.gameEvents?.scores?.(m.rows);
        break;
      case ServerMsg.Error:
        this.authority.rejected(m);
        break;
      case ServerMsg.Pong:
        break;
    }
  }

  status(status: NetStatus): void {
    this.events.status(status);
  }

  worldPosition(): { logBase: number; lastSeq: number } {
    // A world still being rebuilt is not one the server can continue.
    return this.sync.busy || this.sync.world === null ? { logBase: 0, lastSeq: 0 } : { logBase: this.sync.logBase, lastSeq: this.sync.lastSeq };
  }

  /** Plain-data network state (test hook, debugging). */
  report(): NetReport {
    const a = this.authority;
    return {
      status: this.connection.status,
      sessionId: this.welcome?.sessionId ?? null,
      zone: this.welcome?.zone ?? "",
      entityId: this.welcome?.entityId ?? 0,
      callsign: this.welcome?.callsign ?? "",
      team: this.welcome?.team ?? 0,
      tick: this.tick,
      renderTick: this.renderAt,
      stats: { ...this.connection.stats },
      remoteEntities: this.entities.count,
      pendingCommands: a.pendingCount,
      commands: { ...a.commands },
      carvesApplied: a.carvesApplied,
      hitsReceived: a.hitsReceived,
      recentCarves: a.recentCarves.slice(),
      ownProjectiles: a.recentOwnProjectiles.slice(),
      world: { ...this.sync.stats },
      unackedInputs: this.prediction.count,
      rewinds: this.prediction.rewinds,
    };
  }

  /**
   * Brings the predicted player in line with the server's state after input `ackSeq`: rewind
   * and replay while playing; while the world is being re-synced the player is paused, so it
   * simply takes the server's state.
   */
  private reconcile(ackSeq: number, hasSelf: boolean): void {
    const player = this.player;
    const world = this.sync.world;
    if (player === null || world === null) return;
    if (this.sync.busy) {
      this.prediction.clear();
      if (hasSelf) player.teleport(this.selfAsState());
      return;
    }
    if (!hasSelf) {
      this.prediction.ack(ackSeq);
      return;
    }
    Object.assign(this.before, player.state);
    if (this.prediction.reconcile(world, ackSeq, this.self, player.state)) player.corrected(this.before);
  }

  private selfAsState(): PlayerState {
    const s = this.self;
    const p = this.server;
    p.x = s.x;
    p.y = s.y;
    p.z = s.z;
    p.vx = s.vx;
    p.vy = s.vy;
    p.vz = s.vz;
    p.onGround = (s.flags & SelfFlag.OnGround) !== 0;
    return p;
  }
}
