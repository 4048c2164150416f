import { MATERIALS } from "../../shared/voxel/materials.ts";
import type { WorldSize } from "../../shared/voxel/world.ts";
import { gpuScope } from "../telemetry/facade.ts";
import { BOX_FLOATS } from "./box-batch.ts";
import { chunkCountOf, chunkOrigin } from "./chunk-grid.ts";
import type { GpuHandles } from "./device.ts";
import { FRAME_UNIFORM_BYTES } from "./frame-uniforms.ts";
import { QuadPages } from "./quad-pages.ts";
import boxSource from "./shaders/box.wgsl?raw";
import frameSource from "./shaders/frame.wgsl?raw";
import skySource from "./shaders/sky.wgsl?raw";
import terrainSource from "./shaders/terrain.wgsl?raw";

const DEPTH_FORMAT: GPUTextureFormat = "depth24plus";
/** Quads per page buffer: 2^21 quads = 16 MiB, far below every device's binding limit. */
const PAGE_QUADS = 1 << 21;
const MAX_PAGES = 8;
const PALETTE_ENTRIES = 256;

/**
 * Every GPU object tied to one device. Built in one go at start and again after a device
 * loss; nothing here survives a device, so nothing outside holds on to these objects.
 */
export class GpuResources {
  readonly device: GPUDevice;
  /** Render target format (the canvas's sRGB view). */
  readonly format: GPUTextureFormat;
  /** Descriptor for the per-frame swap-chain view, built once. */
  readonly colorViewDescriptor: GPUTextureViewDescriptor;
  readonly frameBuffer: GPUBuffer;
  readonly paletteBuffer: GPUBuffer;
  readonly chunkOrigins: GPUBuffer;
  readonly boxBuffer: GPUBuffer;
  readonly frameBindGroup: GPUBindGroup;
  readonly boxBindGroup: GPUBindGroup;
  readonly terrainPipeline: GPURenderPipeline;
  readonly boxPipeline: GPURenderPipeline;
  readonly skyPipeline: GPURenderPipeline;
  readonly pages: QuadPages;
  depthTexture: GPUTexture | null = null;
  depthView: GPUTextureView | null = null;
  /** Bytes of the fixed buffers (pages and depth are counted where they are made). */
  readonly fixedBufferBytes: number;

