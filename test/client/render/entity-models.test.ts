// Entity looks: under the scene's lighting, every main colour of every palette (the parts that
// make up most of a model) stays far in chromaticity from every terrain material and from the
// sky, so players and NPCs read against any ground; the three palettes differ from each other;
// models are drawn turned with their heading and inside their hitbox; the health bar's fill
// follows the health.
import { describe, expect, it } from "vitest";
import { drawHealthBar, drawModel, HEALTH_BAR, NPC_MODEL, PALETTES, PLAYER_MODEL, TONE_EMISSIVE } from "../../../src/client/render/entity-models.ts";
import { AMBIENT_GROUND, AMBIENT_SKY, linearToSrgb8, SKY_GROUND, SKY_HORIZON, SKY_ZENITH, SUN_COLOR, SUN_DIRECTION } from "../../../src/client/render/scene.ts";
import { MATERIALS } from "../../../src/shared/voxel/materials.ts";
import { MOVE } from "../../../src/shared/physics/movement.ts";
import { BoxRecorder } from "./box-recorder.ts";

type Rgb = readonly [number, number, number];

const sunLen = Math.hypot(...SUN_DIRECTION);
const sun = SUN_DIRECTION.map((v) => v / sunLen);
/** Face normals a viewer sees: top, the four sides, bottom. */
const NORMALS: Rgb[] = [[0, 1, 0], [1, 0, 0], [-1, 0, 0], [0, 0, 1], [0, 0, -1], [0, -1, 0]];

/** faceLight() of frame.wgsl. */
function light(n: Rgb): Rgb {
  const t = n[1] * 0.5 + 0.5;
  const d = Math.max(0, n[0] * sun[0] + n[1] * sun[1] + n[2] * sun[2]);
  return [0, 1, 2].map((i) => AMBIENT_GROUND[i] + (AMBIENT_SKY[i] - AMBIENT_GROUND[i]) * t + SUN_COLOR[i] * d) as unknown as Rgb;
}

/** sRGB chromaticity of linear colour `c` lit from normal `n`, mixed towards flat by `emissive` (box.wgsl). */
function shaded(c: Rgb, n: Rgb, emissive: number): [number, number] {
  const l = light(n);
  const rgb = [0, 1, 2].map((i) => linearToSrgb8(c[i] * l[i] * (1 - emissive) + c[i] * emissive));
  const s = rgb[0] + rgb[1] + rgb[2] || 1;
  return [rgb[0] / s, rgb[1] / s];
}

function chroma(c: Rgb): [number, number] {
  const rgb = c.map(linearToSrgb8);
  const s = rgb[0] + rgb[1] + rgb[2] || 1;
  return [rgb[0] / s, rgb[1] / s];
}

/** The tones most of a model is made of (glow and metal are small accents: a visor, a gun). */
const MAIN_TONES = ["body", "dark", "light"] as const;

/** Smallest chroma distance between an entity colour and any material or the sky, over every lit face. */
function closestTerrain(c: Rgb, emissive: number): { distance: number; what: string } {
  let best = { distance: Infinity, what: "" };
  const sky: [string, Rgb][] = [["sky horizon", SKY_HORIZON], ["sky zenith", SKY_ZENITH], ["sky ground", SKY_GROUND]];
  for (const n of NORMALS) {
    const e = shaded(c, n, emissive);
    for (const m of MATERIALS.slice(1)) {
      for (const mn of NORMALS) {
        const t = shaded(m.color, mn, 0);
        const d = Math.hypot(e[0] - t[0], e[1] - t[1]);
        if (d < best.distance) best = { distance: d, what: m.name };
      }
    }
    for (const [name, s] of sky) {
      const t = chroma(s);
      const d = Math.hypot(e[0] - t[0], e[1] - t[1]);
      if (d < best.distance) best = { distance: d, what: name };
    }
  }
  return best;
}

