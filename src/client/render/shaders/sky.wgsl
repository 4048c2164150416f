// Sky: one full-screen triangle at the far plane, drawn after the opaque geometry with a
// less-equal depth test, so only pixels nothing else covered pay for it.

struct VOut {
  @builtin(position) position: vec4f,
  // The far-plane point in homogeneous world coordinates: linear in screen space, so it can
  // be interpolated, and divided per fragment (one matrix product per vertex, not per pixel).
  @location(0) farPoint: vec4f,
}

@vertex
fn vs(@builtin(vertex_index) vertex: u32) -> VOut {
  let xy = vec2f(f32((vertex << 1u) & 2u), f32(vertex & 2u)) * 2.0 - 1.0;
  var out: VOut;
  out.position = vec4f(xy, 1.0, 1.0);
  out.farPoint = frame.invViewProj * vec4f(xy, 1.0, 1.0);
  return out;
}

@fragment
fn fs(in: VOut) -> @location(0) vec4f {
  let dir = normalize(in.farPoint.xyz / in.farPoint.w - frame.cameraPos.xyz);
  // Sun disk with a soft edge (about 2 degrees across).
  let sun = smoothstep(0.9994, 0.9998, dot(dir, frame.sunDir.xyz)) * 3.0;
  return vec4f(skyColor(dir) + frame.sunColor.rgb * sun, 1.0);
}
