// The WebAssembly build of the greedy mesher (wasm/greedy.c): the material-merge modes
// (MeshMode.ShaderAo, MeshMode.Plain) with output identical to greedy.ts's meshChunk, the
// reference it is tested against. One instance per realm (worker, server thread): its memory
// is sized for the largest possible mesh up front and never grows, so the views below stay
// valid, and a call allocates nothing in JS. The caller provides the compiled module (how the
// .wasm is loaded is platform code: a Vite asset URL in the browser, a file read in Node).
import { PADDED_VOLUME } from "../voxel/constants.ts";
import { MeshMode } from "./quad.ts";
import type { MeshModeId } from "./quad.ts";
import type { MeshResult } from "./greedy.ts";

/** A wasm mesher instance: meshChunk's contract for the material-merge modes. */
export interface WasmMesher {
  /**
   * Meshes padded 34^3 chunk bytes (paddedIndex layout) in `mode` (ShaderAo or Plain; throws
   * a RangeError for VertexAo, which stays in greedy.ts). The result's arrays are views of the
   * instance's memory, overwritten by the next call: copy what must outlive it (copyQuads).
   */
  mesh(padded: Uint8Array, mode: MeshModeId): MeshResult;
}

interface Exports {
  memory: WebAssembly.Memory;
  input(): number;
  output(): number;
  output_words(): number;
  face_counts(): number;
  side_words(): number;
  mesh(mode: number): number;
}

/**
 * Instantiates the mesher from its compiled module, synchronously: fine in Node and in workers
 * (Chromium refuses synchronous instantiation of a module this size on a page's main thread,
 * which never meshes). Each instance holds about 1.5 MB of memory, sized up front.
 */
export function createWasmMesher(module: WebAssembly.Module): WasmMesher {
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
  const buffer = exports.memory.buffer;
  const input = new Uint8Array(buffer, exports.input(), PADDED_VOLUME);
  const result = {
    // Room for the largest possible mesh (wasm/greedy.c OUT_WORDS).
    quads: new Uint32Array(buffer, exports.output(), exports.output_words()),
    quadCount: 0,
    sideWords: 0,
    faceCounts: new Uint32Array(buffer, exports.face_counts(), 6),
  };
  return {
    mesh(padded: Uint8Array, mode: MeshModeId): MeshResult {
      if (padded.length < PADDED_VOLUME) throw new RangeError("wasm mesher: padded array must hold 34^3 voxels");
      if (mode !== MeshMode.ShaderAo && mode !== MeshMode.Plain) throw new RangeError(`wasm mesher: mode ${mode} is not a material-merge mode`);
      input.set(padded.length === PADDED_VOLUME ? padded : padded.subarray(0, PADDED_VOLUME));
      result.quadCount = exports.mesh(mode);
      result.sideWords = exports.side_words();
      return result;
    },
  };
}
