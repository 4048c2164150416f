import { QUAD_BYTES } from "../../shared/mesh/quad.ts";
import { CHUNK_SIZE } from "../../shared/voxel/constants.ts";
import type { WorldSize } from "../../shared/voxel/world.ts";
import { BOX_FLOATS, BoxBatch } from "./box-batch.ts";
import { CanvasSize } from "./canvas-size.ts";
import { chunkCountOf, chunkOrigins } from "./chunk-grid.ts";
import { ChunkMeshes } from "./chunk-meshes.ts";
import { acquireGpu } from "./device.ts";
import type { GpuHandles } from "./device.ts";
import { runGpuScopeSync } from "./error-scopes.ts";
import { FrameUniforms } from "./frame-uniforms.ts";
import { frustumCreate, frustumFromMatrix } from "./frustum.ts";
import { GpuResources } from "./gpu-resources.ts";
import { fpsView, invert, mat4Create, multiply, perspective } from "./mat4.ts";
import { uploadChunkMeshes } from "./mesh-uploads.ts";
import { createRenderStats } from "./stats.ts";
import type { RenderStats } from "./stats.ts";
import { TerrainDraws } from "./terrain-draws.ts";

const DEFAULT_BOX_CAPACITY = 4096;

export interface RendererOptions {
  /** Distance (voxels) at which terrain has fully faded into the sky. */
  viewDistance: number;
  /** Vertical field of view in radians. */
  fovY?: number;
  /** Device-pixel-ratio cap (render resolution = CSS size x min(dpr, cap)). */
  maxDpr?: number;
  /** Instanced boxes per frame (default 4096: entity models of a crowded view, tracers and debris). */
  boxCapacity?: number;
  /** Mesh bytes uploaded per frame at most (always at least one chunk), to bound hitches. */
  uploadBudgetBytes?: number;
  /** Called when the GPU is gone for good (a device loss that could not be recovered). */
  onFatal?: (err: unknown) => void;
}

/** Called with every device the renderer starts using (the first one and each after a loss). */
export type DeviceListener = (device: GPUDevice, adapter: GPUAdapter) => void;

/**
 * The WebGPU renderer: owns the device-bound resources (GpuResources), the CPU copies of the
 * chunk meshes (ChunkMeshes), and per frame uploads changed meshes, culls chunks against
 * the frustum, and encodes terrain, boxes and sky. Helpers do the work; this orchestrates.
 *
 * Per-frame contract: no allocation on our side beyond what WebGPU itself requires (the
 * command encoder, the pass, the swap-chain view). Matrices, uniforms, the draw list and
 * descriptors are built once and mutated.
 */
export class Renderer {
  readonly stats: RenderStats = createRenderStats();
  readonly boxes: BoxBatch;
  /** Camera pose; the game writes it before each frame(). */
  readonly camera = { x: 0, y: 0, z: 0, yaw: 0, pitch: 0 };

  private gpu: GpuResources | null;
  private adapter: GPUAdapter;
  private readonly context: GPUCanvasContext;
  private readonly size: CanvasSize;
  private readonly meshes: ChunkMeshes;
  private readonly uniforms = new FrameUniforms();
  private readonly terrain: TerrainDraws;
  private readonly deviceListeners: DeviceListener[] = [];
  private disposed = false;
  private readonly startTime = performance.now();
  private viewDistance: number;
  private fovY: number;
  private readonly uploadBudget: number;
  private readonly onFatal: (err: unknown) => void;

  // Per-frame scratch, allocated once.
  private readonly proj = mat4Create();
  private readonly view = mat4Create();
  private readonly viewProj = mat4Create();
  private readonly invViewProj = mat4Create();
  private readonly frustum = frustumCreate();
  private readonly colorAttachment: GPURenderPassColorAttachment;
  private readonly depthAttachment: GPURenderPassDepthStencilAttachment;
  private readonly passDescriptor: GPURenderPassDescriptor;
  private readonly encoderDescriptor: GPUCommandEncoderDescriptor = { label: "frame encoder" };
  private readonly commandBufferDescriptor: GPUCommandBufferDescriptor = { label: "frame commands" };
  private readonly submitList: GPUCommandBuffer[] = [];
  /** Writes queued chunk meshes within the frame's budget (bound once, not a closure per frame). */
  private readonly uploadMeshes = (): void => {
    if (this.gpu) uploadChunkMeshes(this.meshes, this.gpu.pages, this.uploadBudget, this.stats);
  };

