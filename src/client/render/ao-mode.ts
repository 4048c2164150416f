import { MeshMode } from "../../shared/mesh/quad.ts";
import type { MeshModeId } from "../../shared/mesh/quad.ts";

/**
 * Where terrain ambient occlusion is computed (`?ao=`): baked per quad corner by the mesher
 * and interpolated across the quad (the reference), or per pixel in the fragment shader from
 * each quad's front ring, which lets the mesher merge by material alone (about half the quads).
 */
export const AoMode = {
  Vertex: "vertex",
  Shader: "shader",
} as const;
export type AoModeId = (typeof AoMode)[keyof typeof AoMode];

/**
 * The baked reference, for now. The two modes render the same picture (test/e2e/ao-modes.test.ts)
 * and shader mode needs about half the quads, but its per-pixel work makes frames 1.8-2.7x
 * slower on the CPU rasteriser the tests run on (`npm run bench:carve`), enough to make a
 * moving game miss its timing there, and its mesh time is not yet within the goal. It
 * becomes the default once measured on a real GPU.
 */
export const DEFAULT_AO_MODE: AoModeId = AoMode.Vertex;

/** The mesher mode whose quads the terrain shader expects in `ao` mode. */
export function meshModeFor(ao: AoModeId): MeshModeId {
  return ao === AoMode.Vertex ? MeshMode.VertexAo : MeshMode.ShaderAo;
}
