/**
 * Packed quad format shared by the mesher (producer) and the renderer's shader (consumer).
 * One quad is two 32-bit words (8 bytes):
 *
 *   word0: x:6 | y:6 << 6 | z:6 << 12 | (w-1):5 << 18 | (h-1):5 << 23 | face:3 << 28
 *   word1: material:8 | data:24 << 8, where data depends on the MeshMode:
 *     VertexAo  ao:8 (four 2-bit corner values, corner i at bits 2i; bits 16..31 zero)
 *     ShaderAo  the quad's front ring (below): its bits inline in bits 8..30 when they fit
 *               (RING_INLINE_BITS), else bit 31 (RING_SPILL) set and bits 8..30 the offset in
 *               words from this quad's word0 to the ring's first word, after all the quads
 *     Plain     zero
 *
 * (x, y, z) is the local voxel of the quad's minimum corner (0..31). The quad lies on the
 * face of that voxel given by `face`; it spans `w` voxels along the face's U axis and `h`
 * along its V axis (see FACE_AXES). AO value 0 = fully occluded, 3 = open.
 * Corner order: 0 = (u0,v0), 1 = (u1,v0), 2 = (u1,v1), 3 = (u0,v1).
 *
 * The front ring is the occupancy the fragment shader needs for per-pixel AO: the solid bit
 * of every cell of the plane in front of the quad (normal + 1) that borders its w x h
 * footprint, (w + 2) * (h + 2) - w * h = 2 (w + h) + 4 cells. The footprint's own front cells
 * are air (every face of the quad is exposed), so with the ring the shader knows the whole
 * 3x3 front neighbourhood of every face of the quad. Bit order (ringIndex): the row below
 * (v = -1, u = -1..w), the row above (v = h, u = -1..w), the column left (u = -1,
 * v = 0..h-1), the column right (u = w, v = 0..h-1); u, v relative to the quad's minimum face.
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

/** What the mesher merges by, and so what quad word 1 carries besides the material (see above). */
export const MeshMode = {
  /** Merge where material and all four corner AO values agree; AO baked per quad (the `?ao=vertex` renderer). */
  VertexAo: 0,
  /** Merge by material alone; each quad carries its front ring for the fragment shader's AO (`?ao=shader`). */
  ShaderAo: 1,
  /** Merge by material alone, no AO data (the server, which only counts quads). */
  Plain: 2,
} as const;
export type MeshModeId = (typeof MeshMode)[keyof typeof MeshMode];

/** Ring bits that fit inline in word 1 (bits 8..30). */
export const RING_INLINE_BITS = 23;
/** Word 1 flag: the ring is stored after the quads, at the offset in bits 8..30. */
export const RING_SPILL = 0x80000000;

/** Cells in the front ring of a w x h quad. */
export function ringLength(w: number, h: number): number {
  return 2 * (w + h) + 4;
}

/**
 * Bit index in the front ring of cell (u, v) relative to the quad's minimum face, for u in
 * -1..w and v in -1..h outside the footprint (inside it the cells are air and have no bit).
 */
export function ringIndex(u: number, v: number, w: number, h: number): number {
  if (v < 0) return u + 1;
  if (v >= h) return w + 3 + u;
  if (u < 0) return 2 * (w + 2) + v;
  return 2 * (w + 2) + h + v;
}

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
