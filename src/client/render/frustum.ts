import type { Mat4 } from "./mat4.ts";

/**
 * Six clip planes (left, right, bottom, top, near, far) as (a, b, c, d) with the normal
 * pointing inside: a point p is inside a plane when a*px + b*py + c*pz + d >= 0.
 * 24 floats, allocated once by the caller and refilled every frame.
 */
export type Frustum = Float32Array;

/** A frustum buffer to reuse across frames. */
export function frustumCreate(): Frustum {
  return new Float32Array(24);
}

/**
 * Extracts the planes of a view-projection matrix (Gribb & Hartmann). WebGPU clips depth to
 * 0 <= z <= w, so the near plane is row 2 alone rather than row 3 + row 2 as in OpenGL.
 * Planes are normalised so d is a true distance (useful for sphere tests and debugging).
 */
export function frustumFromMatrix(out: Frustum, m: Mat4): Frustum {
  // Row r of a column-major matrix is (m[r], m[4 + r], m[8 + r], m[12 + r]).
  for (let p = 0; p < 6; p++) {
    const row = p >> 1; // 0: x, 1: y, 2: z
    const sign = (p & 1) === 0 ? 1 : -1;
    let a: number, b: number, c: number, d: number;
    if (p === 4) {
      a = m[2]; b = m[6]; c = m[10]; d = m[14];
    } else {
      const r = p === 5 ? 2 : row;
      a = m[3] + sign * m[r];
      b = m[7] + sign * m[4 + r];
      c = m[11] + sign * m[8 + r];
      d = m[15] + sign * m[12 + r];
    }
    const len = Math.hypot(a, b, c) || 1;
    out[p * 4] = a / len;
    out[p * 4 + 1] = b / len;
    out[p * 4 + 2] = c / len;
    out[p * 4 + 3] = d / len;
  }
  return out;
}

/**
 * True when the axis-aligned box intersects (or may intersect) the frustum. For each plane
 * only the box corner furthest along the plane normal is tested: if even that corner is
 * outside, the whole box is. Conservative near frustum corners, which is fine for culling.
 */
export function aabbInFrustum(
  f: Frustum,
  minX: number, minY: number, minZ: number,
  maxX: number, maxY: number, maxZ: number,
): boolean {
  for (let p = 0; p < 24; p += 4) {
    const a = f[p], b = f[p + 1], c = f[p + 2];
    const x = a >= 0 ? maxX : minX;
    const y = b >= 0 ? maxY : minY;
    const z = c >= 0 ? maxZ : minZ;
    if (a * x + b * y + c * z + f[p + 3] < 0) return false;
  }
  return true;
}
