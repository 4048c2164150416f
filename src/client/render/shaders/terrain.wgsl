// Chunk terrain by vertex pulling from the packed quads (quad.ts): 6 vertices per quad, no
// vertex buffers. One draw per run of a chunk's quads: firstVertex = 6 * the run's first quad
// in the page buffer, so vertex_index / 6 is the quad and vertex_index % 6 its vertex; the
// draw's firstInstance is the chunk id (instance_index includes it), which selects the
// chunk's origin.
//
// Ambient occlusion, by pipeline constant (the page's `?ao=`, client/render/ao-mode.ts):
// - vertex (AO_IN_SHADER false): the mesher bakes four corner values per quad (MeshMode.VertexAo,
//   merged only where they agree) and the rasteriser interpolates them;
// - shader (true): quads are merged by material alone (MeshMode.ShaderAo) and carry their
//   front ring, the solid bits around the quad in the plane in front of it. The vertex stage
//   cuts the ring into four strips (the rows below and above the quad, the columns left and
//   right of it); each fragment finds its voxel face in the quad, takes that face's 3x3 front
//   neighbourhood from the strips, and interpolates the face's four classic corner values
//   exactly as the vertex mode's two triangles would, anisotropy flip included. So a merged
//   quad looks like its 1x1 faces. src/shared/mesh/shader-ao.ts is this code's CPU port; keep
//   the two in step.
//
// The fragment side has no branches and reads no buffer, on purpose: rasterisers that shade
// fragments in SIMD lanes (SwiftShader, the CI's CPU WebGPU) run both sides of a branch and
// every read for every lane, so an early-out for a merged quad's interior saves nothing there,
// and eight ring reads behind branches made shader-mode frames 2.3x slower than vertex mode.
//
// Why not one instance per quad: instancing a 6-vertex mesh costs per-instance overhead on
// some implementations; on SwiftShader (the CI's CPU WebGPU) it made frames ~20x slower.

override AO_IN_SHADER: bool = true;

// The page's words: quads (two words each), and the spilled front rings of ShaderAo meshes.
@group(1) @binding(0) var<storage, read> quads: array<u32>;
// World voxel position of each chunk's (0, 0, 0) corner, indexed by chunk id.
@group(1) @binding(1) var<storage, read> chunkOrigins: array<vec4f>;

// Word 1 of a ShaderAo quad: ring stored after the quads, at the offset in bits 8..30.
const RING_SPILL = 0x80000000u;

struct VOut {
  @builtin(position) position: vec4f,
  @location(0) worldPos: vec3f,
  @location(1) albedo: vec3f,
  @location(2) light: vec3f,
  // Vertex AO: level 0.4 (enclosed) .. 1 (open), interpolated across the quad.
  @location(3) ao: f32,
  @location(4) @interpolate(flat) face: u32,
  @location(5) fog: vec3f,
  // Shader AO: position in the quad along its U and V axes, in voxels (0..w, 0..h).
  @location(6) quadUV: vec2f,
  // Shader AO: bits 0..31 of the four ring strips (ringStrip): row below, row above, column
  // left, column right.
  @location(7) @interpolate(flat) strips: vec4u,
  // Shader AO: the strips' bits 32..33 (two per strip, in that order, bits 0..7), w - 1 at
  // bits 8..12 and h - 1 at bits 13..17.
  @location(8) @interpolate(flat) stripsHigh: u32,
}

