// Chunk terrain by vertex pulling from the packed quads (quad.ts): 6 vertices per quad, no
// vertex buffers. One draw per run of a chunk's quads: firstVertex = 6 * the run's first quad
// in the page buffer, so vertex_index / 6 is the quad and vertex_index % 6 its vertex; the
// draw's firstInstance is the chunk id (instance_index includes it), which selects the
// chunk's origin.
//
// Why not one instance per quad: instancing a 6-vertex mesh costs per-instance overhead on
// some implementations; on SwiftShader (the CI's CPU WebGPU) it made frames ~20x slower.

@group(1) @binding(0) var<storage, read> quads: array<vec2u>;
// World voxel position of each chunk's (0, 0, 0) corner, indexed by chunk id.
@group(1) @binding(1) var<storage, read> chunkOrigins: array<vec4f>;

struct VOut {
  @builtin(position) position: vec4f,
  @location(0) worldPos: vec3f,
  @location(1) albedo: vec3f,
  @location(2) light: vec3f,
  @location(3) ao: f32,
  @location(4) @interpolate(flat) face: u32,
  @location(5) fog: vec3f,
}

@vertex
fn vs(@builtin(vertex_index) index: u32, @builtin(instance_index) chunkId: u32) -> VOut {
  let q = quads[index / 6u];
  let vertex = index % 6u;
  let w = f32(((q.x >> 18u) & 31u) + 1u);
  let h = f32(((q.x >> 23u) & 31u) + 1u);
  let face = (q.x >> 28u) & 7u;
  let aoBits = (q.y >> 8u) & 255u;
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
  p[faceUAxis(axis)] += uv.x * w;
  p[faceVAxis(axis)] += uv.y * h;
  let world = chunkOrigins[chunkId].xyz + p;

  let n = faceNormal(face);
  var out: VOut;
  out.position = frame.viewProj * vec4f(world, 1.0);
  out.worldPos = world;
  out.albedo = palette[q.y & 255u].rgb;
  out.light = faceLight(n);
  // AO level 0 (corner enclosed) .. 3 (open), interpolated across the quad.
  out.ao = 0.4 + 0.2 * f32((aoBits >> (corner * 2u)) & 3u);
  out.face = face;
  out.fog = fogColor(world);
  return out;
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
  let lit = in.albedo * jitter * in.light * in.ao;
  return vec4f(applyFog(lit, in.fog, in.worldPos), 1.0);
}