describe("entity colours", () => {
  it("stay far from every terrain material and the sky under every face's lighting", () => {
    const report: string[] = [];
    for (const [name, p] of Object.entries(PALETTES)) {
      for (const tone of MAIN_TONES) {
        if (name === "npc" && tone === "light") continue; // NPC models have no light parts
        const near = closestTerrain(p[tone], TONE_EMISSIVE[tone]);
        report.push(`${name}.${tone}: ${near.distance.toFixed(3)} from ${near.what}`);
        expect(near.distance, `${name}.${tone} is close to ${near.what}`).toBeGreaterThan(0.06);
      }
    }
    console.log(report.join("\n"));
  });

  it("tell allies, the other team and NPCs apart", () => {
    const bodies = Object.values(PALETTES).map((p) => chroma(p.body));
    for (let i = 0; i < bodies.length; i++) {
      for (let j = i + 1; j < bodies.length; j++) expect(Math.hypot(bodies[i][0] - bodies[j][0], bodies[i][1] - bodies[j][1])).toBeGreaterThan(0.1);
    }
  });
});

describe("entity models", () => {
  it("are distinct shapes that fit the hitbox height", () => {
    expect(PLAYER_MODEL).not.toEqual(NPC_MODEL);
    for (const model of [PLAYER_MODEL, NPC_MODEL]) {
      const top = Math.max(...model.map((p) => p.y + p.hy));
      const bottom = Math.min(...model.map((p) => p.y - p.hy));
      expect(bottom).toBeGreaterThanOrEqual(0);
      expect(top).toBeLessThanOrEqual(MOVE.height + 0.05);
      expect(top).toBeGreaterThan(MOVE.height * 0.85);
    }
  });

  it("are turned with the heading: the gun points where the player faces", () => {
    const sink = new BoxRecorder();
    const gun = PLAYER_MODEL.findIndex((p) => p.tone === "metal");
    for (const [yaw, fx, fz] of [[0, 0, -1], [Math.PI / 2, -1, 0], [Math.PI, 0, 1]] as const) {
      sink.boxes.length = 0;
      expect(drawModel(sink, PLAYER_MODEL, PALETTES.enemy, 10, 5, 10, yaw, false)).toBe(true);
      expect(sink.boxes).toHaveLength(PLAYER_MODEL.length);
      const b = sink.boxes[gun];
      // The gun sits ahead of the body along the heading, and each box's forward axis is the heading.
      expect((b[0] - 10) * fx + (b[2] - 10) * fz).toBeGreaterThan(0.3);
      expect(b[10]).toBeCloseTo(fx, 9);
      expect(b[12]).toBeCloseTo(fz, 9);
    }
  });

  it("flash white when hit", () => {
    const sink = new BoxRecorder();
    drawModel(sink, NPC_MODEL, PALETTES.npc, 0, 0, 0, 0, true);
    for (const b of sink.boxes) expect(b.slice(6, 10)).toEqual([1, 0.97, 0.9, 1]);
  });
});

describe("health bar", () => {
  it("has a fill as long as the health, turned to the camera, and none at zero", () => {
    const sink = new BoxRecorder();
    drawHealthBar(sink, 0, 2, 0, 0.25, 0, 10);
    expect(sink.boxes).toHaveLength(2);
    const [, fill] = sink.boxes;
    expect(fill[3]).toBeCloseTo(HEALTH_BAR.halfWidth * 0.25, 9);
    // Facing the camera at +Z, the bar's long axis is X; the quarter fill is shifted to one end.
    expect([fill[10], fill[12]]).toEqual([0, 1]);
    expect(Math.abs(fill[0])).toBeCloseTo(HEALTH_BAR.halfWidth * 0.75, 9);
    // Red at a quarter health, green at full.
    expect(fill[6]).toBeGreaterThan(fill[7]);
    sink.boxes.length = 0;
    drawHealthBar(sink, 0, 2, 0, 1, 0, 10);
    expect(sink.boxes[1][7]).toBeGreaterThan(sink.boxes[1][6]);
    sink.boxes.length = 0;
    drawHealthBar(sink, 0, 2, 0, 0, 0, 10);
    expect(sink.boxes).toHaveLength(1);
  });
});
