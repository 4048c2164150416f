// Carve-to-drawn timing: a carve completes once all its dirty chunks are drawn and the GPU has
// finished that frame; it never completes early, and samples land in the ring buffer.
import { describe, expect, it } from "vitest";
import { CarveLatency } from "../../../src/client/game/carve-latency.ts";
import { DirtyChunks } from "../../../src/shared/voxel/carve.ts";

function dirty(...ids: number[]): DirtyChunks {
  const d = new DirtyChunks();
  for (const id of ids) d.add(id);
  return d;
}

describe("CarveLatency", () => {
  it("records a carve only once every dirty chunk is drawn and the GPU is done", async () => {
    const drawn = new Set<number>();
    let release: () => void = () => {};
    let gpuCalls = 0;
    const gpuDone = (): Promise<void> => {
      gpuCalls++;
      return new Promise<void>((r) => (release = r));
    };
    const c = new CarveLatency((id) => drawn.has(id), gpuDone);
    const t0 = performance.now();
    c.carved(dirty(3, 4), t0);
    c.afterFrame();
    expect(c.stats.pending).toBe(1);
    drawn.add(3);
    c.afterFrame();
    expect(c.stats.pending).toBe(1);
    expect(gpuCalls).toBe(0);
    drawn.add(4);
    c.afterFrame();
    expect(c.stats.pending).toBe(0);
    expect(gpuCalls).toBe(1);
    expect(c.stats.count).toBe(0); // the frame is not finished on the GPU yet
    release();
    await Promise.resolve();
    expect(c.stats.count).toBe(1);
    expect(c.stats.recentMs[0]).toBeGreaterThanOrEqual(0);
    c.afterFrame();
    expect(gpuCalls).toBe(1); // completed carves are not reported twice
  });

  it("keeps carves apart and wraps the ring buffer", async () => {
    const c = new CarveLatency(() => true, () => Promise.resolve());
    const n = c.stats.recentMs.length + 5;
    for (let i = 0; i < n; i++) {
      c.carved(dirty(i), performance.now() - 10);
      c.afterFrame();
    }
    await new Promise((r) => setTimeout(r, 0));
    expect(c.stats.count).toBe(n);
    expect(Math.min(...c.stats.recentMs)).toBeGreaterThanOrEqual(10);
  });
});
