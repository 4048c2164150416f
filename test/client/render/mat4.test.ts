// Camera matrices: WebGPU depth range, the yaw/pitch convention shared with movement.ts, inverse.
import { describe, expect, it } from "vitest";
import { fpsView, invert, mat4Create, multiply, perspective, viewDirection } from "../../../src/client/render/mat4.ts";
import { createPlayerState, MOVE, stepPlayer } from "../../../src/shared/physics/movement.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { World } from "../../../src/shared/voxel/world.ts";

function transform(m: Float32Array, x: number, y: number, z: number): [number, number, number, number] {
  return [
    m[0] * x + m[4] * y + m[8] * z + m[12],
    m[1] * x + m[5] * y + m[9] * z + m[13],
    m[2] * x + m[6] * y + m[10] * z + m[14],
    m[3] * x + m[7] * y + m[11] * z + m[15],
  ];
}

describe("mat4", () => {
  it("perspective maps near to depth 0 and far to depth 1", () => {
    const p = perspective(mat4Create(), 1, 1.5, 0.5, 200);
    const n = transform(p, 0, 0, -0.5);
    const f = transform(p, 0, 0, -200);
    expect(n[2] / n[3]).toBeCloseTo(0, 6);
    expect(f[2] / f[3]).toBeCloseTo(1, 6);
  });

  it("fpsView puts the view direction on -Z in view space, for any yaw and pitch", () => {
    for (const [yaw, pitch] of [[0, 0], [1, 0.3], [-2.5, -1.2], [Math.PI, 0.7]]) {
      const d = viewDirection([0, 0, 0], yaw, pitch);
      const eye = [3, 4, 5] as const;
      const v = fpsView(mat4Create(), eye[0], eye[1], eye[2], yaw, pitch);
      const p = transform(v, eye[0] + d[0] * 7, eye[1] + d[1] * 7, eye[2] + d[2] * 7);
      expect(p[0]).toBeCloseTo(0, 5);
      expect(p[1]).toBeCloseTo(0, 5);
      expect(p[2]).toBeCloseTo(-7, 5);
    }
  });

  it("uses movement.ts's convention: yaw 0 looks to -Z, positive yaw turns left towards -X", () => {
    const d0 = viewDirection([0, 0, 0], 0, 0);
    expect([d0[0], d0[1], d0[2]].map((v) => Math.round(v) + 0)).toEqual([0, 0, -1]);
    const d1 = viewDirection([0, 0, 0], Math.PI / 2, 0);
    expect(d1[0]).toBeCloseTo(-1, 6);
    const up = viewDirection([0, 0, 0], 0, Math.PI / 2);
    expect(up[1]).toBeCloseTo(1, 6);
  });

  it("walking forward with stepPlayer moves along the camera's view direction", () => {
    const world = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
    for (let z = 0; z < 32; z++) for (let x = 0; x < 32; x++) world.set(x, 0, z, Material.Stone);
    for (const yaw of [0, 0.7, -2]) {
      const s = createPlayerState(16, 1, 16);
      s.onGround = true;
      stepPlayer(world, s, { forward: 1, right: 0, jump: false, yaw }, 0.1);
      const d = viewDirection([0, 0, 0], yaw, 0);
      expect(s.x - 16).toBeCloseTo(d[0] * MOVE.walkSpeed * 0.1, 6);
      expect(s.z - 16).toBeCloseTo(d[2] * MOVE.walkSpeed * 0.1, 6);
    }
  });

  it("invert gives the inverse of a view-projection", () => {
    const p = perspective(mat4Create(), 1.2, 1.3, 0.1, 300);
    const v = fpsView(mat4Create(), 10, 20, 30, 0.4, -0.2);
    const vp = multiply(mat4Create(), p, v);
    const inv = mat4Create();
    expect(invert(inv, vp)).toBe(true);
    const id = multiply(mat4Create(), vp, inv);
    for (let i = 0; i < 16; i++) expect(id[i]).toBeCloseTo(i % 5 === 0 ? 1 : 0, 4);
    expect(invert(mat4Create(), new Float32Array(16))).toBe(false);
  });
});