  private constructor(
    canvas: HTMLCanvasElement,
    context: GPUCanvasContext,
    handles: GpuHandles,
    gpu: GpuResources,
    private readonly worldSize: WorldSize,
    options: RendererOptions,
  ) {
    this.context = context;
    this.adapter = handles.adapter;
    this.gpu = gpu;
    this.viewDistance = options.viewDistance;
    this.fovY = options.fovY ?? (70 * Math.PI) / 180;
    this.uploadBudget = options.uploadBudgetBytes ?? 8 << 20;
    this.onFatal = options.onFatal ?? ((err) => console.error("renderer stopped", err));
    this.boxes = new BoxBatch(options.boxCapacity ?? DEFAULT_BOX_CAPACITY);
    this.size = new CanvasSize(canvas, options.maxDpr ?? 2, handles.device.limits.maxTextureDimension2D);
    const chunkCount = chunkCountOf(worldSize);
    this.meshes = new ChunkMeshes(chunkCount);
    this.terrain = new TerrainDraws(chunkCount, chunkOrigins(worldSize));

    this.colorAttachment = {
      view: undefined as unknown as GPUTextureView, // set every frame to the swap-chain view
      loadOp: "clear",
      storeOp: "store",
      clearValue: { r: 0, g: 0, b: 0, a: 1 },
    };
    this.depthAttachment = {
      view: undefined as unknown as GPUTextureView,
      depthClearValue: 1,
      depthLoadOp: "clear",
      depthStoreOp: "discard",
    };
    this.passDescriptor = {
      label: "main pass",
      colorAttachments: [this.colorAttachment],
      depthStencilAttachment: this.depthAttachment,
    };
    this.attach(handles, gpu);
  }

  /**
   * Sets up WebGPU on `canvas` for a world of `worldSize` chunks. Rejects with
   * GpuUnavailableError (a player-facing message) when WebGPU cannot be used.
   */
  static async create(canvas: HTMLCanvasElement, worldSize: WorldSize, options: RendererOptions): Promise<Renderer> {
    const handles = await acquireGpu();
    const context = canvas.getContext("webgpu");
    if (!context) throw new Error("canvas.getContext('webgpu') returned null");
    const gpu = await GpuResources.create(handles, worldSize, options.boxCapacity ?? DEFAULT_BOX_CAPACITY);
    return new Renderer(canvas, context, handles, gpu, worldSize, options);
  }

  /** The current device (changes after a device loss). */
  get device(): GPUDevice | null {
    return this.gpu?.device ?? null;
  }

  /** Registers a listener for every device used from now on; called at once with the current one. */
  onDevice(listener: DeviceListener): () => void {
    this.deviceListeners.push(listener);
    if (this.gpu) listener(this.gpu.device, this.adapter);
    return () => {
      const i = this.deviceListeners.indexOf(listener);
      if (i >= 0) this.deviceListeners.splice(i, 1);
    };
  }

  /** Sets the fog distance (voxels): terrain fades out before the streaming edge. */
  setViewDistance(voxels: number): void {
    this.viewDistance = voxels;
  }

  /** Sets the vertical field of view (radians), from the next frame on. */
  setFov(radians: number): void {
    this.fovY = radians;
  }

  /** Hands a new mesh for the chunk to the renderer (uploaded in a later frame). Takes ownership of `quads`. */
  setChunkMesh(chunkId: number, quads: Uint32Array, quadCount: number, faceCounts: ArrayLike<number>): void {
    this.meshes.set(chunkId, quads, quadCount, faceCounts);
  }

  /** Drops a chunk's mesh and frees its GPU range. */
  removeChunk(chunkId: number): void {
    const address = this.meshes.remove(chunkId);
    if (address >= 0 && this.gpu) this.gpu.pages.free(address);
  }

  /** True when the chunk's latest mesh is on the GPU (drawn from the next frame on). */
  isChunkUploaded(chunkId: number): boolean {
    return this.meshes.isUploaded(chunkId);
  }

  /** Resolves when the GPU has finished all work submitted so far (e.g. the frame just drawn). */
  async whenSubmittedWorkDone(): Promise<void> {
    await this.gpu?.device.queue.onSubmittedWorkDone();
  }

