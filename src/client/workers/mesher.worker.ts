// Module worker: runs the shared greedy mesher off the main thread, exposed over comlink.
import * as Comlink from "comlink";
import { copyQuads, createMeshOutput, meshChunk } from "../../shared/mesh/greedy.ts";
import type { MeshJob, MeshJobResult, MesherApi } from "./mesher-protocol.ts";

// One reusable output per worker: meshChunk writes into it, and only the exact-size copy
// of the mesh words leaves the worker (the copy is transferred, the scratch stays here).
const output = createMeshOutput();

const api: MesherApi = {
  mesh(job: MeshJob): MeshJobResult {
    const t0 = performance.now();
    const result = meshChunk(job.padded, output, job.mode);
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
        padded: job.padded,
      },
      [quads.buffer, job.padded.buffer],
    );
  },
};

Comlink.expose(api);
