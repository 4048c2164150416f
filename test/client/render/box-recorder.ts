import type { BoxSink } from "../../../src/client/render/box-batch.ts";

/** A BoxSink for tests: every box as [x, y, z, hx, hy, hz, r, g, b, emissive, fx, fy, fz]. */
export class BoxRecorder implements BoxSink {
  readonly boxes: number[][] = [];

  push(x: number, y: number, z: number, hx: number, hy: number, hz: number, r: number, g: number, b: number): boolean {
    return this.pushOriented(x, y, z, hx, hy, hz, r, g, b, 0, 0, 0, 0);
  }

  pushOriented(x: number, y: number, z: number, hx: number, hy: number, hz: number, r: number, g: number, b: number, e: number, fx: number, fy: number, fz: number): boolean {
    this.boxes.push([x, y, z, hx, hy, hz, r, g, b, e, fx, fy, fz]);
    return true;
  }
}
