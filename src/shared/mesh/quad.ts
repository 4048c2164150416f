/**
 * Packed quad format shared by the mesher (producer) and the renderer's shader (consumer).
 * One quad is two 32-bit words (8 bytes):
 *
 *   word0: x:6 | y:6 << 6 | z:6 << 12 | (w-1):5 << 18 | (h-1):5 << 23 | face:3 << 28
 *   word1: material:8 | ao:8 << 8     (ao = four 2-bit corner values, corner i at bits 2i)
 *
 * (x, y, z) is the local voxel of the quad's minimum corner (0..31). The quad lies on the
 * face of that voxel given by `face`; it spans `w` voxels along the face's U axis and `h`
 * along its V axis (see FACE_AXES). AO value 0 = fully occluded, 3 = open.
 * Corner order: 0 = (u0,v0), 1 = (u1,v0), 2 = (u1,v1), 3 = (u0,v1).
 */
export const Face = {
  PosX: 0,
  NegX: 1,
  PosY: 2,
  NegY: 3,
  PosZ: 4,
  NegZ: 5,
} as const;

/** For each face: [normal axis, U axis, V axis, normal sign], axes 0 = x, 1 = y, 2 = z. */
export const FACE_AXES: readonly (readonly [number, number, number, 1 | -1])[] = [
  [0, 2, 1, 1], // +X: u = z, v = y
  [0, 2, 1, -1], // -X
  [1, 0, 2, 1], // +Y: u = x, v = z
  [1, 0, 2, -1], // -Y
  [2, 0, 1, 1], // +Z: u = x, v = y
  [2, 0, 1, -1], // -Z
];

/** Bytes per packed quad. */
export const QUAD_BYTES = 8;
/** 32-bit words per packed quad. */
export const QUAD_WORDS = 2;

/** Packs a quad into two words at `out[offset]`, `out[offset + 1]`. */
export function packQuad(
  out: Uint32Array,
  offset: number,
  x: number,
  y: number,
  z: number,
  w: number,
  h: number,
  face: number,
  material: number,
  ao: number,
): void {
  out[offset] = (x | (y << 6) | (z << 12) | ((w - 1) << 18) | ((h - 1) << 23) | (face << 28)) >>> 0;
  out[offset + 1] = (material | (ao << 8)) >>> 0;
}

/** An unpacked quad, for tests and tools (never in hot loops). */
export interface Quad {
  x: number;
  y: number;
  z: number;
  w: number;
  h: number;
  face: number;
  material: number;
  ao: number;
}

/** Unpacks quad number `i` from a packed array. Allocates: not for hot paths. */
export function unpackQuad(words: Uint32Array, i: number): Quad {
  const a = words[i * 2];
  const b = words[i * 2 + 1];
  return {
    x: a & 63,
    y: (a >>> 6) & 63,
    z: (a >>> 12) & 63,
    w: ((a >>> 18) & 31) + 1,
    h: ((a >>> 23) & 31) + 1,
    face: (a >>> 28) & 7,
    material: b & 255,
    ao: (b >>> 8) & 255,
  };
}
