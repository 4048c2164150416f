import type { RayHit } from "../../shared/physics/raycast.ts";
import { CarveResult, carveSphere } from "../../shared/voxel/carve.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { CarveEvent, CarveListener, WorldAuthority } from "./authority.ts";
import { MaterialTally } from "./material-tally.ts";
import { PROJECTILE, Projectiles } from "./projectiles.ts";

/** Single-player authority: projectiles fly and carve in this tab's World. */
export class LocalAuthority implements WorldAuthority {
  readonly projectiles = new Projectiles();
  readonly cooldown = PROJECTILE.cooldown;
  private shots = 0;
  private readonly carve = new CarveResult();
  private readonly listeners: CarveListener[] = [];
  private readonly event = { material: 0, x: 0, y: 0, z: 0, radius: 0, voxels: 0, dirty: this.carve.dirty };
  private readonly tally = new MaterialTally();
  private readonly onImpact = (hit: RayHit) => this.impact(hit);

  constructor(private readonly world: World) {}

  fire(origin: ArrayLike<number>, dir: ArrayLike<number>): number {
    const id = this.shots + 1;
    if (!this.projectiles.spawn(origin[0], origin[1], origin[2], dir[0], dir[1], dir[2], id)) return -1;
    this.shots = id;
    return id;
  }

  update(dt: number): void {
    this.projectiles.step(this.world, dt, this.onImpact);
  }

  onCarve(listener: CarveListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  dispose(): void {
    this.listeners.length = 0;
    this.projectiles.count = 0;
  }

  private impact(hit: RayHit): void {
    const r = PROJECTILE.craterRadius;
    const voxels = carveSphere(this.world, hit.px, hit.py, hit.pz, r, this.carve);
    if (voxels === 0) return;
    this.tally.clear();
    for (let i = 0; i < this.carve.count; i++) this.tally.add(this.carve.oldMaterial[i]);
    const e = this.event;
    e.material = this.tally.top();
    e.x = hit.px;
    e.y = hit.py;
    e.z = hit.pz;
    e.radius = r;
    e.voxels = voxels;
    const event: CarveEvent = e;
    for (const l of this.listeners) l(event);
  }
}
