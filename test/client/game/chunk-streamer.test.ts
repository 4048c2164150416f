// Which chunks get meshed as the camera moves, and when the spawn area counts as ready.
import { describe, expect, it } from "vitest";
import { ChunkStreamer } from "../../../src/client/game/chunk-streamer.ts";
import type { ChunkSink } from "../../../src/client/game/chunk-streamer.ts";
import { MeshJobQueue } from "../../../src/client/workers/job-queue.ts";
import type { MesherPool } from "../../../src/client/workers/pool.ts";
import { DirtyChunks } from "../../../src/shared/voxel/carve.ts";
import { World } from "../../../src/shared/voxel/world.ts";

function setup(view: number) {
  const world = new World({ chunksX: 8, chunksY: 2, chunksZ: 8 });
  const queue = new MeshJobQueue(world.size);
  const removed: number[] = [];
  const uploaded = new Set<number>();
  const sink: ChunkSink = { removeChunk: (id) => removed.push(id), isChunkUploaded: (id) => uploaded.has(id) };
  // Stands in for the worker pool: the test completes jobs itself.
  const pool = { pump: () => undefined } as unknown as MesherPool;
  const streamer = new ChunkStreamer(world, queue, pool, sink, view);
  /** Finishes every pending job as a worker would. */
  const meshAll = () => {
    for (let id = queue.take(); id >= 0; id = queue.take()) {
      queue.accept(id, queue.versionOf(id));
      uploaded.add(id);
    }
  };
  return { world, queue, streamer, removed, uploaded, meshAll };
}

describe("ChunkStreamer", () => {
  it("requests every column within the view radius, all heights", () => {
    const { queue, streamer } = setup(1);
    streamer.update(3 * 32 + 16, 40, 3 * 32 + 16);
    // Radius 1: the centre column and its 4 edge neighbours, 2 chunks high.
    expect(queue.length).toBe(5 * 2);
  });

  it("is ready around the spawn only when those chunks are meshed and uploaded", () => {
    const { streamer, meshAll } = setup(2);
    streamer.update(100, 40, 100);
    expect(streamer.readyAround(100, 100, 1)).toBe(false);
    meshAll();
    expect(streamer.readyAround(100, 100, 1)).toBe(true);
  });

  it("drops chunks a chunk beyond the radius and requests the new ones", () => {
    const { world, queue, streamer, removed, meshAll } = setup(1);
    streamer.update(16, 40, 16);
    meshAll();
    streamer.update(16 + 32 * 3, 40, 16); // three chunks east
    expect(removed).toContain(world.chunkId(0, 0, 0));
    expect(queue.isPending(world.chunkId(3, 0, 0))).toBe(true);
  });

  it("re-meshes only dirty chunks that are in range", () => {
    const { world, queue, streamer, meshAll } = setup(1);
    streamer.update(16, 40, 16);
    meshAll();
    const dirty = new DirtyChunks();
    dirty.add(world.chunkId(0, 0, 0));
    dirty.add(world.chunkId(6, 0, 6)); // far away: meshed when it comes into range
    streamer.markDirty(dirty);
    expect(queue.length).toBe(1);
    expect(queue.take()).toBe(world.chunkId(0, 0, 0));
  });
});
