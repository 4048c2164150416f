// Players and NPCs: a fixed-capacity slot table. Slots are reused, entity ids never are, so a
// client's interest state (indexed by slot) can tell a new occupant from the old one.
import { createPlayerState } from "../../shared/physics/movement.ts";
import type { MoveInput, PlayerState } from "../../shared/physics/movement.ts";
import { EntityKind, Team } from "../../shared/protocol/messages.ts";
import type { PlayerControl } from "./control.ts";

/** Hit points of a fresh player or NPC. */
export const MAX_HEALTH = 100;

/** One simulated character. Allocated on spawn, never per tick. */
export class Entity {
  readonly move: PlayerState;
  /** Reused input for NPCs (players step with their queued inputs). */
  readonly npcInput: MoveInput = { forward: 0, right: 0, jump: false, yaw: 0 };
  yaw = 0;
  pitch = 0;
  health = MAX_HEALTH;
  /** Server-chosen display name (see callsigns.ts); never a log field or metric label. */
  callsign = "";
  team: Team = Team.None;
  /** Entities this one downed, and times it was downed (the scoreboard). */
  downs = 0;
  deaths = 0;
  /** Simulated time (ms) at which a downed entity respawns; -1 while it is up. */
  respawnAtMs = -1;
  /** NPC wander state: ticks until the next heading change, and last position for stuck checks. */
  wanderTicks = 0;
  lastX = 0;
  lastZ = 0;
  /** Set for players: the command queues filled by the network layer. */
  control: PlayerControl | null = null;

  constructor(
    readonly id: number,
    readonly slot: number,
    readonly kind: EntityKind,
    x: number,
    y: number,
    z: number,
  ) {
    this.move = createPlayerState(x, y, z);
    this.lastX = x;
    this.lastZ = z;
  }
}

/** Slot table of entities; `highWater` bounds every scan. */
export class EntityTable {
  readonly slots: (Entity | null)[];
  highWater = 0;
  count = 0;
  private nextId = 1;
  private readonly free: number[] = [];

  constructor(readonly capacity: number) {
    this.slots = new Array<Entity | null>(capacity).fill(null);
  }

  /** Spawns an entity; null when the table is full. */
  spawn(kind: EntityKind, x: number, y: number, z: number): Entity | null {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.highWater >= this.capacity) return null;
      slot = this.highWater++;
    }
    const e = new Entity(this.nextId++, slot, kind, x, y, z);
    this.slots[slot] = e;
    this.count++;
    return e;
  }

  /** Removes an entity (its slot is reused later). */
  remove(e: Entity): void {
    if (this.slots[e.slot] !== e) return;
    this.slots[e.slot] = null;
    this.free.push(e.slot);
    this.count--;
  }

  /** Number of live entities of a kind (tests, stats). */
  countKind(kind: EntityKind): number {
    let n = 0;
    for (let s = 0; s < this.highWater; s++) if (this.slots[s]?.kind === kind) n++;
    return n;
  }

  /** The live entity with `id`, if any (linear: for tests and rare lookups). */
  byId(id: number): Entity | null {
    for (let s = 0; s < this.highWater; s++) if (this.slots[s]?.id === id) return this.slots[s];
    return null;
  }
}

/** True while the entity is downed (not hittable, not moving, waiting to respawn). */
export function isDowned(e: Entity): boolean {
  return e.respawnAtMs >= 0;
}

/** True for NPC entities. */
export function isNpc(e: Entity): boolean {
  return e.kind === EntityKind.Npc;
}
