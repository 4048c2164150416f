// Scene lighting and sky colours, in linear RGB like the material palette. The shaders get
// them through the frame uniforms; the end-to-end test imports them to tell sky from terrain.
import { clamp } from "../../shared/math.ts";

/** Direction towards the sun (normalised by the renderer). Lights the +Y, +X and +Z faces. */
export const SUN_DIRECTION = [0.45, 0.8, 0.4] as const;
export const SUN_COLOR = [0.9, 0.84, 0.72] as const;
/** Hemisphere ambient: what an upward and a downward facing surface receive. */
export const AMBIENT_SKY = [0.26, 0.3, 0.38] as const;
export const AMBIENT_GROUND = [0.16, 0.15, 0.13] as const;
export const SKY_ZENITH = [0.16, 0.34, 0.7] as const;
export const SKY_HORIZON = [0.62, 0.75, 0.88] as const;
/** Below the horizon (only visible past the world's edge). */
export const SKY_GROUND = [0.42, 0.46, 0.5] as const;

/** sRGB encoding of one linear channel (0..1) to 0..255, as the shaders' final step does. */
export function linearToSrgb8(c: number): number {
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
  return Math.round(clamp(v, 0, 1) * 255);
}
