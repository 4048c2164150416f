// Interest management and delta building for one client. The state remembers, per entity slot,
// which entity this client was last sent and its quantised position/yaw/health, so each tick
// only entities that changed are written, as small relative moves where possible. Entities
// enter within `radius` and leave beyond 1.1 * radius (hysteresis against flicker at the edge).
import { EntityFlag, POS_SCALE, quantPos, quantYaw, SelfFlag } from "../../shared/protocol/messages.ts";
import type { EntityFrame, IdList, ProjectileFrame, SelfState } from "../../shared/protocol/messages.ts";
import { isDowned } from "../game/entities.ts";
import type { Entity, EntityTable } from "../game/entities.ts";

const ENTER_FLAGS = EntityFlag.Enter | EntityFlag.PosAbs | EntityFlag.Yaw | EntityFlag.Health;
const LEAVE_FACTOR2 = 1.1 * 1.1;

/** What one client has been sent. Sized once to the entity table's capacity. */
export class InterestState {
  readonly sentId: Uint32Array;
  readonly qx: Int32Array;
  readonly qy: Int32Array;
  readonly qz: Int32Array;
  readonly qyaw: Uint8Array;
  readonly qhp: Uint8Array;
  /** Entities currently in view. */
  count = 0;
  /** Projectiles this client was told about and not yet told have ended. */
  private known = new Uint32Array(16);
  knownCount = 0;
  /** Last self state sent, and ticks since. */
  readonly lastSelf: SelfState = { x: NaN, y: 0, z: 0, vx: 0, vy: 0, vz: 0, flags: 0, health: 0 };
  selfAge = 0;
  lastAck = -1;

  constructor(capacity: number) {
    this.sentId = new Uint32Array(capacity);
    this.qx = new Int32Array(capacity);
    this.qy = new Int32Array(capacity);
    this.qz = new Int32Array(capacity);
    this.qyaw = new Uint8Array(capacity);
    this.qhp = new Uint8Array(capacity);
  }

  /** Forgets everything sent (before a full snapshot). */
  reset(): void {
    this.sentId.fill(0);
    this.count = 0;
    this.knownCount = 0;
    this.lastSelf.x = NaN;
    this.selfAge = 0;
    this.lastAck = -1;
  }

  /** Remembers that the client knows projectile `id`. */
  addKnown(id: number): void {
    if (this.knownCount === this.known.length) {
      const grown = new Uint32Array(this.known.length * 2);
      grown.set(this.known);
      this.known = grown;
    }
    this.known[this.knownCount++] = id;
  }

  /** Forgets projectile `id`; true when the client knew it. */
  removeKnown(id: number): boolean {
    for (let i = 0; i < this.knownCount; i++) {
      if (this.known[i] === id) {
        this.known[i] = this.known[--this.knownCount];
        return true;
      }
    }
    return false;
  }
}

/**
 * Every entity slot's state quantised once per tick, shared by all clients' delta builds (so
 * the per-client loop is integer compares, not float rounding).
 */
export class QuantFrame {
  readonly id: Uint32Array;
  readonly kind: Uint8Array;
  readonly team: Uint8Array;
  readonly px: Float64Array;
  readonly py: Float64Array;
  readonly pz: Float64Array;
  readonly qx: Int32Array;
  readonly qy: Int32Array;
  readonly qz: Int32Array;
  readonly qyaw: Uint8Array;
  readonly hp: Uint8Array;
  highWater = 0;

  constructor(capacity: number) {
    this.id = new Uint32Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.team = new Uint8Array(capacity);
    this.px = new Float64Array(capacity);
    this.py = new Float64Array(capacity);
    this.pz = new Float64Array(capacity);
    this.qx = new Int32Array(capacity);
    this.qy = new Int32Array(capacity);
    this.qz = new Int32Array(capacity);
    this.qyaw = new Uint8Array(capacity);
    this.hp = new Uint8Array(capacity);
  }

  /** Captures the table's current state. Allocation-free. */
  update(table: EntityTable): void {
    const slots = table.slots;
    this.highWater = table.highWater;
    for (let s = 0; s < table.highWater; s++) {
      const e = slots[s];
      if (e === null) {
        this.id[s] = 0;
        continue;
      }
      const m = e.move;
      this.id[s] = e.id;
      this.kind[s] = e.kind;
      this.team[s] = e.team;
      this.px[s] = m.x;
      this.py[s] = m.y;
      this.pz[s] = m.z;
      this.qx[s] = quantPos(m.x);
      this.qy[s] = quantPos(m.y);
      this.qz[s] = quantPos(m.z);
      this.qyaw[s] = quantYaw(e.yaw);
      this.hp[s] = e.health;
    }
  }
}

/**
 * Writes into `frame` the records this client needs for the entities around `viewer` and into
 * `removed` the ids that left its view, updating `st`. Allocation-free (frames grow once).
 */
