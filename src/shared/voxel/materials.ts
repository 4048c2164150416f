/** Material ids stored in voxels. 0 is air; every other id is a solid, opaque block. */
export const Material = {
  Air: 0,
  Grass: 1,
  Dirt: 2,
  Stone: 3,
  Wood: 4,
  Brick: 5,
  Metal: 6,
  Glass: 7,
  Sand: 8,
  Bedrock: 9,
} as const;

/** Number of material slots (palette size); ids are < MATERIAL_COUNT. */
export const MATERIAL_COUNT = 10;

/** Per-material properties. `hardness` scales crater radius (bedrock cannot be carved). */
export interface MaterialInfo {
  readonly name: string;
  /** Linear RGB 0..1, used by the renderer's palette. */
  readonly color: readonly [number, number, number];
  /** 0 = indestructible, 1 = normal, lower = tougher. */
  readonly carveFactor: number;
}

export const MATERIALS: readonly MaterialInfo[] = [
  { name: "air", color: [0, 0, 0], carveFactor: 0 },
  { name: "grass", color: [0.30, 0.62, 0.22], carveFactor: 1 },
  { name: "dirt", color: [0.47, 0.33, 0.21], carveFactor: 1 },
  { name: "stone", color: [0.50, 0.50, 0.52], carveFactor: 0.8 },
  { name: "wood", color: [0.60, 0.42, 0.22], carveFactor: 1 },
  { name: "brick", color: [0.66, 0.25, 0.20], carveFactor: 0.9 },
  { name: "metal", color: [0.70, 0.72, 0.78], carveFactor: 0.6 },
  { name: "glass", color: [0.62, 0.84, 0.92], carveFactor: 1 },
  { name: "sand", color: [0.86, 0.80, 0.55], carveFactor: 1 },
  { name: "bedrock", color: [0.16, 0.16, 0.18], carveFactor: 0 },
];
