// CPU port of the fragment shader's ambient occlusion (src/client/render/shaders/terrain.wgsl,
// `?ao=shader`): from a MeshMode.ShaderAo quad's front ring, the four classic corner values
// of any face of the quad, and the AO level at a point of that face, interpolated as the
// vertex-AO renderer does. Kept line for line with the WGSL so tests can check the shader's
// logic against the mesher's per-face AO; no allocation, usable in hot loops.
import { QUAD_WORDS, RING_SPILL } from "./quad.ts";

/**
 * 1 when the front-plane cell (u, v) of quad `quad` in `words` (a ShaderAo mesh: quads, then
 * spilled rings) is solid, for u in -1..w and v in -1..h relative to the quad's minimum
 * face. Cells in front of the quad's own faces are air (every face of a quad is exposed).
 */
function ringSolid(words: Uint32Array, quad: number, u: number, v: number): number {
  const o = quad * QUAD_WORDS;
  const w0 = words[o];
  const data = words[o + 1];
  const w = ((w0 >>> 18) & 31) + 1;
  const h = ((w0 >>> 23) & 31) + 1;
  if (u >= 0 && u < w && v >= 0 && v < h) return 0;
  // ringIndex (quad.ts), inlined as the shader does.
  const bit = v < 0 ? u + 1 : v >= h ? w + 3 + u : u < 0 ? 2 * (w + 2) + v : 2 * (w + 2) + h + v;
  if ((data & RING_SPILL) === 0) return (data >>> (8 + bit)) & 1;
  const start = o + ((data >>> 8) & 0x7fffff);
  return (words[start + (bit >>> 5)] >>> (bit & 31)) & 1;
}

/**
 * The AO byte (four 2-bit corner values, corner k at bits 2k, quad.ts order) of face (i, j)
 * of quad `quad`, i along U in 0..w-1, j along V in 0..h-1: what the mesher bakes per face
 * in MeshMode.VertexAo, here rebuilt from the front ring.
 */
export function shaderFaceAo(words: Uint32Array, quad: number, i: number, j: number): number {
  const w0 = words[quad * QUAD_WORDS];
  // A face inside the quad's border sees only the quad's own (air) front cells: all open.
  if (i > 0 && j > 0 && i < ((w0 >>> 18) & 31) && j < ((w0 >>> 23) & 31)) return 0xff;
  let ao = 0;
  for (let k = 0; k < 4; k++) {
    // Corner k: 0 = (-1, -1), 1 = (1, -1), 2 = (1, 1), 3 = (-1, 1).
    const du = k === 1 || k === 2 ? 1 : -1;
    const dv = k >= 2 ? 1 : -1;
    const side1 = ringSolid(words, quad, i + du, j);
    const side2 = ringSolid(words, quad, i, j + dv);
    const corner = ringSolid(words, quad, i + du, j + dv);
    ao |= (side1 & side2 ? 0 : 3 - (side1 + side2 + corner)) << (2 * k);
  }
  return ao;
}

/**
 * AO level (0..3, fractional) at (s, t) in [0, 1]^2 of a face with AO byte `ao`, as the
 * vertex-AO renderer shows it: the face is two triangles split along the diagonal whose
 * corners are brighter (corners 1-3 when a0 + a2 < a1 + a3, else 0-2), each interpolated
 * linearly (terrain.wgsl triCorner, the anisotropy flip).
 */
export function interpolateAo(ao: number, s: number, t: number): number {
  const a0 = ao & 3;
  const a1 = (ao >>> 2) & 3;
  const a2 = (ao >>> 4) & 3;
  const a3 = (ao >>> 6) & 3;
  if (a0 + a2 < a1 + a3) {
    // Diagonal (1, 0)-(0, 1): triangle 1-2-3 above it, 1-3-0 below.
    return s + t >= 1 ? a2 + (1 - s) * (a3 - a2) + (1 - t) * (a1 - a2) : a0 + s * (a1 - a0) + t * (a3 - a0);
  }
  // Diagonal (0, 0)-(1, 1): triangle 0-1-2 right of it, 0-2-3 left.
  return s >= t ? a0 + s * (a1 - a0) + t * (a2 - a1) : a0 + t * (a3 - a0) + s * (a2 - a3);
}
