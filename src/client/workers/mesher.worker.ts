// Module worker: runs the greedy mesher off the main thread, exposed over comlink. The
// material-merge modes (MeshMode.ShaderAo, the default renderer's, and Plain) run the
// mesher's WebAssembly build (shared/mesh/wasm-greedy.ts, about twice as fast, same quads);
// VertexAo (`?ao=vertex`, the reference) runs the TypeScript mesher. The .wasm is a Vite asset,
// fetched and compiled once per worker; should that fail (an old browser, a blocked fetch) the
// worker says so once and meshes everything with the TypeScript mesher.
import * as Comlink from "comlink";
import { copyQuads, createMeshOutput, meshChunk } from "../../shared/mesh/greedy.ts";
import type { MeshResult } from "../../shared/mesh/greedy.ts";
import { MeshMode } from "../../shared/mesh/quad.ts";
import { createWasmMesher } from "../../shared/mesh/wasm-greedy.ts";
import type { WasmMesher } from "../../shared/mesh/wasm-greedy.ts";
import wasmUrl from "../../shared/mesh/wasm/greedy.wasm?url";
import type { MeshJob, MeshJobResult, MesherApi } from "./mesher-protocol.ts";

// One reusable output per worker: meshChunk writes into it, and only the exact-size copy
// of the mesh words leaves the worker (the copy is transferred, the scratch stays here).
const output = createMeshOutput();

/** The wasm mesher once loaded, null if it failed to load, undefined while loading. */
let wasm: WasmMesher | null | undefined;
const wasmReady = loadWasm().then((m) => {
  wasm = m;
});

/** Fetches and compiles the mesher (about 20 KB: compiled from bytes, whatever MIME type a dev server gives it). */
async function loadWasm(): Promise<WasmMesher | null> {
  try {
    const res = await fetch(wasmUrl);
    if (!res.ok) throw new Error(`HTTP ${res.status} for ${wasmUrl}`);
    return createWasmMesher(await WebAssembly.compile(await res.arrayBuffer()));
  } catch (err) {
    console.error(`mesher worker: the WebAssembly mesher did not load (${String(err)}); meshing with the TypeScript mesher`);
    return null;
  }
}

function run(job: MeshJob): MeshJobResult {
  const t0 = performance.now();
  const viaWasm = wasm != null && job.mode !== MeshMode.VertexAo;
  const result: MeshResult = viaWasm ? (wasm as WasmMesher).mesh(job.padded, job.mode) : meshChunk(job.padded, output, job.mode);
  const meshMs = performance.now() - t0;
  const quads = copyQuads(result);
  return Comlink.transfer(
    {
      chunkId: job.chunkId,
      version: job.version,
      quads,
      quadCount: result.quadCount,
      faceCounts: result.faceCounts.slice(),
      meshMs,
      wasm: viaWasm,
      padded: job.padded,
    },
    [quads.buffer, job.padded.buffer],
  );
}

const api: MesherApi = {
  mesh(job: MeshJob): MeshJobResult | Promise<MeshJobResult> {
    // Jobs that arrive while the .wasm loads wait for it (a few ms, once per worker).
    if (wasm === undefined && job.mode !== MeshMode.VertexAo) return wasmReady.then(() => run(job));
    return run(job);
  },
};

Comlink.expose(api);
