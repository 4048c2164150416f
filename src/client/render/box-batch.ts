/** Floats per box instance: center xyz_, halfSize xyz_, color rgb_ (three vec4f, see box.wgsl). */
export const BOX_FLOATS = 12;

/**
 * CPU staging for the instanced box pipeline. The game clears it and pushes this frame's
 * boxes (projectiles; later players and NPCs); the renderer uploads the used prefix.
 * Fixed capacity, so pushing never allocates.
 */
export class BoxBatch {
  readonly data: Float32Array;
  count = 0;

  constructor(readonly capacity: number) {
    this.data = new Float32Array(capacity * BOX_FLOATS);
  }

  /** Drops all boxes (call at the start of each frame's fill). */
  clear(): void {
    this.count = 0;
  }

  /** Adds a box centred at (x, y, z) with half extents (hx, hy, hz) and linear colour; false when full. */
  push(x: number, y: number, z: number, hx: number, hy: number, hz: number, r: number, g: number, b: number): boolean {
    if (this.count >= this.capacity) return false;
    const d = this.data;
    const o = this.count++ * BOX_FLOATS;
    d[o] = x; d[o + 1] = y; d[o + 2] = z; d[o + 3] = 0;
    d[o + 4] = hx; d[o + 5] = hy; d[o + 6] = hz; d[o + 7] = 0;
    d[o + 8] = r; d[o + 9] = g; d[o + 10] = b; d[o + 11] = 1;
    return true;
  }
}