@vertex
fn vs(@builtin(vertex_index) index: u32, @builtin(instance_index) chunkId: u32) -> VOut {
  let quad = index / 6u;
  let q = vec2u(quads[quad * 2u], quads[quad * 2u + 1u]);
  let vertex = index % 6u;
  let wq = ((q.x >> 18u) & 31u) + 1u;
  let hq = ((q.x >> 23u) & 31u) + 1u;
  let face = (q.x >> 28u) & 7u;
  let aoBits = select((q.y >> 8u) & 255u, 255u, AO_IN_SHADER);
  let a0 = aoBits & 3u;
  let a1 = (aoBits >> 2u) & 3u;
  let a2 = (aoBits >> 4u) & 3u;
  let a3 = (aoBits >> 6u) & 3u;
  // Split along the diagonal whose corners are brighter, so a single dark corner darkens
  // one triangle's corner instead of smearing along the shared edge (anisotropy fix).
  let flip = u32(a0 + a2 < a1 + a3);
  let corner = triCorner(face, flip, vertex);
  let uv = cornerUV(corner);

  let axis = face >> 1u;
  var p = vec3f(f32(q.x & 63u), f32((q.x >> 6u) & 63u), f32((q.x >> 12u) & 63u));
  // A positive face lies on the far plane of its voxel (x + 1 for +X), a negative one on x.
  p[axis] += f32((face & 1u) == 0u);
  p[faceUAxis(axis)] += uv.x * f32(wq);
  p[faceVAxis(axis)] += uv.y * f32(hq);
  let world = chunkOrigins[chunkId].xyz + p;

  let n = faceNormal(face);
  var out: VOut;
  out.position = frame.viewProj * vec4f(world, 1.0);
  out.worldPos = world;
  out.albedo = palette[q.y & 255u].rgb;
  out.light = faceLight(n);
  out.ao = aoLight(f32((aoBits >> (corner * 2u)) & 3u));
  out.face = face;
  out.fog = fogColor(world);
  out.quadUV = uv * vec2f(f32(wq), f32(hq));
  out.strips = vec4u(0u);
  out.stripsHigh = ((wq - 1u) << 8u) | ((hq - 1u) << 13u);
  if (AO_IN_SHADER) {
    ringStrips(q, quad, wq, hq, &out);
  }
  return out;
}

// The quad's front ring (quad.ts ringIndex: row below, row above, column left, column right)
// as four strips of 34 bits, each from the bit where its 3-cell windows start: the row below
// from cell (-1, -1), the row above from (-1, h), so bit k is cell u = k - 1; the column left
// from the bit before (-1, 0), the column right from the bit before (w, 0), so bit k is cell
// v = k - 1 (bits 0 and h + 1 are other cells: the fragment takes corners from the rows).
fn ringStrips(q: vec2u, quad: u32, w: u32, h: u32, out: ptr<function, VOut>) {
  // The ring's words: inline in word 1, or spilled after the quads (up to 132 bits).
  var ring: array<u32, 6>;
  let spilled = (q.y & RING_SPILL) != 0u;
  let field = (q.y >> 8u) & 0x7fffffu;
  let start = quad * 2u + field;
  ring[0] = select(field, quads[start], spilled);
  for (var k = 1u; k < 5u; k++) {
    ring[k] = select(0u, quads[start + k], spilled);
  }
  ring[5] = 0u;
  let firstBit = vec4u(0u, w + 2u, 2u * w + 3u, 2u * w + 3u + h);
  var high = 0u;
  for (var s = 0u; s < 4u; s++) {
    let k = firstBit[s] >> 5u;
    let o = firstBit[s] & 31u;
    // (b << 1) << (31 - o): the next word's bits above o, also for o = 0 (no shift by 32).
    (*out).strips[s] = (ring[k] >> o) | ((ring[k + 1u] << 1u) << (31u - o));
    high |= (((ring[k + 1u] >> o) | ((ring[k + 2u] << 1u) << (31u - o))) & 3u) << (2u * s);
  }
  (*out).stripsHigh |= high;
}

// AO level 0 (corner enclosed) .. 3 (open) -> light factor.
fn aoLight(level: f32) -> f32 {
  return 0.4 + 0.2 * level;
}

