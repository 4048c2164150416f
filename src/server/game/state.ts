// The zone's simulation state: voxels, destructibles, entities, projectiles, the edit log and
// its writer, collision data and the per-tick outboxes that systems hand to each other. Systems
// receive it as their `world` argument; nothing here waits on I/O (the writer hands work to the
// store and is told later what became durable).
import { generateWorld, SPAWN_YAW } from "../../shared/voxel/worldgen.ts";
import type { GeneratedWorld } from "../../shared/voxel/worldgen.ts";
import type { World } from "../../shared/voxel/world.ts";
import { clamp } from "../../shared/math.ts";
import { EntityKind, IdList, ProjectileFrame, Team } from "../../shared/protocol/messages.ts";
import { Rng } from "../../shared/voxel/rng.ts";
import type { TraceContext } from "../../shared/telemetry/trace-context.ts";
import type { ServerConfig } from "../config.ts";
import { TickStats } from "../loop/tick-stats.ts";
import { Callsigns } from "./callsigns.ts";
import { ChunkColliders } from "./collider.ts";
import { ChunkQueue } from "./chunk-queue.ts";
import { PlayerControl } from "./control.ts";
import { replayImage } from "../store/format.ts";
import type { WorldIdentity, ZoneImage, ZoneStore } from "../store/types.ts";
import { ZoneWriter } from "../store/zone-writer.ts";
import type { ZoneWriterOptions } from "../store/zone-writer.ts";
import { SavedPlayers } from "./player-records.ts";
import { WorldLog } from "./world-log.ts";
import { EntityTable, MAX_HEALTH } from "./entities.ts";
import type { Entity } from "./entities.ts";
import { ImpactIds } from "./ids.ts";
import { ProjectilePool } from "./projectiles.ts";
import { ServerStats } from "./stats.ts";

/** A projectile's voxel hit waiting for the carve system. */
export interface PendingImpact {
  /** Born when the raycast finds the voxel hit, so its span and the carve share it. */
  impactId: number;
  projectileId: number;
  shooterId: number;
  commandId: number;
  sessionId: string;
  /** Hit point on the voxel surface. */
  x: number;
  y: number;
  z: number;
  /** The hit voxel. */
  vx: number;
  vy: number;
  vz: number;
  did: number;
  /** Trace context of the command span (or its unsampled stand-in) the impact continues. */
  parent: TraceContext | undefined;
}

/** A hit event to deliver near its position and to the shooter and target. */
export interface PendingHitEvent {
  bytes: Uint8Array;
  x: number;
  y: number;
  z: number;
  shooterId: number;
  targetId: number;
}

/** A chunk remeshed by a worker, waiting for the collider system. */
export interface MeshedChunk {
  chunkId: number;
  version: number;
  quads: number;
  meshMs: number;
  solid: number;
  /** Column tops measured by the worker; with `padded`, the job's buffers (released after use). */
  tops: Int8Array;
  padded: Uint8Array;
  /** Trace context of the chunk.mesh span, for the collider span. */
  parent: TraceContext | undefined;
  impactId: number;
  did: number;
}

/** A carve event waiting until its edit is durable before it is broadcast. */
export interface HeldCarve {
  seq: number;
  tick: number;
  bytes: Uint8Array;
}

/** A down for the cross-zone kill feed: who downed whom (callsigns are server-generated, never personal). */
export interface DownFeedEntry {
  readonly shooterCallsign: string;
  readonly shooterKind: EntityKind;
  readonly shooterTeam: Team;
  readonly targetCallsign: string;
  readonly targetKind: EntityKind;
  readonly targetTeam: Team;
}

/** What systems produce during a tick for the net system to deliver at its end. */
class Outbox {
  /** Encoded messages for every playing client (carve and down events), owned copies. */
  readonly broadcasts: Uint8Array[] = [];
  readonly hits: PendingHitEvent[] = [];
  /** Projectiles spawned this tick (origin and velocity at spawn), and ids that ended. */
  readonly spawned = new ProjectileFrame();
  readonly despawned = new IdList();

  clear(): void {
    this.broadcasts.length = 0;
    this.hits.length = 0;
    this.spawned.clear();
    this.despawned.clear();
  }
}

