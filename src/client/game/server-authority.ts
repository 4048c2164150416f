// The multiplayer WorldAuthority: the server decides what a shot does. Left click sends a fire
// command (command id, eye origin, aim, and the telemetry traceparent when tracing is on); the
// shot is drawn at once as a local projectile so firing feels immediate, but nothing is carved
// locally. The server's answer closes the command: a carve or hit event naming it (or the end
// of its projectile) confirms it, a fire-rate error rejects it, silence times it out. Carves
// from everyone arrive through WorldSync and are re-emitted as CarveEvents, so re-meshing is
// the same as offline. Other players' projectiles are drawn from the server's spawn records.
import type { MirroredProjectile } from "../../shared/protocol/mirror.ts";
import type { CarveMsg, DeltaMsg, ErrorMsg, FireMsg, HitMsg, WelcomeMsg } from "../../shared/protocol/messages.ts";
import { RejectReason } from "../../shared/protocol/messages.ts";
import { DirtyChunks } from "../../shared/voxel/carve.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { CommandOutcome } from "../telemetry/commands.ts";
import { commandDone, commandTraceparent } from "../telemetry/facade.ts";
import type { CarveEvent, CarveListener, ProjectileList, WorldAuthority } from "./authority.ts";
import { PendingCommands } from "./commands.ts";
import { PROJECTILE, Projectiles } from "./projectiles.ts";

/** Where fire commands go (the Connection). */
export interface CommandSink {
  sendFire(m: Omit<FireMsg, "type">): boolean;
}

/** Command bookkeeping tuning. */
export const COMMANDS = {
  /** A command with no answer this long after its projectile's lifetime is timed out (ms). */
  graceMs: 3000,
  /** Projectiles drawn at most (own predicted ones plus everyone else's). */
  maxDrawn: 256,
} as const;

/** What became of this client's fire commands. */
export interface CommandStats {
  sent: number;
  confirmed: number;
  rejected: number;
  timedOut: number;
  /** Closed by a reconnect before an answer. */
  superseded: number;
}

/** A carve event as the test hook and diagnostics report it. */
export interface CarveRecord {
  readonly impactId: number;
  readonly commandId: number | null;
  readonly shooterId: number;
  readonly projectileId: number;
  readonly did: number;
  readonly voxels: number;
}

/** A server projectile spawned for one of this client's commands. */
export interface OwnProjectileRecord {
  readonly projectileId: number;
  readonly commandId: number;
}

/** Diagnostic rings keep this many recent records. */
const RECENT = 16;

/** Fixed-capacity list of projectiles to draw (extra ones are dropped). */
class DrawList implements ProjectileList {
  count = 0;
  readonly xyz: Float64Array;
  readonly dir: Float64Array;
  readonly traveled: Float64Array;

  constructor(readonly capacity: number) {
    this.xyz = new Float64Array(capacity * 3);
    this.dir = new Float64Array(capacity * 3);
    this.traveled = new Float64Array(capacity);
  }

  /** Adds one at (x, y, z), flying along unit (dx, dy, dz), `traveled` voxels from where it was fired. */
  push(x: number, y: number, z: number, dx: number, dy: number, dz: number, traveled: number): void {
    if (this.count === this.capacity) return;
    const i = this.count++;
    const k = i * 3;
    this.xyz[k] = x;
    this.xyz[k + 1] = y;
    this.xyz[k + 2] = z;
    this.dir[k] = dx;
    this.dir[k + 1] = dy;
    this.dir[k + 2] = dz;
    this.traveled[i] = traveled;
  }
}

/** The server decides; this client asks, predicts the look of it, and applies the answers. */
export class ServerAuthority implements WorldAuthority {
  /** Own shots in flight (predicted) and other players' projectiles, refreshed by update(). */
  readonly projectiles: DrawList = new DrawList(COMMANDS.maxDrawn);
  cooldown: number = PROJECTILE.cooldown;
  readonly commands: CommandStats = { sent: 0, confirmed: 0, rejected: 0, timedOut: 0, superseded: 0 };
  /** Recent carve events (newest last) and server projectiles of own commands, for diagnostics. */
  readonly recentCarves: CarveRecord[] = [];
  readonly recentOwnProjectiles: OwnProjectileRecord[] = [];
  carvesApplied = 0;
  hitsReceived = 0;

  private entityId = 0;
  private tickHz = 30;
  private lifetimeMs: number = PROJECTILE.maxAge * 1000;
  private nextCommand = 1;
  private readonly own = new Projectiles(64);
  private readonly pending = new PendingCommands();
  private readonly listeners: CarveListener[] = [];
  private readonly event: { -readonly [K in keyof CarveEvent]: CarveEvent[K] } = { material: 0, x: 0, y: 0, z: 0, radius: 0, voxels: 0, dirty: new DirtyChunks() };
  private renderTick = 0;
  /** Called by the pending table for commands it has already removed. */
  private readonly onExpired = (id: number): void => this.finish(id, "timeout");
  private readonly onSuperseded = (id: number): void => this.finish(id, "superseded");
  /** A predicted shot only disappears where it meets a voxel: what that does is the server's call. */
  private readonly onOwnImpact = (): void => {};
  private readonly drawRemote = (p: MirroredProjectile): void => {
    if (p.owner === this.entityId) return;
    const age = (this.renderTick - p.tick) / this.tickHz;
    if (age < 0 || age * 1000 > this.lifetimeMs) return;
    const speed = Math.hypot(p.vx, p.vy, p.vz) || 1;
    this.projectiles.push(p.x + p.vx * age, p.y + p.vy * age, p.z + p.vz * age, p.vx / speed, p.vy / speed, p.vz / speed, speed * age);
  };

