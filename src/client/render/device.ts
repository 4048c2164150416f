/** WebGPU cannot be used here; the message is meant for the player. */
export class GpuUnavailableError extends Error {
  override readonly name = "GpuUnavailableError";
}

/** A device and what the renderer needs to know about it. */
export interface GpuHandles {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** Canvas format the browser prefers (bgra8unorm on most desktops, rgba8unorm on SwiftShader). */
  readonly format: GPUTextureFormat;
  /**
   * The sRGB view of that format, which the pipelines render into: the hardware encodes
   * linear shader output to sRGB on store, instead of a pow() per pixel in every shader.
   */
  readonly viewFormat: GPUTextureFormat;
}

/**
 * Requests an adapter and a device. Called again after a device loss: a lost device's
 * adapter may be consumed, so the adapter is requested anew every time.
 * Throws GpuUnavailableError with a player-facing message when WebGPU cannot be had.
 */
export async function acquireGpu(): Promise<GpuHandles> {
  const gpu = typeof navigator !== "undefined" ? navigator.gpu : undefined;
  if (!gpu) {
    throw new GpuUnavailableError(
      "This browser does not support WebGPU. Use a recent Chrome or Edge, or enable WebGPU in your browser's settings.",
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" }).catch(() => null);
  if (!adapter) {
    throw new GpuUnavailableError("WebGPU is available but no graphics adapter could be found (the GPU may be disabled or blocklisted).");
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: "voxel device" });
  } catch (err) {
    throw new GpuUnavailableError(`The graphics device could not be created: ${err instanceof Error ? err.message : String(err)}`);
  }
  const format = gpu.getPreferredCanvasFormat();
  // The preferred format is bgra8unorm or rgba8unorm; WebGPU always allows its -srgb view.
  return { adapter, device, format, viewFormat: `${format}-srgb` as GPUTextureFormat };
}
