// Mesh worker thread: runs the greedy mesher (its WebAssembly build, wasm-mesher.ts) on a
// padded chunk copy and measures it, then summarises the chunk's collision data (solid count,
// column tops) from the same bytes. The server draws nothing, so it meshes in the cheapest
// mode (SERVER_MESH_MODE: no AO).
// Buffers come from the main thread's pool and are transferred back for reuse.
import { parentPort } from "node:worker_threads";
import { summarisePadded } from "../game/collider.ts";
import { createServerMesher } from "./wasm-mesher.ts";
import type { WorkerJob, WorkerResult } from "./protocol.ts";

const mesher = createServerMesher();
const port = parentPort;

port?.on("message", (job: WorkerJob) => {
  const start = performance.now();
  const mesh = mesher.mesh(job.padded);
  const end = performance.now();
  const solid = summarisePadded(job.padded, job.tops);
  const result: WorkerResult = {
    id: job.id,
    quads: mesh.quadCount,
    meshMs: end - start,
    wasmError: mesher.loadError,
    endEpochMs: performance.timeOrigin + end,
    solid,
    padded: job.padded,
    tops: job.tops,
  };
  port.postMessage(result, [job.padded.buffer as ArrayBuffer, job.tops.buffer as ArrayBuffer]);
});