  constructor(
    private readonly sink: CommandSink,
    /** The live world (null until the first join): own shots stop where they meet a voxel. */
    private readonly world: () => World | null,
    /** Server projectiles in this client's interest (the entity mirror's). */
    private readonly serverProjectiles: ReadonlyMap<number, MirroredProjectile>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Commands waiting for the server's answer. */
  get pendingCount(): number {
    return this.pending.count;
  }

  /** Takes identity and weapon parameters from a welcome. A reconnect closes the commands still open. */
  welcome(m: WelcomeMsg): void {
    this.pending.drain(this.onSuperseded);
    this.own.count = 0;
    this.entityId = m.entityId;
    this.tickHz = m.tickHz;
    this.cooldown = m.weaponCooldownMs / 1000;
    this.lifetimeMs = m.projectileLifetimeMs;
    this.own.speed = m.projectileSpeed;
    this.own.maxAge = m.projectileLifetimeMs / 1000;
  }

  fire(origin: ArrayLike<number>, dir: ArrayLike<number>): number {
    const commandId = this.nextCommand;
    if (this.pending.count === this.pending.capacity) return -1;
    const traceparent = commandTraceparent(commandId, "fire") ?? null;
    const sent = this.sink.sendFire({
      commandId, ox: origin[0], oy: origin[1], oz: origin[2], dx: dir[0], dy: dir[1], dz: dir[2], traceparent,
    });
    if (!sent) {
      commandDone(commandId, "rejected");
      return -1;
    }
    // Command ids are u32 on the wire; 0 is never used.
    this.nextCommand = commandId >= 0xffffffff ? 1 : commandId + 1;
    this.commands.sent++;
    this.pending.add(commandId, this.now() + this.lifetimeMs + COMMANDS.graceMs);
    this.own.spawn(origin[0], origin[1], origin[2], dir[0], dir[1], dir[2], commandId);
    return commandId;
  }

  /** Advances own shots, times out unanswered commands and gathers what to draw at server tick `renderTick`. */
  update(dt: number, renderTick = this.renderTick): void {
    this.renderTick = renderTick;
    const world = this.world();
    if (world !== null) this.own.step(world, dt, this.onOwnImpact);
    this.pending.expire(this.now(), this.onExpired);
    const list = this.projectiles;
    list.count = 0;
    const o = this.own;
    for (let i = 0; i < o.count; i++) {
      const k = i * 3;
      list.push(o.xyz[k], o.xyz[k + 1], o.xyz[k + 2], o.dir[k], o.dir[k + 1], o.dir[k + 2], o.traveled[i]);
    }
    this.serverProjectiles.forEach(this.drawRemote);
  }

  /** Notes server projectiles of own commands and ends own shots whose projectile ended. */
  delta(m: DeltaMsg): void {
    const s = m.projectileSpawns;
    for (let i = 0; i < s.count; i++) {
      if (s.owner[i] !== this.entityId) continue;
      // The carve may already have closed the command: events precede the delta in a tick's frame.
      this.pending.setProjectile(s.commandId[i], s.id[i]);
      remember(this.recentOwnProjectiles, { projectileId: s.id[i], commandId: s.commandId[i] });
    }
    const d = m.projectileDespawns;
    for (let i = 0; i < d.count; i++) {
      const commandId = this.pending.commandOfProjectile(d.ids[i]);
      // Ended without a carve or hit naming it (flew out of range or expired): still the server's answer.
      if (commandId >= 0) this.close(commandId, "confirmed");
    }
  }

  /** A carve event WorldSync has applied to the world (`material`: what most of its voxels were). */
  carveApplied(m: CarveMsg, dirty: DirtyChunks, changed: number, material = 0): void {
    this.carvesApplied++;
    remember(this.recentCarves, {
      impactId: m.impactId, commandId: m.commandId, shooterId: m.shooterId, projectileId: m.projectileId, did: m.did, voxels: changed,
    });
    if (m.commandId !== null && m.shooterId === this.entityId) this.close(m.commandId, "confirmed");
    const e = this.event;
    e.material = material;
    e.x = m.cx;
    e.y = m.cy;
    e.z = m.cz;
    e.radius = m.radius;
    e.voxels = changed;
    e.dirty = dirty;
    for (const l of this.listeners) l(e);
  }

  /** A hit event (an NPC or player was struck). */
  hit(m: HitMsg): void {
    this.hitsReceived++;
    if (m.commandId !== null && m.shooterId === this.entityId) this.close(m.commandId, "confirmed");
  }

  /** An error notice; fire-rate rejections name the refused command. */
  rejected(m: ErrorMsg): void {
    if (m.commandId !== null && m.reason === RejectReason.FireRate) this.close(m.commandId, "rejected");
  }

  onCarve(listener: CarveListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  dispose(): void {
    this.pending.drain(this.onSuperseded);
    this.listeners.length = 0;
    this.own.count = 0;
    this.projectiles.count = 0;
  }

  /** Closes an open command with `outcome` (nothing when it is not open: answers can repeat). */
  private close(commandId: number, outcome: CommandOutcome): void {
    if (this.pending.remove(commandId)) this.finish(commandId, outcome);
  }

  /** Retires a command already removed from the pending table: its drawn shot, its span, the counts. */
  private finish(commandId: number, outcome: CommandOutcome): void {
    this.own.removeTag(commandId);
    commandDone(commandId, outcome);
    const c = this.commands;
    if (outcome === "confirmed") c.confirmed++;
    else if (outcome === "rejected") c.rejected++;
    else if (outcome === "timeout") c.timedOut++;
    else c.superseded++;
  }
}

function remember<T>(ring: T[], item: T): void {
  if (ring.length === RECENT) ring.shift();
  ring.push(item);
}
