// What the game hands to telemetry: narrow, pull-based views of live figures that the renderer,
// the mesh worker pool and the network layer keep (and mutate in place) anyway. Telemetry only
// reads them; field names here are the contract, adapters map other shapes onto them.

/** Renderer figures for the most recent frame. */
export interface RendererStatsLike {
  /** Frame counter; when present, a frame's upload figures are recorded once even if read twice. */
  frame?: number;
  /** Main-thread CPU time of the frame (update + encode + submit), ms. */
  frameCpuMs: number;
  /** Bytes written to GPU buffers this frame (vertex/quad data). */
  uploadBytes: number;
  /** Optional split of uploadBytes: index and storage-buffer bytes (the rest count as vertex). */
  uploadIndexBytes?: number;
  /** Time spent writing buffers this frame, ms. */
  uploadMs: number;
  chunksDrawn: number;
  chunksTotal: number;
  quads: number;
  /** Bytes currently allocated in GPU buffers. */
  gpuBufferBytes: number;
}

/** Mesh worker pool figures (matches MesherPool.stats). */
export interface MeshPoolStatsLike {
  queueLength: number;
  /** Ring of recent per-job mesh times in ms, written at index count % length. */
  readonly recentMeshMs: Float64Array;
  /** Samples ever written to recentMeshMs. */
  recentMeshMsCount: number;
}

/** Worker failures (matches WorkerFailures in client/workers/supervise.ts): cumulative since the page loaded. */
export interface WorkerFailuresLike {
  /** Mesher and worldgen workers that crashed or hung (each was replaced and its jobs requeued). */
  failures: number;
}

/** Network figures: cumulative byte counters since connect, and the latest measurements. */
export interface NetStatsLike {
  bytesIn: number;
  bytesOut: number;
  /** Latest round-trip time, ms (NaN before the first measurement). */
  rttMs: number;
  /** The server's tick duration as the server reported it, ms. */
  serverTickMs: number;
}

/** Getter form, so a source may appear later (the renderer starts after the device exists). */
export type Source<T> = () => T | null | undefined;
