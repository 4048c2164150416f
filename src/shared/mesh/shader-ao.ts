// CPU port of the terrain shader's ambient occlusion (src/client/render/shaders/terrain.wgsl,
// `?ao=shader`): the vertex stage cuts a MeshMode.ShaderAo quad's front ring into four strips
// (ringStrips), the fragment stage takes a face's 3x3 front neighbourhood from them without
// branches (faceAoFromStrips) and interpolates the four corner values as the vertex-AO
// renderer does (interpolateAo). Kept step for step with the WGSL so tests can check the
// shader's logic against the mesher's per-face AO; no allocation, usable in hot loops.
import { QUAD_WORDS, RING_SPILL } from "./quad.ts";

/** The strips of the last ringStrips call: bits 0..31 of the four strips, then (as the shader's stripsHigh) their bits 32..33 with w - 1 and h - 1. */
const strips = new Uint32Array(5);
/** The ring's words (up to 132 bits), with a zero word past the end. */
const ring = new Uint32Array(6);

/**
 * Fills `strips` for quad `quad` of `words` (a ShaderAo mesh: quads, then spilled rings), as
 * terrain.wgsl ringStrips does: the front ring (quad.ts ringIndex) as four 34-bit strips, the
 * row below from cell (-1, -1) and the row above from (-1, h), bit k = cell u = k - 1; the
 * column left from the bit before (-1, 0) and the column right from the bit before (w, 0),
 * bit k = cell v = k - 1 (bits 0 and h + 1 are other cells; corners come from the rows).
 */
function ringStrips(words: Uint32Array, quad: number): void {
  const o0 = quad * QUAD_WORDS;
  const w0 = words[o0];
  const data = words[o0 + 1];
  const w = ((w0 >>> 18) & 31) + 1;
  const h = ((w0 >>> 23) & 31) + 1;
  const spilled = (data & RING_SPILL) !== 0;
  const field = (data >>> 8) & 0x7fffff;
  // The shader reads these words whether or not the ring spilled (its reads are clamped to the buffer).
  for (let k = 0; k < 5; k++) ring[k] = spilled ? (words[o0 + field + k] ?? 0) : k === 0 ? field : 0;
  ring[5] = 0;
  let high = ((w - 1) << 8) | ((h - 1) << 13);
  for (let s = 0; s < 4; s++) {
    const first = s === 0 ? 0 : s === 1 ? w + 2 : s === 2 ? 2 * w + 3 : 2 * w + 3 + h;
    const k = first >>> 5;
    const o = first & 31;
    // (b << 1) << (31 - o): the next word's bits above o, also for o = 0 (no shift by 32).
    strips[s] = ((ring[k] >>> o) | ((ring[k + 1] << 1) << (31 - o))) >>> 0;
    high |= (((ring[k + 1] >>> o) | ((ring[k + 2] << 1) << (31 - o))) & 3) << (2 * s);
  }
  strips[4] = high;
}

/**
 * The AO byte (four 2-bit corner values, corner k at bits 2k, quad.ts order) of face (i, j)
 * of the quad whose strips ringStrips left in `strips`, i along U in 0..w-1, j along V in
 * 0..h-1: terrain.wgsl pixelAo up to the interpolation. Every side is computed and selected,
 * as the shader does; inside the quad's border all four windows are dropped (all open).
 */
function faceAoFromStrips(i: number, j: number): number {
  const high = strips[4];
  const w = ((high >>> 8) & 31) + 1;
  const h = ((high >>> 13) & 31) + 1;
  const onBelow = j === 0;
  const onAbove = j === h - 1;
  // Each strip's 3-cell window next to the face, kept only when the face is on that side.
  const win = (s: number, k: number, on: boolean): number =>
    on ? ((strips[s] >>> k) | ((((high >>> (2 * s)) & 3) << 1) << (31 - k))) & 7 : 0;
  const b = win(0, i, onBelow);
  const t = win(1, i, onAbove);
  const l = win(2, j, i === 0);
  const r = win(3, j, i === w - 1);
  const left = (l >>> 1) & 1;
  const right = (r >>> 1) & 1;
  const below = (b >>> 1) & 1;
  const above = (t >>> 1) & 1;
  // Corner cells from a row where the face is on one, else from a column.
  const c0 = (onBelow ? b : l) & 1;
  const c1 = (onBelow ? b >>> 2 : r) & 1;
  const c2 = (onAbove ? t >>> 2 : r >>> 2) & 1;
  const c3 = (onAbove ? t : l >>> 2) & 1;
  return cornerAo(left, below, c0) | (cornerAo(right, below, c1) << 2) | (cornerAo(right, above, c2) << 4) | (cornerAo(left, above, c3) << 6);
}

/** Classic vertex AO of one corner: both sides solid -> 0, else 3 - (side1 + side2 + corner). */
function cornerAo(side1: number, side2: number, corner: number): number {
  return side1 & side2 ? 0 : 3 - side1 - side2 - corner;
}

/**
 * The AO byte (four 2-bit corner values, corner k at bits 2k, quad.ts order) of face (i, j)
 * of quad `quad` in `words` (a ShaderAo mesh: quads, then spilled rings), i along U in
 * 0..w-1, j along V in 0..h-1: what the mesher bakes per face in MeshMode.VertexAo, here
 * rebuilt from the front ring as the shader does.
 */
export function shaderFaceAo(words: Uint32Array, quad: number, i: number, j: number): number {
  ringStrips(words, quad);
  return faceAoFromStrips(i, j);
}

/**
 * AO level (0..3, fractional) at (s, t) in [0, 1]^2 of a face with AO byte `ao`, as the
 * vertex-AO renderer shows it: the face is two triangles split along the diagonal whose
 * corners are brighter (corners 1-3 when a0 + a2 < a1 + a3, upper triangle 1-2-3 where
 * s + t >= 1; else 0-2, upper triangle 0-1-2 where s >= t), each interpolated linearly
 * (terrain.wgsl triCorner, the anisotropy flip) as base + s ds + t dt, selected as the shader does.
 */
export function interpolateAo(ao: number, s: number, t: number): number {
  const a0 = ao & 3;
  const a1 = (ao >>> 2) & 3;
  const a2 = (ao >>> 4) & 3;
  const a3 = (ao >>> 6) & 3;
  const flip = a0 + a2 < a1 + a3;
  const upper = flip ? s + t >= 1 : s >= t;
  const base = flip && upper ? a1 + a3 - a2 : a0;
  const ds = upper === flip ? a2 - a3 : a1 - a0;
  const dt = upper ? a2 - a1 : a3 - a0;
  return base + s * ds + t * dt;
}
