// The corner tables in frame.wgsl, checked against the quad contract (quad.ts FACE_AXES):
// every face's two triangles cover its quad exactly, face outwards (counter-clockwise seen
// from the front, matching the pipelines' cullMode "back"), and the AO flip changes the diagonal.
// The fragment shader's AO interpolation (shader-ao.ts, its CPU port) must equal what these
// triangles give the vertex-AO renderer.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FACE_AXES } from "../../../src/shared/mesh/quad.ts";
import { interpolateAo } from "../../../src/shared/mesh/shader-ao.ts";

const wgsl = readFileSync(new URL("../../../src/client/render/shaders/frame.wgsl", import.meta.url), "utf8");

function constant(name: string): number[] {
  const m = new RegExp(`const ${name} = (?:vec4u\\()?([^;]*?)\\)?;`).exec(wgsl);
  if (!m) throw new Error(`${name} not found in frame.wgsl`);
  return m[1].split(",").map((s) => Number.parseInt(s.trim().replace(/u$/, ""), 16));
}

const TRI_CORNERS = constant("TRI_CORNERS");
const MIRRORED_FACES = constant("MIRRORED_FACES")[0];

/** Mirror of triCorner() in frame.wgsl. */
function triCorner(face: number, flip: number, vertex: number): number {
  const variant = ((MIRRORED_FACES >> face) & 1) * 2 + flip;
  return (TRI_CORNERS[variant] >> (vertex * 2)) & 3;
}

/** Corner position of a unit quad on `face` of voxel (0, 0, 0), per quad.ts. */
function cornerPosition(face: number, corner: number): number[] {
  const [n, u, v, sign] = FACE_AXES[face];
  const p = [0, 0, 0];
  p[n] = sign > 0 ? 1 : 0;
  p[u] = corner === 1 || corner === 2 ? 1 : 0;
  p[v] = corner >= 2 ? 1 : 0;
  return p;
}

function triangleNormal(a: number[], b: number[], c: number[]): number[] {
  const e1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const e2 = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
  return [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
}

describe("face corner tables (frame.wgsl)", () => {
  for (let face = 0; face < 6; face++) {
    for (const flip of [0, 1]) {
      it(`face ${face}, flip ${flip}: two outward triangles covering the quad`, () => {
        const corners = [0, 1, 2, 3, 4, 5].map((v) => triCorner(face, flip, v));
        const [n, , , sign] = FACE_AXES[face];
        const used = new Set<number>();
        for (let t = 0; t < 2; t++) {
          const tri = corners.slice(t * 3, t * 3 + 3);
          expect(new Set(tri).size).toBe(3);
          tri.forEach((c) => used.add(c));
          const normal = triangleNormal(...(tri.map((c) => cornerPosition(face, c)) as [number[], number[], number[]]));
          // Area 1/2 each (so together the unit quad) and pointing along the face normal.
          expect(Math.hypot(normal[0], normal[1], normal[2])).toBeCloseTo(1, 9);
          expect(normal[n] * sign).toBeGreaterThan(0);
        }
        expect(used.size).toBe(4);
        // The shared edge is the diagonal: 0-2 normally, 1-3 when flipped for AO.
        const shared = corners.slice(0, 3).filter((c) => corners.slice(3).includes(c)).sort();
        expect(shared).toEqual(flip === 0 ? [0, 2] : [1, 3]);
      });
    }
  }
});

/** Barycentric interpolation of corner values over the triangle of (face, flip) that contains (s, t). */
function triangleAo(face: number, flip: number, ao: number, s: number, t: number): number {
  for (let tri = 0; tri < 2; tri++) {
    const c = [0, 1, 2].map((k) => triCorner(face, flip, tri * 3 + k));
    const uv = c.map((k) => [k === 1 || k === 2 ? 1 : 0, k >= 2 ? 1 : 0]);
    const [[x0, y0], [x1, y1], [x2, y2]] = uv;
    const det = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2);
    const l0 = ((y1 - y2) * (s - x2) + (x2 - x1) * (t - y2)) / det;
    const l1 = ((y2 - y0) * (s - x2) + (x0 - x2) * (t - y2)) / det;
    const l2 = 1 - l0 - l1;
    if (Math.min(l0, l1, l2) < -1e-9) continue;
    const a = c.map((k) => (ao >> (2 * k)) & 3);
    return l0 * a[0] + l1 * a[1] + l2 * a[2];
  }
  throw new Error(`(${s}, ${t}) is in neither triangle`);
}

describe("per-pixel AO interpolation (shader-ao.ts) against the vertex renderer's triangles", () => {
  it("equals barycentric interpolation over the flipped or unflipped triangles, for every AO byte and face", () => {
    const samples = [0, 0.1, 0.25, 0.5, 0.7, 0.93, 1];
    for (let face = 0; face < 6; face++) {
      for (let ao = 0; ao < 256; ao++) {
        // The flip rule of terrain.wgsl's vertex shader.
        const a = [0, 1, 2, 3].map((k) => (ao >> (2 * k)) & 3);
        const flip = a[0] + a[2] < a[1] + a[3] ? 1 : 0;
        for (const s of samples) for (const t of samples) expect(interpolateAo(ao, s, t)).toBeCloseTo(triangleAo(face, flip, ao, s, t), 9);
      }
    }
  });
});
