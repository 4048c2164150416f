// Mesh job ordering and staleness, without workers.
import { describe, expect, it } from "vitest";
import { MeshJobQueue } from "../../../src/client/workers/job-queue.ts";
import { defaultPoolSize } from "../../../src/client/workers/pool.ts";
import { World } from "../../../src/shared/voxel/world.ts";

const size = { chunksX: 4, chunksY: 2, chunksZ: 4 };
const world = new World(size);
const id = (cx: number, cy: number, cz: number) => world.chunkId(cx, cy, cz);

describe("MeshJobQueue", () => {
  it("hands out the pending chunk nearest the focus first", () => {
    const q = new MeshJobQueue(size);
    for (let i = 0; i < world.chunkCount; i++) q.request(i);
    q.setFocus(3 * 32 + 16, 16, 0 * 32 + 16); // centre of chunk (3, 0, 0)
    expect(q.take()).toBe(id(3, 0, 0));
    const next = q.take();
    expect([id(2, 0, 0), id(3, 1, 0), id(3, 0, 1)]).toContain(next);
    expect(q.length).toBe(world.chunkCount - 2);
  });

  it("re-prioritises when the focus moves", () => {
    const q = new MeshJobQueue(size);
    q.request(id(0, 0, 0));
    q.request(id(3, 0, 3));
    q.setFocus(0, 0, 0);
    q.setFocus(127, 0, 127);
    expect(q.take()).toBe(id(3, 0, 3));
    expect(q.take()).toBe(id(0, 0, 0));
    expect(q.take()).toBe(-1);
  });

  it("keeps one pending entry per chunk and moves its version forward", () => {
    const q = new MeshJobQueue(size);
    const c = id(1, 1, 1);
    expect(q.request(c)).toBe(1);
    expect(q.request(c)).toBe(2);
    expect(q.length).toBe(1);
    expect(q.take()).toBe(c);
    expect(q.versionOf(c)).toBe(2);
    expect(q.accept(c, 2)).toBe(true);
    expect(q.accept(c, 2)).toBe(false); // applied once
    expect(q.isCurrent(c)).toBe(true);
  });

  it("drops a result older than the latest request (stale)", () => {
    const q = new MeshJobQueue(size);
    const c = id(2, 0, 2);
    q.request(c);
    q.take(); // job v1 goes to a worker
    q.request(c); // the chunk is carved meanwhile: v2
    expect(q.isCurrent(c)).toBe(false);
    expect(q.accept(c, 1)).toBe(false);
    expect(q.take()).toBe(c);
    expect(q.accept(c, 2)).toBe(true);
    expect(q.isCurrent(c)).toBe(true);
  });

  it("cancel removes the pending job and makes in-flight results stale", () => {
    const q = new MeshJobQueue(size);
    const a = id(0, 1, 0);
    const b = id(1, 0, 0);
    q.request(a);
    q.request(b);
    q.take(); // whichever: both are near the default focus
    q.cancel(a);
    q.cancel(b);
    expect(q.length).toBe(0);
    expect(q.accept(a, 1)).toBe(false);
    expect(q.accept(b, 1)).toBe(false);
    expect(q.isPending(a)).toBe(false);
  });
});

describe("defaultPoolSize", () => {
  it("leaves one core to the main thread, caps at 4, never below 1", () => {
    expect(defaultPoolSize(1)).toBe(1);
    expect(defaultPoolSize(2)).toBe(1);
    expect(defaultPoolSize(4)).toBe(3);
    expect(defaultPoolSize(16)).toBe(4);
    expect(defaultPoolSize(undefined)).toBe(1);
  });
});
