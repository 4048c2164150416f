/**
 * Floats per box instance: center xyz + emissive, half size xyz + unused, colour rgb + unused,
 * forward axis xyz + unused (four vec4f, see box.wgsl).
 */
export const BOX_FLOATS = 16;

/** Where boxes go: the renderer's BoxBatch, or a recorder in tests. */
export interface BoxSink {
  /** An axis-aligned box centred at (x, y, z) with half extents (hx, hy, hz) and linear colour; false when full. */
  push(x: number, y: number, z: number, hx: number, hy: number, hz: number, r: number, g: number, b: number): boolean;
  /**
   * A box whose local +Z (the hz extent) points along (fx, fy, fz) and whose local +Y stays as
   * close to world up as that allows (a zero vector gives an axis-aligned box). `emissive` 0..1
   * blends the sun-lit colour towards the flat colour, so the box stays vivid in shadow.
   */
  pushOriented(
    x: number, y: number, z: number, hx: number, hy: number, hz: number,
    r: number, g: number, b: number, emissive: number, fx: number, fy: number, fz: number,
  ): boolean;
}

/**
 * CPU staging for the instanced box pipeline. The game clears it and pushes this frame's
 * boxes (players, NPCs, tracers, debris); the renderer uploads the used prefix.
 * Fixed capacity, so pushing never allocates.
 */
export class BoxBatch implements BoxSink {
  readonly data: Float32Array;
  count = 0;

  constructor(readonly capacity: number) {
    this.data = new Float32Array(capacity * BOX_FLOATS);
  }

  /** Drops all boxes (call at the start of each frame's fill). */
  clear(): void {
    this.count = 0;
  }

  push(x: number, y: number, z: number, hx: number, hy: number, hz: number, r: number, g: number, b: number): boolean {
    return this.pushOriented(x, y, z, hx, hy, hz, r, g, b, 0, 0, 0, 0);
  }

  pushOriented(
    x: number, y: number, z: number, hx: number, hy: number, hz: number,
    r: number, g: number, b: number, emissive: number, fx: number, fy: number, fz: number,
  ): boolean {
    if (this.count >= this.capacity) return false;
    const d = this.data;
    const o = this.count++ * BOX_FLOATS;
    d[o] = x; d[o + 1] = y; d[o + 2] = z; d[o + 3] = emissive;
    d[o + 4] = hx; d[o + 5] = hy; d[o + 6] = hz; d[o + 7] = 0;
    d[o + 8] = r; d[o + 9] = g; d[o + 10] = b; d[o + 11] = 1;
    d[o + 12] = fx; d[o + 13] = fy; d[o + 14] = fz; d[o + 15] = 0;
    return true;
  }
}
