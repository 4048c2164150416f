/**
 * Renderer figures, mutated in place every frame (never reallocated, so readers may keep a
 * reference). The dev overlay and client telemetry read them; nothing here is sent anywhere.
 * Field names follow telemetry's RendererStatsLike, so this object can be handed over as is.
 */
export interface RenderStats {
  /** Frames rendered since start (the frame counter). */
  frame: number;
  /** CPU time of the last frame() call (uploads + culling + encode + submit), ms; GameStats.loop has the whole tick. */
  frameCpuMs: number;
  /** Chunk mesh bytes written with queue.writeBuffer in the last frame. */
  uploadBytes: number;
  /** CPU ms spent in those writeBuffer calls in the last frame. */
  uploadMs: number;
  /** Chunk meshes uploaded in the last frame. */
  uploadChunks: number;
  /** Uniform and instance bytes written in the last frame (camera, boxes). */
  uniformBytes: number;
  /** Chunks with a non-empty mesh on the GPU. */
  chunksTotal: number;
  /** Of those, chunks that passed frustum culling in the last frame. */
  chunksDrawn: number;
  /** Quads drawn in the last frame (after frustum and per-face-direction culling). */
  quads: number;
  drawCalls: number;
  /** Boxes (projectiles etc.) drawn in the last frame. */
  boxesDrawn: number;
  /** Bytes of every GPU buffer the renderer has created on the current device. */
  gpuBufferBytes: number;
  /** Bytes of mesh data live in the quad pages (allocated ranges). */
  gpuMeshBytes: number;
  /** Chunk meshes waiting for upload. */
  uploadsPending: number;
  /** Device losses recovered from. */
  deviceLosses: number;
  canvasWidth: number;
  canvasHeight: number;
}

/** A zeroed stats object. */
export function createRenderStats(): RenderStats {
  return {
    frame: 0,
    frameCpuMs: 0,
    uploadBytes: 0,
    uploadMs: 0,
    uploadChunks: 0,
    uniformBytes: 0,
    chunksTotal: 0,
    chunksDrawn: 0,
    quads: 0,
    drawCalls: 0,
    boxesDrawn: 0,
    gpuBufferBytes: 0,
    gpuMeshBytes: 0,
    uploadsPending: 0,
    deviceLosses: 0,
    canvasWidth: 0,
    canvasHeight: 0,
  };
}
