// The quad-page allocator: no overlaps under random churn, exact coalescing, and the full
// range reusable once everything is freed.
import { describe, expect, it } from "vitest";
import { FreeListAllocator } from "../../../src/client/render/allocator.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";

describe("FreeListAllocator", () => {
  it("hands out first-fit offsets and fails when full", () => {
    const a = new FreeListAllocator(100);
    expect(a.alloc(40)).toBe(0);
    expect(a.alloc(40)).toBe(40);
    expect(a.alloc(30)).toBe(-1);
    expect(a.alloc(20)).toBe(80);
    expect(a.used).toBe(100);
    expect(a.largestFree).toBe(0);
    expect(a.alloc(1)).toBe(-1);
  });

  it("reuses a freed hole for a request that fits, first fit from the start", () => {
    const a = new FreeListAllocator(100);
    const x = a.alloc(10);
    a.alloc(10);
    const z = a.alloc(10);
    a.free(x);
    a.free(z);
    expect(a.alloc(5)).toBe(0);
    expect(a.alloc(5)).toBe(5);
    expect(a.alloc(15)).toBe(20); // 20..30 merged with the tail
  });

  it("coalesces with both neighbours so fragmentation heals", () => {
    const a = new FreeListAllocator(90);
    const p = a.alloc(30);
    const q = a.alloc(30);
    const r = a.alloc(30);
    a.free(p);
    a.free(r);
    expect(a.freeBlockCount).toBe(2);
    a.free(q); // bridges both holes
    expect(a.freeBlockCount).toBe(1);
    expect(a.largestFree).toBe(90);
    expect(a.alloc(90)).toBe(0);
  });

  it("rejects double frees and bad sizes", () => {
    const a = new FreeListAllocator(10);
    const p = a.alloc(4);
    a.free(p);
    expect(() => a.free(p)).toThrow();
    expect(() => a.alloc(0)).toThrow(RangeError);
    expect(() => a.alloc(1.5)).toThrow(RangeError);
    expect(() => new FreeListAllocator(0)).toThrow(RangeError);
  });

  it("never overlaps live allocations under random churn, and frees back to one block", () => {
    const capacity = 4096;
    const a = new FreeListAllocator(capacity);
    const rng = new Rng(42);
    const live = new Map<number, number>();
    const owner = new Int32Array(capacity).fill(-1);
    for (let step = 0; step < 5000; step++) {
      if (live.size > 0 && rng.next() < 0.45) {
        const keys = [...live.keys()];
        const off = keys[rng.int(keys.length)];
        const size = live.get(off)!;
        for (let i = off; i < off + size; i++) owner[i] = -1;
        a.free(off);
        live.delete(off);
      } else {
        const size = 1 + rng.int(200);
        const off = a.alloc(size);
        if (off < 0) {
          expect(a.largestFree).toBeLessThan(size);
          continue;
        }
        expect(off + size).toBeLessThanOrEqual(capacity);
        for (let i = off; i < off + size; i++) {
          expect(owner[i]).toBe(-1);
          owner[i] = off;
        }
        live.set(off, size);
        expect(a.sizeOf(off)).toBe(size);
      }
      expect(a.used).toBe([...live.values()].reduce((s, v) => s + v, 0));
    }
    for (const off of live.keys()) a.free(off);
    expect(a.used).toBe(0);
    expect(a.freeBlockCount).toBe(1);
    expect(a.largestFree).toBe(capacity);
  });

  it("reset forgets every allocation", () => {
    const a = new FreeListAllocator(64);
    a.alloc(10);
    a.alloc(20);
    a.reset();
    expect(a.used).toBe(0);
    expect(a.alloc(64)).toBe(0);
  });
});