  /** Renders one frame: uploads, culling, terrain, boxes, sky. */
  frame(): void {
    const gpu = this.gpu;
    if (!gpu || this.disposed) return;
    const t0 = performance.now();
    const s = this.stats;
    const device = gpu.device;

    const width = this.size.width;
    const height = this.size.height;
    const canvas = this.context.canvas as HTMLCanvasElement;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    gpu.ensureDepth(width, height);
    s.canvasWidth = width;
    s.canvasHeight = height;

    // On frames with uploads, WebGPU error scopes catch (and client telemetry counts) their errors.
    if (this.meshes.pendingUploads > 0) runGpuScopeSync(device, "upload", this.uploadMeshes);
    else this.uploadMeshes();

    // Camera: far plane a little past the fog end so faded terrain is not clipped.
    const cam = this.camera;
    const far = this.viewDistance + CHUNK_SIZE * 2;
    perspective(this.proj, this.fovY, width / height, 0.1, far);
    fpsView(this.view, cam.x, cam.y, cam.z, cam.yaw, cam.pitch);
    multiply(this.viewProj, this.proj, this.view);
    invert(this.invViewProj, this.viewProj);
    frustumFromMatrix(this.frustum, this.viewProj);
    this.uniforms.update(
      this.viewProj, this.invViewProj, cam.x, cam.y, cam.z,
      (t0 - this.startTime) / 1000,
      this.viewDistance * 0.6, this.viewDistance,
    );
    device.queue.writeBuffer(gpu.frameBuffer, 0, this.uniforms.data);
    let uniformBytes = this.uniforms.data.byteLength;
    const boxCount = this.boxes.count;
    if (boxCount > 0) {
      device.queue.writeBuffer(gpu.boxBuffer, 0, this.boxes.data, 0, boxCount * BOX_FLOATS);
      uniformBytes += boxCount * BOX_FLOATS * 4;
    }
    s.uniformBytes = uniformBytes;

    this.colorAttachment.view = this.context.getCurrentTexture().createView(gpu.colorViewDescriptor);
    this.depthAttachment.view = gpu.depthView as GPUTextureView;
    const encoder = device.createCommandEncoder(this.encoderDescriptor);
    const pass = encoder.beginRenderPass(this.passDescriptor);
    pass.setBindGroup(0, gpu.frameBindGroup);
    pass.setPipeline(gpu.terrainPipeline);
    this.terrain.encode(pass, this.meshes, gpu.pages, this.frustum, cam.x, cam.y, cam.z, s);
    if (boxCount > 0) {
      pass.setPipeline(gpu.boxPipeline);
      pass.setBindGroup(1, gpu.boxBindGroup);
      pass.draw(36, boxCount);
    }
    s.boxesDrawn = boxCount;
    pass.setPipeline(gpu.skyPipeline);
    pass.draw(3);
    pass.end();
    this.submitList[0] = encoder.finish(this.commandBufferDescriptor);
    device.queue.submit(this.submitList);

    s.frame++;
    s.gpuBufferBytes = gpu.fixedBufferBytes + gpu.pages.bytes;
    s.gpuMeshBytes = gpu.pages.usedQuads() * QUAD_BYTES;
    s.uploadsPending = this.meshes.pendingUploads;
    s.frameCpuMs = performance.now() - t0;
  }

  /**
   * Test/debug aid: destroys the device as a driver reset would, to exercise recovery.
   * Recovery is the same path as a real loss (device.lost resolves, we rebuild).
   */
  simulateDeviceLoss(): void {
    this.gpu?.device.destroy();
  }

  dispose(): void {
    this.disposed = true;
    this.size.dispose();
    this.gpu?.destroy();
    this.gpu?.device.destroy();
    this.gpu = null;
  }

  private attach(handles: GpuHandles, gpu: GpuResources): void {
    this.context.configure({ device: handles.device, format: handles.format, viewFormats: [handles.viewFormat], alphaMode: "opaque" });
    this.size.setMaxDimension(handles.device.limits.maxTextureDimension2D);
    handles.device.addEventListener("uncapturederror", (e) => {
      console.error(`WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
    });
    void handles.device.lost.then((info) => this.onDeviceLost(gpu, info));
    for (const l of this.deviceListeners) l(handles.device, handles.adapter);
  }

  private async onDeviceLost(lost: GpuResources, info: GPUDeviceLostInfo): Promise<void> {
    if (this.disposed || this.gpu !== lost) return;
    // A warning, not an error: losing the device (driver reset, GPU switch) is recoverable.
    console.warn(`WebGPU device lost (${info.reason}): ${info.message}; recreating it`);
    this.gpu = null;
    this.stats.deviceLosses++;
    this.meshes.requeueAll();
    try {
      const handles = await acquireGpu();
      const gpu = await GpuResources.create(handles, this.worldSize, this.boxes.capacity);
      if (this.disposed) {
        gpu.destroy();
        handles.device.destroy();
        return;
      }
      this.adapter = handles.adapter;
      this.gpu = gpu;
      this.attach(handles, gpu);
    } catch (err) {
      this.onFatal(err);
    }
  }
}
