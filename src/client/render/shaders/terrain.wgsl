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
//   front ring, the solid bits around the quad in the plane in front of it. Each fragment finds
//   its voxel face in the quad, rebuilds that face's 3x3 front neighbourhood from the ring, and
//   interpolates the face's four classic corner values exactly as the vertex mode's two
//   triangles would, anisotropy flip included. So a merged quad looks like its 1x1 faces.
//   src/shared/mesh/shader-ao.ts is this code's CPU port; keep the two in step.
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
  // Shader AO: (word 1, w, h, index of the quad's word 0 in `quads`).
  @location(7) @interpolate(flat) ring: vec4u,
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
  out.ring = vec4u(q.y, wq, hq, quad * 2u);
  return out;
}

// AO level 0 (corner enclosed) .. 3 (open) -> light factor.
fn aoLight(level: f32) -> f32 {
  return 0.4 + 0.2 * level;
}

// 1 when the front cell (u, v) of the quad is solid, u in -1..w and v in -1..h relative to its
// minimum face; the cells in front of the quad's own faces are air. Ring order: quad.ts ringIndex.
fn ringSolid(r: vec4u, u: i32, v: i32) -> u32 {
  let w = i32(r.y);
  let h = i32(r.z);
  if (u >= 0 && u < w && v >= 0 && v < h) {
    return 0u;
  }
  var bit: i32;
  if (v < 0) {
    bit = u + 1;
  } else if (v >= h) {
    bit = w + 3 + u;
  } else if (u < 0) {
    bit = 2 * (w + 2) + v;
  } else {
    bit = 2 * (w + 2) + h + v;
  }
  let b = u32(bit);
  if ((r.x & RING_SPILL) == 0u) {
    return (r.x >> (8u + b)) & 1u;
  }
  let start = r.w + ((r.x >> 8u) & 0x7fffffu);
  return (quads[start + (b >> 5u)] >> (b & 31u)) & 1u;
}

// Classic vertex AO of one corner: both sides solid -> 0, else 3 - (side1 + side2 + corner).
fn cornerAo(side1: u32, side2: u32, corner: u32) -> f32 {
  return select(f32(3u - side1 - side2 - corner), 0.0, side1 == 1u && side2 == 1u);
}

// Per-pixel AO level (0..3) at `quadUV` of a ShaderAo quad: the face under the fragment, its
// four corner values from the 3x3 front neighbourhood, interpolated over the face's two
// triangles split along the brighter diagonal (shader-ao.ts interpolateAo).
fn pixelAo(quadUV: vec2f, r: vec4u) -> f32 {
  let i = clamp(i32(floor(quadUV.x)), 0, i32(r.y) - 1);
  let j = clamp(i32(floor(quadUV.y)), 0, i32(r.z) - 1);
  // A face inside the quad's border sees only the quad's own (air) front cells: open. Most
  // pixels of a big merged quad end here, without reading the ring.
  if (i > 0 && j > 0 && i < i32(r.y) - 1 && j < i32(r.z) - 1) {
    return 3.0;
  }
  let s = clamp(quadUV.x - f32(i), 0.0, 1.0);
  let t = clamp(quadUV.y - f32(j), 0.0, 1.0);
  let left = ringSolid(r, i - 1, j);
  let right = ringSolid(r, i + 1, j);
  let below = ringSolid(r, i, j - 1);
  let above = ringSolid(r, i, j + 1);
  let a0 = cornerAo(left, below, ringSolid(r, i - 1, j - 1));
  let a1 = cornerAo(right, below, ringSolid(r, i + 1, j - 1));
  let a2 = cornerAo(right, above, ringSolid(r, i + 1, j + 1));
  let a3 = cornerAo(left, above, ringSolid(r, i - 1, j + 1));
  if (a0 + a2 < a1 + a3) {
    // Diagonal (1, 0)-(0, 1): triangle 1-2-3 above it, 1-3-0 below.
    if (s + t >= 1.0) {
      return a2 + (1.0 - s) * (a3 - a2) + (1.0 - t) * (a1 - a2);
    }
    return a0 + s * (a1 - a0) + t * (a3 - a0);
  }
  // Diagonal (0, 0)-(1, 1): triangle 0-1-2 right of it, 0-2-3 left.
  if (s >= t) {
    return a0 + s * (a1 - a0) + t * (a2 - a1);
  }
  return a0 + t * (a3 - a0) + s * (a2 - a3);
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
    ao = aoLight(pixelAo(in.quadUV, in.ring));
  }
  let lit = in.albedo * jitter * in.light * ao;
  return vec4f(applyFog(lit, in.fog, in.worldPos), 1.0);
}
