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
 * Per-pixel AO: the two modes render the same picture (test/e2e/ao-modes.test.ts) and shader
 * mode needs about half the quads and mesh bytes. Its fragment work is straight-line code
 * (terrain.wgsl): on the CPU rasteriser the tests run on its frames take 1.2-1.3x vertex
 * mode's (`npm run bench:carve`, frame ms; 2.5x before; not measured on a GPU here).
 * Vertex mode stays one switch away as the reference.
 */
export const DEFAULT_AO_MODE: AoModeId = AoMode.Shader;

/** The mesher mode whose quads the terrain shader expects in `ao` mode. */
export function meshModeFor(ao: AoModeId): MeshModeId {
  return ao === AoMode.Vertex ? MeshMode.VertexAo : MeshMode.ShaderAo;
}
