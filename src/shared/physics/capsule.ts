// Ray / segment against a vertical capsule (players and NPCs). A capsule is convex and is the
// union of a finite cylinder and two end spheres, so the entry point is the earliest entry
// into any of them; the cylinder's flat ends lie inside the spheres and can be ignored.

/**
 * Intersects the ray o + t*d (t >= 0, d need not be unit length) with a vertical capsule whose
 * feet are at (cx, cy, cz), of `radius` and total `height` (>= 2 * radius). Returns the entry
 * t (in multiples of d: the distance when d is unit, the fraction when d is a segment with
 * maxT = 1), 0 when o is inside, or -1 when there is no hit with t <= maxT. Allocation-free.
 */
export function rayCapsule(
  ox: number, oy: number, oz: number,
  dx: number, dy: number, dz: number,
  maxT: number,
  cx: number, cy: number, cz: number,
  radius: number, height: number,
): number {
  const y0 = cy + radius;
  const y1 = cy + Math.max(radius, height - radius);
  const r2 = radius * radius;
  const mx = ox - cx;
  const mz = oz - cz;
  // Inside test: distance from o to the axis segment.
  const ay = oy < y0 ? y0 : oy > y1 ? y1 : oy;
  if (mx * mx + (oy - ay) * (oy - ay) + mz * mz <= r2) return 0;

  let best = Infinity;
  // Infinite cylinder around the axis, solved in the XZ plane.
  const a = dx * dx + dz * dz;
  if (a > 1e-12) {
    const b = mx * dx + mz * dz;
    const c = mx * mx + mz * mz - r2;
    const disc = b * b - a * c;
    if (disc < 0) return -1; // The ray misses the infinite cylinder, hence the whole capsule.
    const t = (-b - Math.sqrt(disc)) / a;
    const y = oy + dy * t;
    if (t >= 0 && y >= y0 && y <= y1) best = t;
  }
  best = Math.min(best, raySphere(ox, oy, oz, dx, dy, dz, cx, y0, cz, r2));
  best = Math.min(best, raySphere(ox, oy, oz, dx, dy, dz, cx, y1, cz, r2));
  return best <= maxT ? best : -1;
}

/** Entry t of the ray into a sphere, Infinity when it misses or the sphere is behind. */
function raySphere(
  ox: number, oy: number, oz: number,
  dx: number, dy: number, dz: number,
  sx: number, sy: number, sz: number, r2: number,
): number {
  const mx = ox - sx;
  const my = oy - sy;
  const mz = oz - sz;
  const a = dx * dx + dy * dy + dz * dz;
  if (a === 0) return Infinity;
  const b = mx * dx + my * dy + mz * dz;
  const c = mx * mx + my * my + mz * mz - r2;
  const disc = b * b - a * c;
  if (disc < 0) return Infinity;
  const t = (-b - Math.sqrt(disc)) / a;
  return t >= 0 ? t : Infinity;
}
