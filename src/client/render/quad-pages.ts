import { QUAD_BYTES } from "../../shared/mesh/quad.ts";
import { FreeListAllocator } from "./allocator.ts";

/** One large storage buffer of packed quads (and spilled front rings), shared by many chunks. */
export interface QuadPage {
  readonly buffer: GPUBuffer;
  /** Group 1 of the terrain pipeline: this page's quads + the chunk origins. */
  readonly bindGroup: GPUBindGroup;
  readonly allocator: FreeListAllocator;
}

/**
 * Chunk meshes sub-allocated from a few big GPU buffers instead of one buffer per chunk:
 * fewer objects, one bind group per page, and re-meshing a chunk reuses freed ranges.
 * Pages are created lazily, up to `maxPages`. Allocations are addressed by one number,
 * page * pageQuads + offset (in quads), so callers store a single Float64/number.
 */
export class QuadPages {
  readonly pages: QuadPage[] = [];
  /** Total bytes of page buffers created. */
  bytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly layout: GPUBindGroupLayout,
    private readonly chunkOrigins: GPUBuffer,
    readonly pageQuads: number,
    private readonly maxPages: number,
  ) {}

  /** Reserves `quads` quads; returns the address, or -1 when every page is full and no new one may be made. */
  alloc(quads: number): number {
    for (let p = 0; p < this.pages.length; p++) {
      const offset = this.pages[p].allocator.alloc(quads);
      if (offset >= 0) return p * this.pageQuads + offset;
    }
    if (this.pages.length >= this.maxPages || quads > this.pageQuads) return -1;
    const page = this.addPage();
    return (this.pages.length - 1) * this.pageQuads + page.allocator.alloc(quads);
  }

  /** Releases an address returned by alloc. */
  free(address: number): void {
    this.pages[this.pageOf(address)].allocator.free(address % this.pageQuads);
  }

  pageOf(address: number): number {
    return Math.floor(address / this.pageQuads);
  }

  /** Quads currently allocated across pages. */
  usedQuads(): number {
    let n = 0;
    for (const p of this.pages) n += p.allocator.used;
    return n;
  }

  /** Uploads the first `words` words of `data` (a chunk's quads and spilled rings) to `address` through the queue's staging (no mapping). */
  write(address: number, data: Uint32Array, words: number): void {
    const page = this.pages[this.pageOf(address)];
    const byteOffset = (address % this.pageQuads) * QUAD_BYTES;
    // dataOffset and size count elements (words) for typed arrays.
    this.device.queue.writeBuffer(page.buffer, byteOffset, data, 0, words);
  }

  destroy(): void {
    for (const p of this.pages) p.buffer.destroy();
    this.pages.length = 0;
    this.bytes = 0;
  }

  private addPage(): QuadPage {
    const index = this.pages.length;
    const size = this.pageQuads * QUAD_BYTES;
    const buffer = this.device.createBuffer({
      label: `quad page ${index}`,
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    const bindGroup = this.device.createBindGroup({
      label: `terrain page ${index} bind group`,
      layout: this.layout,
      entries: [
        { binding: 0, resource: { buffer } },
        { binding: 1, resource: { buffer: this.chunkOrigins } },
      ],
    });
    const page: QuadPage = { buffer, bindGroup, allocator: new FreeListAllocator(this.pageQuads) };
    this.pages.push(page);
    this.bytes += size;
    return page;
  }
}
