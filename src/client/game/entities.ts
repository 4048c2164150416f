// Other players and NPCs as the server streams them: the shared EntityMirror decodes the
// quantised snapshot and deltas, each entity gets an interpolation track of its positions per
// server tick, and every frame draws each entity where it was INTERPOLATION.delayMs ago, as
// its box model (render/entity-models.ts): players in their team's colour as seen from this
// player's team, NPCs as drones, downed ones lying down. An entity this player hit recently
// carries a small health bar.
import { MOVE } from "../../shared/physics/movement.ts";
import { EntityKind, EntityMirror, Team } from "../../shared/protocol/index.ts";
import type { DeltaMsg, MirroredEntity, SnapshotMsg } from "../../shared/protocol/index.ts";
import type { BoxSink } from "../render/box-batch.ts";
import { DOWNED_MODEL, drawHealthBar, drawModel, HEALTH_BAR, NPC_MODEL, PALETTES, PLAYER_MODEL } from "../render/entity-models.ts";
import type { Palette } from "../render/entity-models.ts";
import { EntityTrack } from "./interpolation.ts";
import type { TrackSample } from "./interpolation.ts";

export type { BoxSink } from "../render/box-batch.ts";

/** Look of remote entities. */
export const ENTITY_STYLE = {
  /** Seconds an entity shows white after a hit. */
  flashSeconds: 0.15,
  /** Seconds the health bar stays over an entity after this player last hit it. */
  healthBarSeconds: 4,
  /** Top of the models above the feet (voxels), for the health bar. */
  modelTop: 1.8,
  /**
   * Players do not collide with each other, so one can stand where the camera is; an entity
   * whose body is this close (horizontally, voxels) around the camera is not drawn, or its
   * boxes would fill the view.
   */
  hideWithin: 0.7,
  /** Health of a fresh entity until a welcome says otherwise. */
  maxHealth: 100,
} as const;

/** One remote entity as drawn. */
interface Remote {
  id: number;
  kind: number;
  team: number;
  /** Its mirrored state (health), replaced when it re-enters. */
  state: MirroredEntity | null;
  /** Health at the last sample: a revival (0 to more) restarts the track instead of gliding. */
  lastHealth: number;
  readonly track: EntityTrack;
  /** Server tick at which it left this client's view; drawn until then (Infinity while in view). */
  leaveTick: number;
  /** Seconds of hit flash left. */
  flash: number;
  /** Seconds of health bar left (this player hit it). */
  bar: number;
}

/**
 * The entities in this client's interest, with interpolation. Allocation happens only when an
 * entity first enters (records are pooled); per-delta and per-frame work is allocation-free.
 */
export class RemoteEntities {
  readonly mirror = new EntityMirror();
  private readonly byId = new Map<number, Remote>();
  /** Dense list for per-frame iteration (swap-remove). */
  private readonly list: Remote[] = [];
  private readonly spare: Remote[] = [];
  private readonly at: TrackSample = { x: 0, y: 0, z: 0, yaw: 0 };
  /** This player's team: other players on it are drawn as allies. */
  ownTeam: number = Team.None;
  /** A fresh entity's health (the health bar's full length), from the welcome. */
  maxHealth: number = ENTITY_STYLE.maxHealth;

  /** Entities currently tracked (in view, or leaving but still drawn). */
  get count(): number {
    return this.list.length;
  }

  /** Replaces everything with a join snapshot's entities. */
  applySnapshot(m: SnapshotMsg): void {
    this.mirror.applySnapshot(m);
    for (let i = this.list.length - 1; i >= 0; i--) this.release(i);
    this.record(m.tick, m.entities.id, m.entities.count);
  }

  /** Applies one delta: entities that moved get a sample at its tick, those that left are retired at it. */
  applyDelta(m: DeltaMsg): void {
    this.mirror.applyDelta(m);
    for (let i = 0; i < m.removed.count; i++) {
      const r = this.byId.get(m.removed.ids[i]);
      if (r !== undefined) r.leaveTick = m.tick;
    }
    this.record(m.tick, m.entities.id, m.entities.count);
  }