/** Everything the systems simulate for one zone. */
export class Game {
  readonly world: World;
  readonly gen: GeneratedWorld;
  readonly entities: EntityTable;
  readonly projectiles = new ProjectilePool();
  /** The edit log in memory (snapshot rows and recent edits: what joins send). */
  readonly log: WorldLog;
  /** Hands edits and player records to the zone's store (see attachStore). */
  writer: ZoneWriter;
  /** Carve events in seq order, each broadcast once its edit is durable (systems/persist.ts). */
  readonly heldCarves: HeldCarve[] = [];
  /** Player records loaded from the store, for resumes after a restart. */
  readonly savedPlayers = new SavedPlayers();
  /** Simulated time of the next save of every player's record. */
  nextPlayerSaveMs = 0;
  readonly colliders: ChunkColliders;
  readonly meshQueue: ChunkQueue;
  /** Pooled impacts; the first `impactCount` are this tick's. */
  readonly impacts: PendingImpact[] = [];
  impactCount = 0;
  readonly meshed: MeshedChunk[] = [];
  readonly outbox = new Outbox();
  /** Downs of this tick for the other zones' kill feeds (null: no zones to tell; zones/handoff.ts drains it). */
  downFeed: DownFeedEntry[] | null = null;
  readonly impactIds = new ImpactIds();
  readonly stats = new ServerStats();
  readonly tickStats = new TickStats();
  /** Seeded from the world seed: NPC behaviour is deterministic for a given seed. */
  readonly rng: Rng;
  /** Player and NPC callsigns, a sequence of their own (join order does not disturb NPC behaviour). */
  readonly callsigns: Callsigns;
  tick = 0;
  /** Simulated time in ms (tick * period): cooldowns and budgets use it, not the wall clock. */
  timeMs = 0;

  /**
   * Generates the world, then replays `image` (what the zone's store holds) onto it before the
   * colliders are built. Without an image the world is as generated and the log starts empty.
   */
  /** `gen`: the world generated from config (generateWorldFor) when the caller made it already. */
  constructor(readonly config: ServerConfig, image?: ZoneImage, gen: GeneratedWorld = generateWorldFor(config)) {
    this.gen = gen;
    this.world = this.gen.world;
    this.log = new WorldLog();
    if (image !== undefined) {
      this.log.load(image);
      replayImage(this.world, image);
    }
    this.writer = new ZoneWriter(null, this.log, worldIdentity(config), this.writerOptions(), config.zone, config.shard);
    this.entities = new EntityTable(config.maxPlayers + config.npcCount);
    this.colliders = new ChunkColliders(this.world);
    this.colliders.buildAll();
    this.meshQueue = new ChunkQueue(this.world.chunkCount, Math.min(config.meshQueueCapacity, this.world.chunkCount));
    this.rng = new Rng((config.seed ^ 0x5eed) >>> 0);
    this.callsigns = new Callsigns(config.seed);
  }

  /** Hands the log to `store` from now on (the store this game's image came from). */
  attachStore(store: ZoneStore): ZoneWriter {
    this.writer = new ZoneWriter(store, this.log, worldIdentity(this.config), this.writerOptions(), this.config.zone, this.config.shard);
    return this.writer;
  }

  private writerOptions(): ZoneWriterOptions {
    const c = this.config;
    return {
      maxPendingEdits: c.storeMaxPendingEdits, maxBatchEdits: c.storeMaxBatchEdits, compactEveryEdits: c.compactEveryEdits,
      compactEveryMs: c.compactEveryMs, retryMs: c.storeRetryMs,
    };
  }

  /** A pooled impact record for the carve system (reset by it each tick). */
  addImpact(): PendingImpact {
    if (this.impactCount === this.impacts.length) {
      this.impacts.push({
        impactId: 0, projectileId: 0, shooterId: 0, commandId: -1, sessionId: "", x: 0, y: 0, z: 0, vx: 0, vy: 0, vz: 0, did: 0, parent: undefined,
      });
    }
    return this.impacts[this.impactCount++];
  }

  /** Feet position on the ground at column (x, z): one voxel above the collider surface. */
  groundY(x: number, z: number): number {
    return this.colliders.surfaceAt(x, z) + 1;
  }

