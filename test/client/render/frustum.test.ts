// Frustum planes from a WebGPU (depth 0..1) view-projection, and the AABB test.
import { describe, expect, it } from "vitest";
import { aabbInFrustum, frustumCreate, frustumFromMatrix } from "../../../src/client/render/frustum.ts";
import { fpsView, mat4Create, multiply, perspective } from "../../../src/client/render/mat4.ts";

function frustumFor(eye: [number, number, number], yaw: number, pitch: number, near = 0.1, far = 100) {
  const proj = perspective(mat4Create(), Math.PI / 2, 1, near, far);
  const view = fpsView(mat4Create(), eye[0], eye[1], eye[2], yaw, pitch);
  return frustumFromMatrix(frustumCreate(), multiply(mat4Create(), proj, view));
}

/** A unit box centred on (x, y, z). */
function box(f: Float32Array, x: number, y: number, z: number, half = 0.5): boolean {
  return aabbInFrustum(f, x - half, y - half, z - half, x + half, y + half, z + half);
}

describe("frustum culling", () => {
  const f = frustumFor([0, 0, 0], 0, 0); // looking down -Z, 90 degree field of view

  it("keeps boxes in front of the camera and drops those behind", () => {
    expect(box(f, 0, 0, -10)).toBe(true);
    expect(box(f, 0, 0, 10)).toBe(false);
  });

  it("uses the side planes of a 90 degree frustum (|x| <= -z)", () => {
    expect(box(f, 9, 0, -10)).toBe(true);
    expect(box(f, 12, 0, -10)).toBe(false);
    expect(box(f, -12, 0, -10)).toBe(false);
    expect(box(f, 0, 12, -10)).toBe(false);
    expect(box(f, 0, -12, -10)).toBe(false);
  });

  it("keeps boxes that straddle a plane (conservative)", () => {
    expect(box(f, 10.4, 0, -10)).toBe(true);
    expect(aabbInFrustum(f, -1, -1, -1, 1, 1, 1)).toBe(true); // around the eye
  });

  it("clips at the far plane and at WebGPU's near plane (z = 0 in clip space)", () => {
    expect(box(f, 0, 0, -99)).toBe(true);
    expect(box(f, 0, 0, -102)).toBe(false);
    expect(box(f, 0, 0, -0.01, 0.005)).toBe(false); // entirely nearer than near = 0.1
  });

  it("follows the camera's yaw: yaw +90 degrees looks down -X", () => {
    const g = frustumFor([0, 0, 0], Math.PI / 2, 0);
    expect(box(g, -10, 0, 0)).toBe(true);
    expect(box(g, 10, 0, 0)).toBe(false);
    expect(box(g, 0, 0, -10)).toBe(false);
  });

  it("follows pitch and position", () => {
    const up = frustumFor([5, 50, 5], 0, Math.PI / 2 - 0.01);
    expect(box(up, 5, 60, 5)).toBe(true);
    expect(box(up, 5, 40, 5)).toBe(false);
  });

  it("stores normalised planes", () => {
    for (let p = 0; p < 6; p++) expect(Math.hypot(f[p * 4], f[p * 4 + 1], f[p * 4 + 2])).toBeCloseTo(1, 5);
  });
});
