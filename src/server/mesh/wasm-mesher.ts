// The WebAssembly greedy mesher for the server (src/shared/mesh/wasm-greedy.ts): reads the
// committed .wasm and instantiates it, once per thread that meshes (each worker thread, and
// the main thread when the pool meshes inline). In MeshMode.Plain it is about twice as fast as
// the TypeScript mesher, with the same quads (test/shared/mesh/wasm.test.ts).
import { readFileSync } from "node:fs";
import { createWasmMesher } from "../../shared/mesh/wasm-greedy.ts";
import type { WasmMesher } from "../../shared/mesh/wasm-greedy.ts";

/**
 * The .wasm, found from the project root: this file is three levels below it both as
 * TypeScript (src/server/mesh/) and compiled (dist-server/server/mesh/), and the server build
 * (tsc) copies no assets, so the compiled server reads the committed file in src/.
 */
const WASM_FILE = new URL("../../../src/shared/mesh/wasm/greedy.wasm", import.meta.url);

/** A new mesher instance (reads and compiles the .wasm: a few ms; throws if the file is missing or invalid). */
export function loadWasmMesher(): WasmMesher {
  return createWasmMesher(new WebAssembly.Module(readFileSync(WASM_FILE)));
}
