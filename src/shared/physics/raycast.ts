// Voxel ray cast: Amanatides & Woo, "A Fast Voxel Traversal Algorithm for Ray Tracing" (1987).
// Visits every voxel the ray passes through, in order, so the first solid one is the hit.
import { Material } from "../voxel/materials.ts";
import type { World } from "../voxel/world.ts";

/** Reusable output of raycastVoxels. */
export class RayHit {
  /** Hit voxel (world voxel coords). */
  x = 0;
  y = 0;
  z = 0;
  /** Outward normal of the face the ray entered through; all 0 when the ray starts inside a solid. */
  nx = 0;
  ny = 0;
  nz = 0;
  /** Distance from the origin along the normalised direction. */
  distance = 0;
  /** Hit point on the voxel's surface (the origin when starting inside). */
  px = 0;
  py = 0;
  pz = 0;
  /** Material of the hit voxel. */
  material = 0;
}

/**
 * Casts a ray from (ox, oy, oz) along (dx, dy, dz) (need not be unit length) up to `maxDist`
 * and fills `out` with the first solid voxel. Outside the world is air horizontally and above,
 * bedrock below y = 0 (as World.get). Allocation-free. Returns false on a miss.
 */
export function raycastVoxels(
  world: World,
  ox: number, oy: number, oz: number,
  dx: number, dy: number, dz: number,
  maxDist: number,
  out: RayHit,
): boolean {
  const len = Math.sqrt(dx * dx + dy * dy + dz * dz);
  if (!(len > 0) || !Number.isFinite(len) || !Number.isFinite(ox + oy + oz) || !(maxDist >= 0)) return false;
  dx /= len;
  dy /= len;
  dz /= len;
  let ix = Math.floor(ox);
  let iy = Math.floor(oy);
  let iz = Math.floor(oz);
  const stepX = dx > 0 ? 1 : dx < 0 ? -1 : 0;
  const stepY = dy > 0 ? 1 : dy < 0 ? -1 : 0;
  const stepZ = dz > 0 ? 1 : dz < 0 ? -1 : 0;
  // Ray distance to cross one whole voxel along each axis, and to the first boundary.
  const tDeltaX = stepX !== 0 ? 1 / Math.abs(dx) : Infinity;
  const tDeltaY = stepY !== 0 ? 1 / Math.abs(dy) : Infinity;
  const tDeltaZ = stepZ !== 0 ? 1 / Math.abs(dz) : Infinity;
  let tMaxX = stepX > 0 ? (ix + 1 - ox) * tDeltaX : stepX < 0 ? (ox - ix) * tDeltaX : Infinity;
  let tMaxY = stepY > 0 ? (iy + 1 - oy) * tDeltaY : stepY < 0 ? (oy - iy) * tDeltaY : Infinity;
  let tMaxZ = stepZ > 0 ? (iz + 1 - oz) * tDeltaZ : stepZ < 0 ? (oz - iz) * tDeltaZ : Infinity;
  let nx = 0;
  let ny = 0;
  let nz = 0;
  let t = 0;
  for (;;) {
    const m = world.get(ix, iy, iz);
    if (m !== Material.Air) {
      out.x = ix;
      out.y = iy;
      out.z = iz;
      out.nx = nx;
      out.ny = ny;
      out.nz = nz;
      out.distance = t;
      out.px = ox + dx * t;
      out.py = oy + dy * t;
      out.pz = oz + dz * t;
      out.material = m;
      return true;
    }
    // Past the world and not heading down: only air lies ahead, even when maxDist is Infinity.
    if (stepY >= 0 && (iy >= world.maxY || (ix < 0 && stepX <= 0) || (ix >= world.maxX && stepX >= 0) ||
      (iz < 0 && stepZ <= 0) || (iz >= world.maxZ && stepZ >= 0))) return false;
    if (tMaxX < tMaxY && tMaxX < tMaxZ) {
      t = tMaxX;
      if (t > maxDist) return false;
      ix += stepX;
      tMaxX += tDeltaX;
      nx = -stepX;
      ny = 0;
      nz = 0;
    } else if (tMaxY < tMaxZ) {
      t = tMaxY;
      if (t > maxDist) return false;
      iy += stepY;
      tMaxY += tDeltaY;
      nx = 0;
      ny = -stepY;
      nz = 0;
    } else {
      t = tMaxZ;
      if (t > maxDist) return false;
      iz += stepZ;
      tMaxZ += tDeltaZ;
      nx = 0;
      ny = 0;
      nz = -stepZ;
    }
  }
}
