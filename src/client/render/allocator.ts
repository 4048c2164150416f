/**
 * First-fit free-list allocator over an abstract range [0, capacity) of units (the renderer
 * uses quads). It owns no memory: it only hands out offsets, so it is pure and unit-tested.
 *
 * Free blocks are kept sorted by offset in two parallel number arrays, so freeing coalesces
 * with both neighbours in O(log n) search + one splice. Allocations are rare (one per chunk
 * mesh upload, never per frame), so first-fit's linear scan is cheap and keeps low offsets
 * dense, which makes the tail of the range reusable for large meshes.
 */
export class FreeListAllocator {
  readonly capacity: number;
  /** Start of each free block, ascending. */
  private readonly freeOffsets: number[] = [];
  /** Length of each free block, parallel to freeOffsets. */
  private readonly freeSizes: number[] = [];
  /** Live allocations: offset -> size, so free() needs only the offset. */
  private readonly live = new Map<number, number>();
  private usedUnits = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError("capacity must be a positive integer");
    this.capacity = capacity;
    this.freeOffsets.push(0);
    this.freeSizes.push(capacity);
  }

  /** Units currently allocated. */
  get used(): number {
    return this.usedUnits;
  }

  /** Number of free blocks (1 when nothing is fragmented); for tests and stats. */
  get freeBlockCount(): number {
    return this.freeOffsets.length;
  }

  /** Size of the largest free block: the biggest request that can succeed right now. */
  get largestFree(): number {
    let m = 0;
    for (const s of this.freeSizes) if (s > m) m = s;
    return m;
  }

  /** Size of the live allocation at `offset`, or -1 when there is none. */
  sizeOf(offset: number): number {
    return this.live.get(offset) ?? -1;
  }

  /** Reserves `size` units; returns the offset, or -1 when no free block is large enough. */
  alloc(size: number): number {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError("size must be a positive integer");
    const offsets = this.freeOffsets;
    const sizes = this.freeSizes;
    for (let i = 0; i < offsets.length; i++) {
      const blockSize = sizes[i];
      if (blockSize < size) continue;
      const offset = offsets[i];
      if (blockSize === size) {
        offsets.splice(i, 1);
        sizes.splice(i, 1);
      } else {
        offsets[i] = offset + size;
        sizes[i] = blockSize - size;
      }
      this.live.set(offset, size);
      this.usedUnits += size;
      return offset;
    }
    return -1;
  }

  /** Returns the allocation at `offset` to the free list, merging it with adjacent free blocks. */
  free(offset: number): void {
    const size = this.live.get(offset);
    if (size === undefined) throw new Error(`free of unallocated offset ${offset}`);
    this.live.delete(offset);
    this.usedUnits -= size;

    const offsets = this.freeOffsets;
    const sizes = this.freeSizes;
    // i = index of the first free block after `offset` (binary search; blocks never overlap).
    let lo = 0;
    let hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offsets[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    const mergesPrev = i > 0 && offsets[i - 1] + sizes[i - 1] === offset;
    const mergesNext = i < offsets.length && offset + size === offsets[i];
    if (mergesPrev && mergesNext) {
      sizes[i - 1] += size + sizes[i];
      offsets.splice(i, 1);
      sizes.splice(i, 1);
    } else if (mergesPrev) {
      sizes[i - 1] += size;
    } else if (mergesNext) {
      offsets[i] = offset;
      sizes[i] += size;
    } else {
      offsets.splice(i, 0, offset);
      sizes.splice(i, 0, size);
    }
  }

  /** Frees everything (used when the GPU buffers are rebuilt after a device loss). */
  reset(): void {
    this.live.clear();
    this.usedUnits = 0;
    this.freeOffsets.length = 0;
    this.freeSizes.length = 0;
    this.freeOffsets.push(0);
    this.freeSizes.push(this.capacity);
  }
}
