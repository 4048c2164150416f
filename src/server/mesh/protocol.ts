// Messages between the mesh pool and its worker threads: typed arrays only (data, not objects).
import { MeshMode } from "../../shared/mesh/quad.ts";

/**
 * How the server meshes, in the workers and inline alike: merged by material alone with no
 * AO data, the cheapest mode. The server only counts quads and times the mesher; it draws nothing.
 */
export const SERVER_MESH_MODE = MeshMode.Plain;

/** A chunk to mesh: a padded 34^3 copy and a 32x32 buffer for the column tops. */
export interface WorkerJob {
  readonly id: number;
  readonly padded: Uint8Array;
  readonly tops: Int8Array;
}

/** What a worker measured; the buffers come back for reuse. */
export interface WorkerResult {
  readonly id: number;
  readonly quads: number;
  /** Mesher time measured inside the worker. */
  readonly meshMs: number;
  /** Why the worker's wasm mesher did not load (it meshed with the TypeScript one), or null. */
  readonly wasmError: string | null;
  readonly endEpochMs: number;
  readonly solid: number;
  readonly padded: Uint8Array;
  readonly tops: Int8Array;
}
