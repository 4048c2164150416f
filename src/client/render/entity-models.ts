// What players and NPCs look like: box models (parts in the entity's own frame, turned with
// its heading) and colours chosen to stand out against every terrain material and the sky,
// as saturated hues no material has (test/client/render/entity-models.test.ts measures it).
// Players are upright figures with a gun, in azure for your team and red-pink for the other;
// NPCs are squat violet four-legged drones with a glowing eye. Pure data and arithmetic.
import type { BoxSink } from "./box-batch.ts";

/** The colour roles of a model's parts. */
export type Tone = "body" | "dark" | "light" | "glow" | "metal";

/** One box of a model: centre (right, up from the feet, forward) and half extents, in voxels. */
export interface ModelPart {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly hx: number;
  readonly hy: number;
  readonly hz: number;
  readonly tone: Tone;
}

type Rgb = readonly [number, number, number];

/** Colours of one kind of entity (linear RGB). */
export interface Palette {
  readonly body: Rgb;
  readonly dark: Rgb;
  readonly light: Rgb;
  readonly glow: Rgb;
  readonly metal: Rgb;
}

const METAL: Rgb = [0.06, 0.06, 0.07];

/** Palettes: your team, the other team, NPCs. */
export const PALETTES = {
  ally: { body: [0.04, 0.5, 1.0], dark: [0.02, 0.22, 0.55], light: [0.1, 0.9, 0.9], glow: [0.7, 1.0, 1.0], metal: METAL },
  enemy: { body: [1.0, 0.1, 0.3], dark: [0.5, 0.03, 0.12], light: [1.0, 0.15, 0.6], glow: [1.0, 0.95, 0.4], metal: METAL },
  npc: { body: [0.6, 0.16, 1.0], dark: [0.24, 0.05, 0.45], light: [0.85, 0.6, 1.0], glow: [1.0, 0.9, 0.1], metal: METAL },
} as const satisfies Record<string, Palette>;
export type PaletteName = keyof typeof PALETTES;

/** How much each tone ignores the sun (stays bright in shadow). */
export const TONE_EMISSIVE: Record<Tone, number> = { body: 0.45, dark: 0.3, light: 0.45, glow: 1, metal: 0 };

/** An upright figure 1.8 voxels tall: legs, torso, arms, head with a visor, a gun in the right hand. */
export const PLAYER_MODEL: readonly ModelPart[] = [
  { x: -0.13, y: 0.4, z: 0, hx: 0.1, hy: 0.4, hz: 0.11, tone: "dark" },
  { x: 0.13, y: 0.4, z: 0, hx: 0.1, hy: 0.4, hz: 0.11, tone: "dark" },
  { x: 0, y: 1.08, z: 0, hx: 0.27, hy: 0.3, hz: 0.15, tone: "body" },
  { x: -0.36, y: 1.08, z: 0.04, hx: 0.08, hy: 0.28, hz: 0.09, tone: "body" },
  { x: 0.36, y: 1.12, z: 0.12, hx: 0.08, hy: 0.09, hz: 0.2, tone: "body" },
  { x: 0, y: 1.58, z: 0, hx: 0.17, hy: 0.17, hz: 0.17, tone: "light" },
  { x: 0, y: 1.61, z: 0.16, hx: 0.13, hy: 0.045, hz: 0.03, tone: "glow" },
  { x: 0.36, y: 1.16, z: 0.42, hx: 0.045, hy: 0.06, hz: 0.24, tone: "metal" },
];

