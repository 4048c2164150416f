// Instanced boxes (players, NPCs, tracers, debris, health bars): 36 vertices per instance,
// 6 faces x 2 triangles, corners from the same face tables as the terrain. Each box may be
// turned: its local +Z follows `forward` and its local +Y stays as near world up as that
// allows (yaw for bodies, any direction for tracers). A rotation keeps the winding, so back
// faces are still culled.

struct Box {
  center: vec4f,   // xyz, w = emissive 0..1
  halfSize: vec4f,
  color: vec4f,    // linear RGB
  forward: vec4f,  // xyz local +Z direction (zero: axis-aligned)
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

  var ax = vec3f(1.0, 0.0, 0.0);
  var ay = vec3f(0.0, 1.0, 0.0);
  var az = vec3f(0.0, 0.0, 1.0);
  let f = b.forward.xyz;
  if (dot(f, f) > 1e-8) {
    az = normalize(f);
    let side = cross(vec3f(0.0, 1.0, 0.0), az);
    ax = select(vec3f(1.0, 0.0, 0.0), normalize(side), dot(side, side) > 1e-6);
    ay = cross(az, ax);
  }
  let local = p * b.halfSize.xyz;
  let world = b.center.xyz + ax * local.x + ay * local.y + az * local.z;
  let normal = ax * n.x + ay * n.y + az * n.z;

  var out: VOut;
  out.position = frame.viewProj * vec4f(world, 1.0);
  out.worldPos = world;
  out.color = mix(b.color.rgb * faceLight(normal), b.color.rgb, clamp(b.center.w, 0.0, 1.0));
  out.fog = fogColor(world);
  return out;
}

@fragment
fn fs(in: VOut) -> @location(0) vec4f {
  return vec4f(applyFog(in.color, in.fog, in.worldPos), 1.0);
}
