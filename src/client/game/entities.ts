// Other players and NPCs as the server streams them: the shared EntityMirror decodes the
// quantised snapshot and deltas, each entity gets an interpolation track of its positions per
// server tick, and every frame draws each entity where it was INTERPOLATION.delayMs ago, as a
// body box plus a small box at head height on the side it faces.
import { MOVE } from "../../shared/physics/movement.ts";
import { EntityKind, EntityMirror } from "../../shared/protocol/index.ts";
import type { DeltaMsg, SnapshotMsg } from "../../shared/protocol/index.ts";
import { EntityTrack } from "./interpolation.ts";
import type { TrackSample } from "./interpolation.ts";

/** Where boxes go (the renderer's BoxBatch). */
export interface BoxSink {
  push(x: number, y: number, z: number, hx: number, hy: number, hz: number, r: number, g: number, b: number): boolean;
}

/** Look of remote entities (linear RGB). */
export const ENTITY_STYLE = {
  player: [0.2, 0.42, 1.0],
  npc: [0.32, 0.78, 0.3],
  head: [0.95, 0.9, 0.8],
  /** Colour of an entity just hit, for flashSeconds. */
  hit: [1.0, 0.12, 0.08],
  flashSeconds: 0.2,
  headHalf: 0.14,
  /** Head marker distance in front of the body centre (voxels). */
  headForward: 0.3,
  /**
   * Players do not collide with each other, so one can stand where the camera is; an entity
   * whose body is this close (horizontally, voxels) around the camera is not drawn, or its
   * boxes would fill the view.
   */
  hideWithin: 0.7,
} as const;

/** One remote entity as drawn. */
interface Remote {
  id: number;
  kind: number;
  readonly track: EntityTrack;
  /** Server tick at which it left this client's view; drawn until then (Infinity while in view). */
  leaveTick: number;
  /** Seconds of hit flash left. */
  flash: number;
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

  /** Flashes entity `id` (it was hit). */
  flash(id: number): void {
    const r = this.byId.get(id);
    if (r !== undefined) r.flash = ENTITY_STYLE.flashSeconds;
  }

  /** Advances flashes and drops entities whose departure the render time has passed. */
  update(dt: number, renderTick: number): void {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const r = this.list[i];
      if (r.flash > 0) r.flash = Math.max(0, r.flash - dt);
      if (renderTick >= r.leaveTick) this.release(i);
    }
  }

  /** Pushes every entity's boxes at server tick `renderTick` (fractional), except any around the camera `eye`. */
  draw(boxes: BoxSink, renderTick: number, eye: ArrayLike<number>): void {
    const s = ENTITY_STYLE;
    const hw = MOVE.halfWidth;
    const hh = MOVE.height / 2;
    const at = this.at;
    for (let i = 0; i < this.list.length; i++) {
      const r = this.list[i];
      if (!r.track.sample(renderTick, at)) continue;
      const ex = eye[0] - at.x;
      const ez = eye[2] - at.z;
      if (ex * ex + ez * ez < s.hideWithin * s.hideWithin && eye[1] >= at.y && eye[1] <= at.y + MOVE.height + s.headHalf) continue;
      const c = r.flash > 0 ? s.hit : r.kind === EntityKind.Player ? s.player : s.npc;
      if (!boxes.push(at.x, at.y + hh, at.z, hw, hh, hw, c[0], c[1], c[2])) return;
      // yaw 0 faces -Z: forward = (-sin yaw, 0, -cos yaw).
      const fx = -Math.sin(at.yaw) * s.headForward;
      const fz = -Math.cos(at.yaw) * s.headForward;
      const h = s.headHalf;
      if (!boxes.push(at.x + fx, at.y + MOVE.eyeHeight, at.z + fz, h, h, h, s.head[0], s.head[1], s.head[2])) return;
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
      } else if (r.leaveTick !== Infinity) {
        // Back in view after leaving: start a fresh track rather than glide across the gap.
        r.leaveTick = Infinity;
        r.track.clear();
      }
      r.track.push(tick, e.x, e.y, e.z, e.yaw);
    }
  }

  private acquire(id: number, kind: number): Remote {
    const r = this.spare.pop() ?? { id: 0, kind: 0, track: new EntityTrack(), leaveTick: Infinity, flash: 0 };
    r.id = id;
    r.kind = kind;
    r.leaveTick = Infinity;
    r.flash = 0;
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
    this.spare.push(r);
  }
}
