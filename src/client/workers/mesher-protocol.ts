import type { MeshModeId } from "../../shared/mesh/quad.ts";

/** One mesh job sent to a worker: the chunk's padded voxels (transferred, not copied). */
export interface MeshJob {
  readonly chunkId: number;
  /** MeshJobQueue version; echoed back so the pool can drop stale results. */
  readonly version: number;
  /** 34^3 material ids (World.fillPadded layout). Transferred in, and back out for reuse. */
  readonly padded: Uint8Array;
  /** What the quads merge by and carry (quad.ts MeshMode): the renderer's AO mode decides. */
  readonly mode: MeshModeId;
}

/** A worker's answer: packed quads (quad.ts format) and the time meshChunk took in the worker. */
export interface MeshJobResult {
  readonly chunkId: number;
  readonly version: number;
  /** Exactly the mesh's words (greedy.ts meshWords): quadCount * 2, then any spilled front rings; transferred. */
  readonly quads: Uint32Array;
  readonly quadCount: number;
  /** Quads per face direction, in Face order (the mesher groups quads by face). */
  readonly faceCounts: Uint32Array;
  /** performance.now() around meshChunk inside the worker, in ms. */
  readonly meshMs: number;
  /** True when the WebAssembly mesher made it (shared/mesh/wasm-greedy.ts), false for the TypeScript one. */
  readonly wasm: boolean;
  /** The job's padded buffer, handed back so the pool can reuse it without allocating. */
  readonly padded: Uint8Array;
}

/** What a mesher worker exposes over comlink. */
export interface MesherApi {
  /** Meshes a job; asynchronous only while the worker's WebAssembly mesher is still loading. */
  mesh(job: MeshJob): MeshJobResult | Promise<MeshJobResult>;
}