  /** Spawns the NPCs around the world spawn (deterministic in the seed). */
  spawnNpcs(): void {
    const [sx, , sz] = this.gen.spawn;
    for (let i = 0; i < this.config.npcCount; i++) {
      const a = this.rng.next() * Math.PI * 2;
      const r = 8 + this.rng.next() * 40;
      const x = clamp(sx + Math.cos(a) * r, 1, this.world.maxX - 1);
      const z = clamp(sz + Math.sin(a) * r, 1, this.world.maxZ - 1);
      const e = this.entities.spawn(EntityKind.Npc, x, this.groundY(x, z), z);
      if (e === null) break;
      e.yaw = this.rng.next() * Math.PI * 2;
      e.callsign = this.callsigns.next("npc", this.callsignInUse);
    }
  }

  /** True when a live entity has `callsign`. */
  readonly callsignInUse = (callsign: string): boolean => {
    const slots = this.entities.slots;
    for (let s = 0; s < this.entities.highWater; s++) if (slots[s]?.callsign === callsign) return true;
    return false;
  };

  /** The team with fewer players (Alpha on a tie). */
  smallerTeam(): Team {
    let alpha = 0;
    let bravo = 0;
    const slots = this.entities.slots;
    for (let s = 0; s < this.entities.highWater; s++) {
      const t = slots[s]?.team;
      if (t === Team.Alpha) alpha++;
      else if (t === Team.Bravo) bravo++;
    }
    return bravo < alpha ? Team.Bravo : Team.Alpha;
  }

  /**
   * Brings a downed entity back once its respawn time has come: full health, at rest, at a
   * random point of the spawn area (the seeded Rng: deterministic for a seed). True when it
   * respawned this call.
   */
  respawnIfDue(e: Entity): boolean {
    if (e.respawnAtMs < 0 || this.timeMs < e.respawnAtMs) return false;
    e.respawnAtMs = -1;
    e.health = MAX_HEALTH;
    const [sx, , sz] = this.gen.spawn;
    const m = e.move;
    m.x = clamp(sx + (this.rng.next() - 0.5) * 16, 1, this.world.maxX - 1);
    m.z = clamp(sz + (this.rng.next() - 0.5) * 16, 1, this.world.maxZ - 1);
    m.y = this.groundY(m.x, m.z);
    m.vx = m.vy = m.vz = 0;
    e.lastX = m.x;
    e.lastZ = m.z;
    return true;
  }

  /** Spawns a player entity for a session near the world spawn; null when the zone is full. */
  spawnPlayer(sessionId: string): Entity | null {
    if (this.entities.countKind(EntityKind.Player) >= this.config.maxPlayers) return null;
    const [sx, sy, sz] = this.gen.spawn;
    let x = sx;
    let z = sz;
    const spread = this.config.spawnSpread;
    if (spread > 0) {
      const a = Math.random() * Math.PI * 2;
      const r = Math.random() * spread;
      x = clamp(sx + Math.cos(a) * r, 1, this.world.maxX - 1);
      z = clamp(sz + Math.sin(a) * r, 1, this.world.maxZ - 1);
    }
    const y = spread > 0 ? this.groundY(x, z) : sy;
    const team = this.smallerTeam();
    const e = this.entities.spawn(EntityKind.Player, x, y, z);
    if (e === null) return null;
    e.yaw = SPAWN_YAW;
    e.team = team;
    e.callsign = this.callsigns.next("player", this.callsignInUse);
    e.control = new PlayerControl(sessionId);
    e.control.nextFireMs = this.timeMs;
    return e;
  }
}

/** The zone's generated world (terrain, caves, structures) before any edit: deterministic in the config's seed and size. */
export function generateWorldFor(config: ServerConfig): GeneratedWorld {
  return generateWorld({ seed: config.seed, chunksX: config.chunksX, chunksY: config.chunksY, chunksZ: config.chunksZ });
}

/** What the zone's world is generated from (a store refuses to load a zone of another). */
export function worldIdentity(config: ServerConfig): WorldIdentity {
  return { seed: config.seed, chunksX: config.chunksX, chunksY: config.chunksY, chunksZ: config.chunksZ };
}
