// Pixel statistics for the end-to-end screenshots: sky vs terrain, which materials show,
// and where two screenshots differ.
import { SKY_HORIZON, SKY_ZENITH, linearToSrgb8 } from "../../src/client/render/scene.ts";
import { MATERIALS } from "../../src/shared/voxel/materials.ts";
import type { Image } from "./png.ts";

const horizon = SKY_HORIZON.map(linearToSrgb8);
const zenith = SKY_ZENITH.map(linearToSrgb8);

/** True when the colour lies within `tolerance` (sRGB units) of the sky gradient (horizon..zenith). */
export function isSky(r: number, g: number, b: number, tolerance = 14): boolean {
  const dx = zenith[0] - horizon[0], dy = zenith[1] - horizon[1], dz = zenith[2] - horizon[2];
  const px = r - horizon[0], py = g - horizon[1], pz = b - horizon[2];
  const t = Math.max(0, Math.min(1, (px * dx + py * dy + pz * dz) / (dx * dx + dy * dy + dz * dz)));
  return Math.hypot(px - t * dx, py - t * dy, pz - t * dz) <= tolerance;
}

/** Chromaticity (r, g share of r + g + b): mostly independent of lighting intensity. */
function chroma(r: number, g: number, b: number): [number, number] {
  const s = r + g + b || 1;
  return [r / s, g / s];
}

const materialChroma = MATERIALS.map((m, id) => ({
  id,
  name: m.name,
  c: chroma(...(m.color.map(linearToSrgb8) as [number, number, number])),
})).filter((m) => m.id !== 0);

/** A rectangle in pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Summary of what a screenshot shows. */
export interface ColourStats {
  readonly pixels: number;
  readonly nonSkyFraction: number;
  /** Share of non-sky pixels whose chromaticity is nearest to each material (materials over 0.5%). */
  readonly materials: Record<string, number>;
}

/** Classifies every pixel of `rect` (default: the whole image) as sky or nearest terrain material. */
export function colourStats(img: Image, rect: Rect = { x: 0, y: 0, w: img.width, h: img.height }): ColourStats {
  let sky = 0;
  let total = 0;
  const counts = new Map<string, number>();
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const i = (y * img.width + x) * 4;
      const r = img.rgba[i], g = img.rgba[i + 1], b = img.rgba[i + 2];
      total++;
      if (isSky(r, g, b)) {
        sky++;
        continue;
      }
      const [cr, cg] = chroma(r, g, b);
      let best = "";
      let bestD = 0.05; // chroma distance beyond which a pixel matches no material (UI, shadows)
      for (const m of materialChroma) {
        const d = Math.hypot(cr - m.c[0], cg - m.c[1]);
        if (d < bestD) {
          bestD = d;
          best = m.name;
        }
      }
      if (best) counts.set(best, (counts.get(best) ?? 0) + 1);
    }
  }
  const nonSky = total - sky;
  const materials: Record<string, number> = {};
  for (const [name, n] of counts) if (nonSky > 0 && n / nonSky >= 0.005) materials[name] = n / nonSky;
  return { pixels: total, nonSkyFraction: nonSky / total, materials };
}

/** Fraction of pixels in `rect` whose colours differ by more than `threshold` (sum of |dR|+|dG|+|dB|). */
export function changedFraction(a: Image, b: Image, rect: Rect, threshold = 40): number {
  let changed = 0;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const i = (y * a.width + x) * 4;
      const d = Math.abs(a.rgba[i] - b.rgba[i]) + Math.abs(a.rgba[i + 1] - b.rgba[i + 1]) + Math.abs(a.rgba[i + 2] - b.rgba[i + 2]);
      if (d > threshold) changed++;
    }
  }
  return changed / (rect.w * rect.h);
}

/** Pixels of `rect` whose chromaticity is near one of `palette` (linear RGB colours), and how far those are from terrain. */
export interface EntityPixels {
  /** Non-sky pixels within 0.05 chroma of a palette colour. */
  readonly matching: number;
  /** The smallest chroma distance from any of those pixels to any terrain material (Infinity when none matched). */
  readonly minMaterialDistance: number;
}

/** Counts the pixels of `rect` coloured like an entity drawn in `palette`. */
export function entityPixels(img: Image, rect: Rect, palette: readonly (readonly [number, number, number])[]): EntityPixels {
  const targets = palette.map((c) => chroma(linearToSrgb8(c[0]), linearToSrgb8(c[1]), linearToSrgb8(c[2])));
  let matching = 0;
  let minMaterialDistance = Infinity;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const i = (y * img.width + x) * 4;
      const r = img.rgba[i], g = img.rgba[i + 1], b = img.rgba[i + 2];
      // Very dark pixels have no reliable chromaticity.
      if (isSky(r, g, b) || r + g + b < 60) continue;
      const [cr, cg] = chroma(r, g, b);
      if (!targets.some((t) => Math.hypot(cr - t[0], cg - t[1]) < 0.05)) continue;
      matching++;
      for (const m of materialChroma) minMaterialDistance = Math.min(minMaterialDistance, Math.hypot(cr - m.c[0], cg - m.c[1]));
    }
  }
  return { matching, minMaterialDistance };
}