// Per-pixel AO level (0..3) at `quadUV` of a ShaderAo quad: the face under the fragment, its
// four corner values from the 3x3 front neighbourhood, interpolated over the face's two
// triangles split along the brighter diagonal (shader-ao.ts faceAoFromStrips, interpolateAo).
// Straight-line code: selects, no branches, no buffer reads (see the header).
fn pixelAo(quadUV: vec2f, strips: vec4u, stripsHigh: u32) -> f32 {
  let w = ((stripsHigh >> 8u) & 31u) + 1u;
  let h = ((stripsHigh >> 13u) & 31u) + 1u;
  let cell = clamp(floor(quadUV), vec2f(0.0), vec2f(f32(w - 1u), f32(h - 1u)));
  let st = clamp(quadUV - cell, vec2f(0.0), vec2f(1.0));
  let i = u32(cell.x);
  let j = u32(cell.y);
  // Each strip's 3-cell window next to the face (rows: u = i-1..i+1, columns: v = j-1..j+1),
  // kept only when the face is on that side of the quad; inside, the front cells are air.
  let k = vec4u(i, i, j, j);
  let high = vec4u(stripsHigh, stripsHigh >> 2u, stripsHigh >> 4u, stripsHigh >> 6u) & vec4u(3u);
  let win = ((strips >> k) | ((high << vec4u(1u)) << (vec4u(31u) - k))) & vec4u(7u);
  let onBelow = j == 0u;
  let onAbove = j == h - 1u;
  let sides = vec4<bool>(onBelow, onAbove, i == 0u, i == w - 1u);
  let wnd = select(vec4u(0u), win, sides);
  // Edge cells from the window's middle bit; corner cells from a row where the face is on one
  // (the columns' end bits are other cells there), else from a column.
  let left = (wnd.z >> 1u) & 1u;
  let right = (wnd.w >> 1u) & 1u;
  let below = (wnd.x >> 1u) & 1u;
  let above = (wnd.y >> 1u) & 1u;
  let side1 = vec4u(left, right, right, left);
  let side2 = vec4u(below, below, above, above);
  let corner = vec4u(
    select(wnd.z, wnd.x, onBelow),
    select(wnd.w, wnd.x >> 2u, onBelow),
    select(wnd.w >> 2u, wnd.y >> 2u, onAbove),
    select(wnd.z >> 2u, wnd.y, onAbove),
  ) & vec4u(1u);
  // Classic vertex AO per corner: both sides solid -> 0, else 3 - (side1 + side2 + corner).
  let a = select(vec4f(vec4u(3u) - side1 - side2 - corner), vec4f(0.0), (side1 & side2) == vec4u(1u));
  // The face's two triangles: split along (1, 0)-(0, 1) when a0 + a2 < a1 + a3 (upper triangle
  // 1-2-3, s + t >= 1), else along (0, 0)-(1, 1) (upper triangle 0-1-2, s >= t). On each, the
  // level is base + s ds + t dt.
  let flip = a.x + a.z < a.y + a.w;
  let upper = select(st.x >= st.y, st.x + st.y >= 1.0, flip);
  let base = select(a.x, a.y + a.w - a.z, flip && upper);
  let ds = select(a.y - a.x, a.z - a.w, upper == flip);
  let dt = select(a.w - a.x, a.z - a.y, upper);
  return base + st.x * ds + st.y * dt;
}

// Cheap integer hash for a per-voxel brightness jitter, so big merged quads still read as blocks.
fn hash3(p: vec3i) -> f32 {
  var h = (u32(p.x) * 73856093u) ^ (u32(p.y) * 19349663u) ^ (u32(p.z) * 83492791u);
  h = (h ^ (h >> 13u)) * 1274126177u;
  return f32(h & 1023u) / 1023.0;
}

@fragment
fn fs(in: VOut) -> @location(0) vec4f {
  let n = faceNormal(in.face);
  let voxel = vec3i(floor(in.worldPos - n * 0.5));
  let jitter = 0.93 + 0.1 * hash3(voxel);
  var ao = in.ao;
  if (AO_IN_SHADER) {
    ao = aoLight(pixelAo(in.quadUV, in.strips, in.stripsHigh));
  }
  let lit = in.albedo * jitter * in.light * ao;
  return vec4f(applyFog(lit, in.fog, in.worldPos), 1.0);
}