  private constructor(
    handles: GpuHandles,
    layouts: Layouts,
    pipelines: [GPURenderPipeline, GPURenderPipeline, GPURenderPipeline],
    worldSize: WorldSize,
    boxCapacity: number,
  ) {
    const device = handles.device;
    this.device = device;
    this.format = handles.viewFormat;
    this.colorViewDescriptor = { label: "swap chain view", format: handles.viewFormat };
    [this.terrainPipeline, this.boxPipeline, this.skyPipeline] = pipelines;

    this.frameBuffer = device.createBuffer({
      label: "frame uniforms",
      size: FRAME_UNIFORM_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.paletteBuffer = device.createBuffer({
      label: "material palette",
      size: PALETTE_ENTRIES * 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(this.paletteBuffer, 0, paletteData());

    // Every chunk's origin (vec4f per chunk id), written once: a draw selects its chunk with
    // firstInstance, so drawing needs no per-chunk uniform writes or bind group switches.
    const chunkCount = chunkCountOf(worldSize);
    this.chunkOrigins = device.createBuffer({
      label: "chunk origins",
      size: Math.max(1, chunkCount) * 16,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    const origins = new Float32Array(Math.max(1, chunkCount) * 4);
    const c: [number, number, number] = [0, 0, 0];
    for (let id = 0; id < chunkCount; id++) origins.set(chunkOrigin(worldSize, id, c), id * 4);
    device.queue.writeBuffer(this.chunkOrigins, 0, origins);

    this.boxBuffer = device.createBuffer({
      label: "box instances",
      size: Math.max(1, boxCapacity) * BOX_FLOATS * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this.frameBindGroup = device.createBindGroup({
      label: "frame bind group",
      layout: layouts.frame,
      entries: [
        { binding: 0, resource: { buffer: this.frameBuffer } },
        { binding: 1, resource: { buffer: this.paletteBuffer } },
      ],
    });
    this.boxBindGroup = device.createBindGroup({
      label: "box bind group",
      layout: layouts.box,
      entries: [{ binding: 0, resource: { buffer: this.boxBuffer } }],
    });
    this.pages = new QuadPages(device, layouts.chunk, this.chunkOrigins, PAGE_QUADS, MAX_PAGES);
    this.fixedBufferBytes = this.frameBuffer.size + this.paletteBuffer.size + this.chunkOrigins.size + this.boxBuffer.size;
  }

  /** Compiles the shaders and builds every pipeline and buffer for `handles.device`. */
  static async create(handles: GpuHandles, worldSize: WorldSize, boxCapacity: number): Promise<GpuResources> {
    const device = handles.device;
    // Error scopes catch shader and pipeline errors (counted by client telemetry). Nothing else
    // uses this new device until create() returns, so the scopes hold only this work.
    const [layouts, pipelines] = await gpuScope(device, "pipeline", async () => {
      const layouts = createLayouts(device);
      return [layouts, await createPipelines(device, handles.viewFormat, layouts)] as const;
    });
    return new GpuResources(handles, layouts, pipelines, worldSize, boxCapacity);
  }

  /** (Re)creates the depth buffer when the canvas size changed. */
  ensureDepth(width: number, height: number): void {
    const t = this.depthTexture;
    if (t && t.width === width && t.height === height) return;
    t?.destroy();
    this.depthTexture = this.device.createTexture({
      label: "depth",
      size: { width, height },
      format: DEPTH_FORMAT,
      usage: GPUTextureUsage.RENDER_ATTACHMENT,
    });
    this.depthView = this.depthTexture.createView({ label: "depth view" });
  }

  /** Frees the GPU memory now rather than at garbage collection. */
  destroy(): void {
    this.pages.destroy();
    this.depthTexture?.destroy();
    this.frameBuffer.destroy();
    this.paletteBuffer.destroy();
    this.chunkOrigins.destroy();
    this.boxBuffer.destroy();
  }
}

interface Layouts {
  readonly frame: GPUBindGroupLayout;
  readonly chunk: GPUBindGroupLayout;
  readonly box: GPUBindGroupLayout;
  readonly terrain: GPUPipelineLayout;
  readonly boxes: GPUPipelineLayout;
  readonly sky: GPUPipelineLayout;
}

// Explicit layouts (not "auto") so the frame bind group is shared by all three pipelines.
function createLayouts(device: GPUDevice): Layouts {
  const VF = GPUShaderStage.VERTEX | GPUShaderStage.FRAGMENT;
  const frame = device.createBindGroupLayout({
    label: "frame layout",
    entries: [
      { binding: 0, visibility: VF, buffer: { type: "uniform" } },
      { binding: 1, visibility: GPUShaderStage.VERTEX, buffer: { type: "uniform" } },
    ],
  });
  const chunk = device.createBindGroupLayout({
    label: "terrain page layout",
    entries: [
      { binding: 0, visibility: GPUShaderStage.VERTEX, buffer: { type: "read-only-storage" } },
      { binding: 1, visibility: GPUShaderStage.VERTEX, buffer: { type: "read-only-storage" } },
    ],
  });
  const box = device.createBindGroupLayout({
    label: "box layout",
    entries: [{ binding: 0, visibility: GPUShaderStage.VERTEX, buffer: { type: "read-only-storage" } }],
  });
  return {
    frame,
    chunk,
    box,
    terrain: device.createPipelineLayout({ label: "terrain pipeline layout", bindGroupLayouts: [frame, chunk] }),
    boxes: device.createPipelineLayout({ label: "box pipeline layout", bindGroupLayouts: [frame, box] }),
    sky: device.createPipelineLayout({ label: "sky pipeline layout", bindGroupLayouts: [frame] }),
  };
}

async function createPipelines(
  device: GPUDevice,
  format: GPUTextureFormat,
  layouts: Layouts,
): Promise<[GPURenderPipeline, GPURenderPipeline, GPURenderPipeline]> {
  const opaqueDepth: GPUDepthStencilState = { format: DEPTH_FORMAT, depthWriteEnabled: true, depthCompare: "less" };
  const module = (label: string, body: string) => device.createShaderModule({ label, code: frameSource + "\n" + body });
  const terrain = module("terrain shader", terrainSource);
  const box = module("box shader", boxSource);
  const sky = module("sky shader", skySource);
  // Async creation compiles off the main thread where the browser can.
  return Promise.all([
    device.createRenderPipelineAsync({
      label: "terrain pipeline",
      layout: layouts.terrain,
      vertex: { module: terrain, entryPoint: "vs" },
      fragment: { module: terrain, entryPoint: "fs", targets: [{ format }] },
      primitive: { topology: "triangle-list", cullMode: "back", frontFace: "ccw" },
      depthStencil: opaqueDepth,
    }),
    device.createRenderPipelineAsync({
      label: "box pipeline",
      layout: layouts.boxes,
      vertex: { module: box, entryPoint: "vs" },
      fragment: { module: box, entryPoint: "fs", targets: [{ format }] },
      primitive: { topology: "triangle-list", cullMode: "back", frontFace: "ccw" },
      depthStencil: opaqueDepth,
    }),
    device.createRenderPipelineAsync({
      label: "sky pipeline",
      layout: layouts.sky,
      vertex: { module: sky, entryPoint: "vs" },
      fragment: { module: sky, entryPoint: "fs", targets: [{ format }] },
      primitive: { topology: "triangle-list" },
      // At the far plane, tested but not written: fills only what the geometry left empty.
      depthStencil: { format: DEPTH_FORMAT, depthWriteEnabled: false, depthCompare: "less-equal" },
    }),
  ]);
}

/** Linear RGBA per material id; unknown ids are magenta so they stand out. */
function paletteData(): Float32Array<ArrayBuffer> {
  const data = new Float32Array(PALETTE_ENTRIES * 4);
  for (let i = 0; i < PALETTE_ENTRIES; i++) {
    const c = MATERIALS[i]?.color ?? [1, 0, 1];
    data.set([c[0], c[1], c[2], 1], i * 4);
  }
  return data;
}
