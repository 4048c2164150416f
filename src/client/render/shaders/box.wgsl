// Instanced axis-aligned boxes (projectiles now; players and NPCs later): 36 vertices per
// instance, 6 faces x 2 triangles, corners from the same face tables as the terrain.

struct Box {
  center: vec4f,
  halfSize: vec4f,
  color: vec4f, // linear RGB
}

@group(1) @binding(0) var<storage, read> boxes: array<Box>;

struct VOut {
  @builtin(position) position: vec4f,
  @location(0) worldPos: vec3f,
  @location(1) color: vec3f,
  @location(2) fog: vec3f,
}

@vertex
fn vs(@builtin(vertex_index) vertex: u32, @builtin(instance_index) instance: u32) -> VOut {
  let b = boxes[instance];
  let face = vertex / 6u;
  let uv = cornerUV(triCorner(face, 0u, vertex % 6u));
  let axis = face >> 1u;
  let n = faceNormal(face);
  var p = n;
  p[faceUAxis(axis)] = uv.x * 2.0 - 1.0;
  p[faceVAxis(axis)] = uv.y * 2.0 - 1.0;
  let world = b.center.xyz + p * b.halfSize.xyz;
  var out: VOut;
  out.position = frame.viewProj * vec4f(world, 1.0);
  out.worldPos = world;
  out.color = b.color.rgb * faceLight(n);
  out.fog = fogColor(world);
  return out;
}

@fragment
fn fs(in: VOut) -> @location(0) vec4f {
  return vec4f(applyFog(in.color, in.fog, in.worldPos), 1.0);
}
