// Client-side mirror of the entities the server streams: applies a join snapshot and then each
// delta (quantised, relative to what this client was sent before) to recover positions. Shared
// by the headless bots and the browser client.
import { dequantYaw, EntityFlag, POS_SCALE } from "./messages.ts";
import type { DeltaMsg, ProjectileFrame, SnapshotMsg } from "./messages.ts";

/** One mirrored entity: quantised state as sent, plus world-unit position for convenience. */
export interface MirroredEntity {
  readonly id: number;
  kind: number;
  team: number;
  qx: number;
  qy: number;
  qz: number;
  qyaw: number;
  health: number;
  x: number;
  y: number;
  z: number;
  yaw: number;
}

/** A projectile the client was told about: origin, velocity and the tick it was seen. */
export interface MirroredProjectile {
  readonly id: number;
  owner: number;
  commandId: number;
  x: number;
  y: number;
  z: number;
  vx: number;
  vy: number;
  vz: number;
  tick: number;
}

/** Entities and projectiles in this client's interest, kept in step with snapshot + deltas. */
export class EntityMirror {
  readonly entities = new Map<number, MirroredEntity>();
  readonly projectiles = new Map<number, MirroredProjectile>();
  tick = 0;
  /** Records that referred to an entity the mirror does not hold (a protocol bug if ever > 0). */
  inconsistencies = 0;

  /** Replaces everything with the snapshot's contents. */
  applySnapshot(m: SnapshotMsg): void {
    this.entities.clear();
    this.projectiles.clear();
    this.tick = m.tick;
    this.applyRecords(m);
    this.addProjectiles(m.projectiles, m.tick);
  }

  /** Applies one per-tick delta. */
  applyDelta(m: DeltaMsg): void {
    this.tick = m.tick;
    for (let i = 0; i < m.removed.count; i++) this.entities.delete(m.removed.ids[i]);
    this.applyRecords(m);
    this.addProjectiles(m.projectileSpawns, m.tick);
    for (let i = 0; i < m.projectileDespawns.count; i++) this.projectiles.delete(m.projectileDespawns.ids[i]);
  }

  private applyRecords(m: SnapshotMsg | DeltaMsg): void {
    const f = m.entities;
    for (let i = 0; i < f.count; i++) {
      const id = f.id[i];
      const flags = f.flags[i];
      let e = this.entities.get(id);
      if (flags & EntityFlag.Enter) {
        if (e === undefined) {
          e = { id, kind: 0, team: 0, qx: 0, qy: 0, qz: 0, qyaw: 0, health: 0, x: 0, y: 0, z: 0, yaw: 0 };
          this.entities.set(id, e);
        }
        e.kind = f.kind[i];
        e.team = f.team[i];
      } else if (e === undefined) {
        this.inconsistencies++;
        continue;
      }
      if (flags & EntityFlag.PosAbs) {
        e.qx = f.x[i];
        e.qy = f.y[i];
        e.qz = f.z[i];
      } else if (flags & (EntityFlag.PosXZ4 | EntityFlag.Pos8)) {
        e.qx += f.x[i];
        e.qy += f.y[i];
        e.qz += f.z[i];
      }
      if (flags & EntityFlag.Yaw) e.qyaw = f.yaw[i];
      if (flags & EntityFlag.Health) e.health = f.health[i];
      e.x = e.qx / POS_SCALE;
      e.y = e.qy / POS_SCALE;
      e.z = e.qz / POS_SCALE;
      e.yaw = dequantYaw(e.qyaw);
    }
  }

  private addProjectiles(p: ProjectileFrame, tick: number): void {
    for (let i = 0; i < p.count; i++) {
      this.projectiles.set(p.id[i], {
        id: p.id[i], owner: p.owner[i], commandId: p.commandId[i],
        x: p.x[i] / POS_SCALE, y: p.y[i] / POS_SCALE, z: p.z[i] / POS_SCALE,
        vx: p.vx[i] / POS_SCALE, vy: p.vy[i] / POS_SCALE, vz: p.vz[i] / POS_SCALE,
        tick,
      });
    }
  }
}