export function buildEntityUpdates(
  q: QuantFrame,
  st: InterestState,
  viewer: Entity,
  radius: number,
  frame: EntityFrame,
  removed: IdList,
): void {
  frame.clear();
  removed.clear();
  const r2 = radius * radius;
  const out2 = r2 * LEAVE_FACTOR2;
  const vx = viewer.move.x;
  const vy = viewer.move.y;
  const vz = viewer.move.z;
  const self = viewer.slot;
  const sent = st.sentId;
  for (let s = 0; s < q.highWater; s++) {
    const id = q.id[s];
    let prev = sent[s];
    if (prev !== 0 && id !== prev) {
      removed.push(prev);
      sent[s] = 0;
      st.count--;
      prev = 0;
    }
    if (id === 0 || s === self) continue;
    const dx = q.px[s] - vx;
    const dy = q.py[s] - vy;
    const dz = q.pz[s] - vz;
    const d2 = dx * dx + dy * dy + dz * dz;
    if (prev === 0) {
      if (d2 > r2) continue;
      const i = frame.push();
      frame.id[i] = id;
      frame.flags[i] = ENTER_FLAGS;
      frame.kind[i] = q.kind[s];
      frame.team[i] = q.team[s];
      frame.x[i] = q.qx[s];
      frame.y[i] = q.qy[s];
      frame.z[i] = q.qz[s];
      frame.yaw[i] = q.qyaw[s];
      frame.health[i] = q.hp[s];
      sent[s] = id;
      st.count++;
    } else {
      if (d2 > out2) {
        removed.push(prev);
        sent[s] = 0;
        st.count--;
        continue;
      }
      const mx = q.qx[s] - st.qx[s];
      const my = q.qy[s] - st.qy[s];
      const mz = q.qz[s] - st.qz[s];
      let flags = 0;
      if (q.qyaw[s] !== st.qyaw[s]) flags |= EntityFlag.Yaw;
      if (q.hp[s] !== st.qhp[s]) flags |= EntityFlag.Health;
      let px = mx;
      let py = my;
      let pz = mz;
      if ((mx | my | mz) !== 0) {
        if (my === 0 && mx >= -8 && mx <= 7 && mz >= -8 && mz <= 7) flags |= EntityFlag.PosXZ4;
        else if (mx >= -128 && mx <= 127 && my >= -128 && my <= 127 && mz >= -128 && mz <= 127) flags |= EntityFlag.Pos8;
        else {
          flags |= EntityFlag.PosAbs;
          px = q.qx[s];
          py = q.qy[s];
          pz = q.qz[s];
        }
      }
      if (flags === 0) continue;
      const i = frame.push();
      frame.id[i] = id;
      frame.flags[i] = flags;
      frame.x[i] = px;
      frame.y[i] = py;
      frame.z[i] = pz;
      frame.yaw[i] = q.qyaw[s];
      frame.health[i] = q.hp[s];
    }
    st.qx[s] = q.qx[s];
    st.qy[s] = q.qy[s];
    st.qz[s] = q.qz[s];
    st.qyaw[s] = q.qyaw[s];
    st.qhp[s] = q.hp[s];
  }
}

/**
 * Copies the projectiles spawned this tick within `radius` of the viewer into `out` and marks
 * them known; adds ended projectiles the client knew to `despawns`. Allocation-free.
 */
export function buildProjectileUpdates(
  spawned: ProjectileFrame,
  despawned: IdList,
  st: InterestState,
  viewer: Entity,
  radius: number,
  out: ProjectileFrame,
  despawns: IdList,
): void {
  out.clear();
  despawns.clear();
  const r = radius * POS_SCALE;
  const r2 = r * r;
  const qx = viewer.move.x * POS_SCALE;
  const qy = viewer.move.y * POS_SCALE;
  const qz = viewer.move.z * POS_SCALE;
  for (let i = 0; i < spawned.count; i++) {
    const dx = spawned.x[i] - qx;
    const dy = spawned.y[i] - qy;
    const dz = spawned.z[i] - qz;
    if (dx * dx + dy * dy + dz * dz > r2 && spawned.owner[i] !== viewer.id) continue;
    const j = out.push();
    out.id[j] = spawned.id[i];
    out.owner[j] = spawned.owner[i];
    out.commandId[j] = spawned.commandId[i];
    out.x[j] = spawned.x[i];
    out.y[j] = spawned.y[i];
    out.z[j] = spawned.z[i];
    out.vx[j] = spawned.vx[i];
    out.vy[j] = spawned.vy[i];
    out.vz[j] = spawned.vz[i];
    st.addKnown(spawned.id[i]);
  }
  for (let i = 0; i < despawned.count; i++) if (st.removeKnown(despawned.ids[i])) despawns.push(despawned.ids[i]);
}

/** Copies the viewer's authoritative state into `self`; true when it differs from what was last sent. */
export function buildSelf(viewer: Entity, st: InterestState, self: SelfState): boolean {
  const m = viewer.move;
  self.x = m.x;
  self.y = m.y;
  self.z = m.z;
  self.vx = m.vx;
  self.vy = m.vy;
  self.vz = m.vz;
  self.flags = (m.onGround ? SelfFlag.OnGround : 0) | (isDowned(viewer) ? SelfFlag.Downed : 0);
  self.health = viewer.health;
  const l = st.lastSelf;
  const changed = Math.fround(l.x) !== Math.fround(self.x) || Math.fround(l.y) !== Math.fround(self.y) || Math.fround(l.z) !== Math.fround(self.z)
    || Math.fround(l.vx) !== Math.fround(self.vx) || Math.fround(l.vy) !== Math.fround(self.vy) || Math.fround(l.vz) !== Math.fround(self.vz)
    || l.flags !== self.flags || l.health !== self.health;
  return changed;
}

/** Records `self` as sent. */
export function markSelfSent(st: InterestState, self: SelfState): void {
  const l = st.lastSelf;
  l.x = self.x;
  l.y = self.y;
  l.z = self.z;
  l.vx = self.vx;
  l.vy = self.vy;
  l.vz = self.vz;
  l.flags = self.flags;
  l.health = self.health;
  st.selfAge = 0;
}
