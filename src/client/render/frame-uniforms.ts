import { AMBIENT_GROUND, AMBIENT_SKY, SKY_GROUND, SKY_HORIZON, SKY_ZENITH, SUN_COLOR, SUN_DIRECTION } from "./scene.ts";

/** Size of the Frame struct in shaders/frame.wgsl: two mat4x4f and nine vec4f. */
export const FRAME_UNIFORM_BYTES = 2 * 64 + 9 * 16;

// Float offsets of the fields that change per frame.
const VIEW_PROJ = 0;
const INV_VIEW_PROJ = 16;
const CAMERA = 32;
const FOG = 64;

/**
 * CPU mirror of the Frame uniform block. The lighting and sky fields are written once in
 * the constructor; per frame only the matrices, camera and fog change, in place.
 */
export class FrameUniforms {
  readonly data = new Float32Array(FRAME_UNIFORM_BYTES / 4);

  constructor() {
    const d = this.data;
    const len = Math.hypot(SUN_DIRECTION[0], SUN_DIRECTION[1], SUN_DIRECTION[2]);
    d.set([SUN_DIRECTION[0] / len, SUN_DIRECTION[1] / len, SUN_DIRECTION[2] / len, 0], 36);
    d.set([...SUN_COLOR, 0], 40);
    d.set([...AMBIENT_SKY, 0], 44);
    d.set([...AMBIENT_GROUND, 0], 48);
    d.set([...SKY_ZENITH, 0], 52);
    d.set([...SKY_HORIZON, 0], 56);
    d.set([...SKY_GROUND, 0], 60);
  }

  /** Copies this frame's matrices (16 floats each), eye, time and fog range. */
  update(
    viewProj: Float32Array, invViewProj: Float32Array,
    ex: number, ey: number, ez: number, seconds: number,
    fogStart: number, fogEnd: number,
  ): void {
    const d = this.data;
    d.set(viewProj, VIEW_PROJ);
    d.set(invViewProj, INV_VIEW_PROJ);
    d[CAMERA] = ex;
    d[CAMERA + 1] = ey;
    d[CAMERA + 2] = ez;
    d[CAMERA + 3] = seconds;
    d[FOG] = fogStart;
    d[FOG + 1] = fogEnd;
  }
}
