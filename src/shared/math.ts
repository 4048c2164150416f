// Small numeric helpers every layer uses.

/** `v` limited to [lo, hi] (NaN stays NaN). */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