/** A squat drone on four legs, 1.7 voxels tall with its antenna, one wide glowing eye. */
export const NPC_MODEL: readonly ModelPart[] = [
  { x: -0.26, y: 0.28, z: -0.26, hx: 0.08, hy: 0.28, hz: 0.08, tone: "dark" },
  { x: 0.26, y: 0.28, z: -0.26, hx: 0.08, hy: 0.28, hz: 0.08, tone: "dark" },
  { x: -0.26, y: 0.28, z: 0.26, hx: 0.08, hy: 0.28, hz: 0.08, tone: "dark" },
  { x: 0.26, y: 0.28, z: 0.26, hx: 0.08, hy: 0.28, hz: 0.08, tone: "dark" },
  { x: 0, y: 0.92, z: 0, hx: 0.42, hy: 0.34, hz: 0.42, tone: "body" },
  { x: 0, y: 0.98, z: 0.43, hx: 0.24, hy: 0.08, hz: 0.02, tone: "glow" },
  { x: 0, y: 1.42, z: 0, hx: 0.03, hy: 0.16, hz: 0.03, tone: "metal" },
  { x: 0, y: 1.62, z: 0, hx: 0.06, hy: 0.06, hz: 0.06, tone: "glow" },
];

/** A downed body: lying along its heading, head towards where it faced. */
export const DOWNED_MODEL: readonly ModelPart[] = [
  { x: 0, y: 0.16, z: -0.1, hx: 0.3, hy: 0.16, hz: 0.7, tone: "dark" },
  { x: 0, y: 0.2, z: 0.78, hx: 0.17, hy: 0.17, hz: 0.17, tone: "light" },
];

/** Colour of every part while the entity flashes from a hit. */
const FLASH: Rgb = [1, 0.97, 0.9];

/**
 * Pushes `model` at feet position (x, y, z) facing `yaw` (yaw 0 faces -Z) in `palette`; all
 * white while `flash`. Returns false when the sink is full. Allocation-free.
 */
export function drawModel(
  sink: BoxSink, model: readonly ModelPart[], palette: Palette, x: number, y: number, z: number, yaw: number, flash: boolean,
): boolean {
  // forward = (-sin yaw, 0, -cos yaw); right = (cos yaw, 0, -sin yaw).
  const fx = -Math.sin(yaw);
  const fz = -Math.cos(yaw);
  for (let i = 0; i < model.length; i++) {
    const p = model[i];
    const c = flash ? FLASH : palette[p.tone];
    const cx = x - fz * p.x + fx * p.z;
    const cz = z + fx * p.x + fz * p.z;
    if (!sink.pushOriented(cx, y + p.y, cz, p.hx, p.hy, p.hz, c[0], c[1], c[2], flash ? 1 : TONE_EMISSIVE[p.tone], fx, 0, fz)) return false;
  }
  return true;
}

/** Health bar look: half width and height, gap above the model (voxels). */
export const HEALTH_BAR = { halfWidth: 0.4, halfHeight: 0.05, above: 0.35 } as const;

/**
 * Pushes a small health bar centred at (x, y, z), turned to face the camera at (camX, camZ):
 * a dark back and a fill `fraction` (0..1) long, green at full health through yellow to red.
 */
export function drawHealthBar(sink: BoxSink, x: number, y: number, z: number, fraction: number, camX: number, camZ: number): boolean {
  let tx = camX - x;
  let tz = camZ - z;
  const len = Math.hypot(tx, tz) || 1;
  tx /= len;
  tz /= len;
  const f = fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;
  const w = HEALTH_BAR.halfWidth;
  const h = HEALTH_BAR.halfHeight;
  if (!sink.pushOriented(x, y, z, w + 0.02, h + 0.02, 0.01, 0.02, 0.02, 0.02, 1, tx, 0, tz)) return false;
  if (f <= 0) return true;
  // The bar's local +X is cross(up, towards camera) = (tz, 0, -tx): the fill grows from -X.
  const shift = -w * (1 - f);
  const r = f < 0.5 ? 1 : 2 - 2 * f;
  const g = f > 0.5 ? 1 : 2 * f;
  return sink.pushOriented(x + tz * shift + tx * 0.02, y, z - tx * shift + tz * 0.02, w * f, h, 0.012, r * 0.9, g * 0.85, 0.05, 1, tx, 0, tz);
}
