// Shared by every pipeline: per-frame uniforms (group 0), sky colour, lighting, fog and the
// face decoding that the packed quads (src/shared/mesh/quad.ts) and the box cubes share.
// Colours are linear; the render target is an -srgb view, so the store encodes them.

struct Frame {
  viewProj: mat4x4f,
  invViewProj: mat4x4f,
  cameraPos: vec4f,     // xyz = eye, w = seconds since start
  sunDir: vec4f,        // xyz = unit vector towards the sun
  sunColor: vec4f,
  ambientSky: vec4f,
  ambientGround: vec4f,
  skyZenith: vec4f,
  skyHorizon: vec4f,
  skyGround: vec4f,
  fog: vec4f,           // x = start distance, y = end distance (voxels)
}

@group(0) @binding(0) var<uniform> frame: Frame;
// Material id (8 bits) -> linear albedo; 256 entries so any id is a valid index.
@group(0) @binding(1) var<uniform> palette: array<vec4f, 256>;

fn skyColor(dir: vec3f) -> vec3f {
  let y = dir.y;
  let up = mix(frame.skyHorizon.rgb, frame.skyZenith.rgb, sqrt(clamp(y, 0.0, 1.0)));
  let down = mix(frame.skyHorizon.rgb, frame.skyGround.rgb, clamp(-y * 4.0, 0.0, 1.0));
  return select(down, up, y >= 0.0);
}

// Hemisphere ambient plus Lambert sun for a surface with normal n.
fn faceLight(n: vec3f) -> vec3f {
  let hemi = mix(frame.ambientGround.rgb, frame.ambientSky.rgb, n.y * 0.5 + 0.5);
  return hemi + frame.sunColor.rgb * max(dot(n, frame.sunDir.xyz), 0.0);
}

// Sky colour behind a vertex: the fog colour. It varies slowly across a surface, so vertex
// shaders compute it and fragments interpolate it.
fn fogColor(worldPos: vec3f) -> vec3f {
  return skyColor(normalize(worldPos - frame.cameraPos.xyz + vec3f(0.0, 1e-4, 0.0)));
}

// Distance fog per fragment (distance is not linear across a big quad, so not per vertex),
// fading into the sky so terrain at the streaming edge disappears instead of popping.
fn applyFog(color: vec3f, fog: vec3f, worldPos: vec3f) -> vec3f {
  let f = smoothstep(frame.fog.x, frame.fog.y, distance(worldPos, frame.cameraPos.xyz));
  return mix(color, fog, f);
}

// Faces as in quad.ts: 0 +X, 1 -X, 2 +Y, 3 -Y, 4 +Z, 5 -Z. Normal axis = face >> 1.
// U/V axes (FACE_AXES): x-faces u = z, v = y; y-faces u = x, v = z; z-faces u = x, v = y.
fn faceUAxis(axis: u32) -> u32 { return select(0u, 2u, axis == 0u); }
fn faceVAxis(axis: u32) -> u32 { return select(1u, 2u, axis == 1u); }
fn faceNormal(face: u32) -> vec3f {
  var n = vec3f(0.0);
  n[face >> 1u] = select(1.0, -1.0, (face & 1u) == 1u);
  return n;
}

// Which quad corner (0 = (u0,v0), 1 = (u1,v0), 2 = (u1,v1), 3 = (u0,v1)) each of the 6
// vertices uses, 2 bits per vertex, for 4 variants:
//   bit 1 of the variant: U x V points against the normal (faces +X, +Y, -Z), so the
//                         corner order is reversed to keep the front face counter-clockwise;
//   bit 0: split along the 1-3 diagonal instead of 0-2 (the ambient-occlusion flip).
// 0,1,2 0,2,3 | 1,2,3 1,3,0 | 0,2,1 0,3,2 | 1,3,2 1,0,3
const TRI_CORNERS = vec4u(0xe24u, 0x379u, 0xb18u, 0xc6du);
// Bit f set when face f has U x V = -normal.
const MIRRORED_FACES = 0x25u;

fn triCorner(face: u32, flip: u32, vertex: u32) -> u32 {
  let variant = ((MIRRORED_FACES >> face) & 1u) * 2u + flip;
  return (TRI_CORNERS[variant] >> (vertex * 2u)) & 3u;
}

// Corner index -> (du, dv) in {0, 1}.
fn cornerUV(corner: u32) -> vec2f {
  return vec2f(f32(corner == 1u || corner == 2u), f32(corner >= 2u));
}
