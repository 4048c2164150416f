// The server threads' mesher (src/server/mesh/wasm-mesher.ts): the committed .wasm loads from
// the source tree, and a missing or broken .wasm falls back to the TypeScript mesher (with the
// reason) instead of leaving the server without collision data.
import { describe, expect, it } from "vitest";
import { createMeshOutput, meshChunk, meshWords } from "../../../src/shared/mesh/greedy.ts";
import { createServerMesher } from "../../../src/server/mesh/wasm-mesher.ts";
import { SERVER_MESH_MODE } from "../../../src/server/mesh/protocol.ts";
import { firstDifference, randomChunk } from "../../shared/mesh/reference.ts";

const chunk = randomChunk(31, 0.4, 3);
const expected = (() => {
  const r = meshChunk(chunk, createMeshOutput(), SERVER_MESH_MODE);
  return r.quads.slice(0, meshWords(r));
})();

describe("server mesher", () => {
  it("loads the committed wasm mesher", () => {
    const mesher = createServerMesher();
    expect(mesher.loadError).toBeNull();
    const r = mesher.mesh(chunk);
    expect(firstDifference(r.quads.slice(0, meshWords(r)), expected)).toBe(-1);
  });

  it("falls back to the TypeScript mesher, with the reason, when the .wasm is missing or not WebAssembly", () => {
    const missing = createServerMesher(new URL("./no-such-mesher.wasm", import.meta.url));
    expect(missing.loadError).toMatch(/ENOENT/);
    const notWasm = createServerMesher(new URL(import.meta.url));
    expect(notWasm.loadError).toMatch(/WebAssembly|magic/i);
    for (const mesher of [missing, notWasm]) {
      const r = mesher.mesh(chunk);
      expect(firstDifference(r.quads.slice(0, meshWords(r)), expected)).toBe(-1);
    }
  });
});