  /** Flashes entity `id` (it was hit); `byMe` also shows its health bar for a while. */
  flash(id: number, byMe = false): void {
    const r = this.byId.get(id);
    if (r === undefined) return;
    r.flash = ENTITY_STYLE.flashSeconds;
    if (byMe) r.bar = ENTITY_STYLE.healthBarSeconds;
  }

  /** Advances flashes and health bars and drops entities whose departure the render time has passed. */
  update(dt: number, renderTick: number): void {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const r = this.list[i];
      if (r.flash > 0) r.flash = Math.max(0, r.flash - dt);
      if (r.bar > 0) r.bar = Math.max(0, r.bar - dt);
      if (renderTick >= r.leaveTick) this.release(i);
    }
  }

  /** The palette entity `r` is drawn in, from this player's point of view. */
  private paletteOf(r: Remote): Palette {
    if (r.kind === EntityKind.Npc) return PALETTES.npc;
    return r.team !== Team.None && r.team === this.ownTeam ? PALETTES.ally : PALETTES.enemy;
  }

  /**
   * Pushes every entity's model (and health bar, where this player hit it lately) at server
   * tick `renderTick` (fractional), except any around the camera `eye`. Allocation-free.
   */
  draw(boxes: BoxSink, renderTick: number, eye: ArrayLike<number>): void {
    const s = ENTITY_STYLE;
    const at = this.at;
    for (let i = 0; i < this.list.length; i++) {
      const r = this.list[i];
      if (!r.track.sample(renderTick, at)) continue;
      const ex = eye[0] - at.x;
      const ez = eye[2] - at.z;
      if (ex * ex + ez * ez < s.hideWithin * s.hideWithin && eye[1] >= at.y && eye[1] <= at.y + MOVE.height + 0.2) continue;
      const health = r.state?.health ?? 1;
      const palette = this.paletteOf(r);
      if (health === 0) {
        if (!drawModel(boxes, DOWNED_MODEL, palette, at.x, at.y, at.z, at.yaw, false)) return;
        continue;
      }
      if (!drawModel(boxes, r.kind === EntityKind.Npc ? NPC_MODEL : PLAYER_MODEL, palette, at.x, at.y, at.z, at.yaw, r.flash > 0)) return;
      if (r.bar > 0 && !drawHealthBar(boxes, at.x, at.y + s.modelTop + HEALTH_BAR.above, at.z, health / this.maxHealth, eye[0], eye[2])) return;
    }
  }

  /** Feet position of entity `id` at `renderTick` into `out`; false when it is not tracked. */
  position(id: number, renderTick: number, out: TrackSample): boolean {
    const r = this.byId.get(id);
    return r !== undefined && r.track.sample(renderTick, out);
  }

  /** Adds a sample at `tick` for each listed entity, from the mirror's decoded state. */
  private record(tick: number, ids: Uint32Array, n: number): void {
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      const e = this.mirror.entities.get(id);
      if (e === undefined) continue;
      let r = this.byId.get(id);
      if (r === undefined) {
        r = this.acquire(id, e.kind);
      } else if (r.leaveTick !== Infinity || (r.lastHealth === 0 && e.health > 0)) {
        // Back in view after leaving, or up again after a down (at the spawn area): start a
        // fresh track rather than glide across the gap.
        r.leaveTick = Infinity;
        r.track.clear();
        r.bar = 0;
      }
      r.state = e;
      r.team = e.team;
      r.lastHealth = e.health;
      r.track.push(tick, e.x, e.y, e.z, e.yaw);
    }
  }

  private acquire(id: number, kind: number): Remote {
    const r = this.spare.pop() ?? { id: 0, kind: 0, team: 0, state: null, lastHealth: 0, track: new EntityTrack(), leaveTick: Infinity, flash: 0, bar: 0 };
    r.id = id;
    r.kind = kind;
    r.leaveTick = Infinity;
    r.flash = 0;
    r.bar = 0;
    r.track.clear();
    this.byId.set(id, r);
    this.list.push(r);
    return r;
  }

  private release(i: number): void {
    const r = this.list[i];
    const last = this.list.pop() as Remote;
    if (last !== r) this.list[i] = last;
    this.byId.delete(r.id);
    r.state = null;
    this.spare.push(r);
  }
}
