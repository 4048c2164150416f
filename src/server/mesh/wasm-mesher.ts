// The server's mesher: the WebAssembly greedy mesher (src/shared/mesh/wasm-greedy.ts), read
// from the committed .wasm and instantiated once per thread that meshes (each worker thread,
// and the main thread when the pool meshes inline). In SERVER_MESH_MODE (Plain) it is about
// twice as fast as the TypeScript mesher, with the same quads (test/shared/mesh/wasm.test.ts).
// Should the .wasm be missing or unloadable (a broken install), the thread meshes with the
// TypeScript mesher instead and says why once, so collision data keeps flowing.
import { readFileSync } from "node:fs";
import { createMeshOutput, meshChunk } from "../../shared/mesh/greedy.ts";
import type { MeshResult } from "../../shared/mesh/greedy.ts";
import { createWasmMesher } from "../../shared/mesh/wasm-greedy.ts";
import type { WasmMesher } from "../../shared/mesh/wasm-greedy.ts";
import { SERVER_MESH_MODE } from "./protocol.ts";

/**
 * The .wasm, found from the project root: this file is three levels below it both as
 * TypeScript (src/server/mesh/) and compiled (dist-server/server/mesh/), and the server build
 * (tsc) copies no assets, so the compiled server reads the committed file in src/.
 */
const WASM_FILE = new URL("../../../src/shared/mesh/wasm/greedy.wasm", import.meta.url);

/** A new wasm mesher instance (reads and compiles the .wasm: a few ms; throws if it is missing or invalid). */
export function loadWasmMesher(file: URL = WASM_FILE): WasmMesher {
  return createWasmMesher(new WebAssembly.Module(readFileSync(file)));
}

/** A thread's mesher in SERVER_MESH_MODE. */
export interface ServerMesher {
  /** Meshes padded 34^3 bytes; the result is valid until the next call. */
  mesh(padded: Uint8Array): MeshResult;
  /** Why the wasm mesher did not load (the TypeScript one meshes instead), or null when it did. */
  readonly loadError: string | null;
}

/** The wasm mesher, or the TypeScript one when the .wasm does not load (`file`: tests point it elsewhere). */
export function createServerMesher(file: URL = WASM_FILE): ServerMesher {
  try {
    const wasm = loadWasmMesher(file);
    return { mesh: (padded) => wasm.mesh(padded, SERVER_MESH_MODE), loadError: null };
  } catch (err) {
    const out = createMeshOutput();
    return { mesh: (padded) => meshChunk(padded, out, SERVER_MESH_MODE), loadError: err instanceof Error ? err.message : String(err) };
  }
}
