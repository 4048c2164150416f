// Chunk mesh and collider rebuild: dirty chunks go through the mesher (inline and in a real
// worker thread, with identical results), and their collider summaries are rebuilt to match
// the carved world. The broadphase raycast agrees with the plain voxel DDA.
import { afterEach, describe, expect, it } from "vitest";
import { meshSystem } from "../../../src/server/systems/mesh.ts";
import { colliderSystem } from "../../../src/server/systems/collider.ts";
import { carveSystem } from "../../../src/server/systems/carve.ts";
import { ChunkFill, CHUNK_COLUMNS, summariseChunk } from "../../../src/server/game/collider.ts";
import type { MeshedChunk } from "../../../src/server/game/state.ts";
import { RayHit, raycastVoxels } from "../../../src/shared/physics/raycast.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { PADDED_VOLUME } from "../../../src/shared/voxel/constants.ts";
import { createMeshOutput, meshChunk } from "../../../src/shared/mesh/greedy.ts";
import { MeshMode } from "../../../src/shared/mesh/quad.ts";
import { harness } from "../support.ts";
import type { SystemHarness } from "../support.ts";

const open: SystemHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.mesher.close();
});

/** Queues a crater in the spawn wall through the carve system. */
function carveWall(h: SystemHarness): void {
  const [sx, sy] = h.game.gen.spawn;
  const wall = h.game.gen.destructibles[0];
  const im = h.game.addImpact();
  Object.assign(im, { projectileId: 1, shooterId: 1, commandId: 1, sessionId: "t", x: sx, y: sy + 2, z: wall.max[2] + 1, vx: Math.floor(sx), vy: Math.floor(sy + 2), vz: wall.max[2], did: 1, traceparent: undefined });
  h.step();
  carveSystem.run(h.game, h.ctx);
}

async function meshUntilIdle(h: SystemHarness, collected: MeshedChunk[]): Promise<void> {
  for (let i = 0; i < 500 && (h.game.meshQueue.length > 0 || h.mesher.inFlight() > 0); i++) {
    h.step();
    meshSystem.run(h.game, h.ctx);
    collected.push(...h.game.meshed.map((m) => ({ ...m, tops: m.tops.slice() })));
    colliderSystem.run(h.game, h.ctx);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("chunk mesh and collider rebuild", () => {
  it("remeshes every dirty chunk and rebuilds its collider from the carved voxels (inline)", async () => {
    const h = harness({ npcCount: 0 }, 0);
    open.push(h);
    carveWall(h);
    const dirty = h.game.meshQueue.length;
    expect(dirty).toBeGreaterThan(0);
    const results: MeshedChunk[] = [];
    await meshUntilIdle(h, results);
    expect(h.game.meshQueue.length).toBe(0);
    expect(results.length).toBe(dirty);
    expect(h.game.stats.chunksMeshed).toBe(dirty);
    const tops = new Int8Array(CHUNK_COLUMNS);
    const c: [number, number, number] = [0, 0, 0];
    for (const r of results) {
      h.game.world.chunkCoordOf(r.chunkId, c);
      const solid = summariseChunk(h.game.world.chunkData(c[0], c[1], c[2]), tops);
      expect(r.solid).toBe(solid);
      expect(h.game.colliders.solid[r.chunkId]).toBe(solid);
      expect(h.game.colliders.builtVersion[r.chunkId]).toBe(h.game.world.chunkVersion(c[0], c[1], c[2]));
      expect(h.game.colliders.tops.subarray(r.chunkId * CHUNK_COLUMNS, (r.chunkId + 1) * CHUNK_COLUMNS)).toEqual(tops);
      if (solid > 0 && solid < 32768) expect(r.quads).toBeGreaterThan(0);
      expect(r.meshMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("meshes in a worker thread with the same results as inline", async () => {
    const inline = harness({ npcCount: 0 }, 0);
    const threaded = harness({ npcCount: 0 }, 1);
    open.push(inline, threaded);
    carveWall(inline);
    carveWall(threaded);
    const a: MeshedChunk[] = [];
    const b: MeshedChunk[] = [];
    await meshUntilIdle(inline, a);
    await meshUntilIdle(threaded, b);
    const key = (m: MeshedChunk) => [m.chunkId, m.version, m.quads, m.solid];
    expect(b.map(key).sort()).toEqual(a.map(key).sort());
    expect(b.every((m) => m.meshMs > 0)).toBe(true);
  });

  it("meshes in the cheap material-only mode: no AO, fewer quads than with vertex AO", async () => {
    const h = harness({ npcCount: 0 }, 1);
    open.push(h);
    carveWall(h);
    const results: MeshedChunk[] = [];
    await meshUntilIdle(h, results);
    expect(results.length).toBeGreaterThan(0);
    const pad = new Uint8Array(PADDED_VOLUME);
    const out = createMeshOutput();
    const c: [number, number, number] = [0, 0, 0];
    let plain = 0;
    let vertex = 0;
    for (const r of results) {
      h.game.world.chunkCoordOf(r.chunkId, c);
      h.game.world.fillPadded(c[0], c[1], c[2], pad);
      expect(r.quads).toBe(meshChunk(pad, out, MeshMode.Plain).quadCount);
      plain += r.quads;
      vertex += meshChunk(pad, out, MeshMode.VertexAo).quadCount;
    }
    expect(plain).toBeLessThan(vertex);
  });

  it("coalesces a chunk dirtied twice and keeps the queue bounded", () => {
    const h = harness({ npcCount: 0, meshQueueCapacity: 4 }, 0);
    open.push(h);
    const q = h.game.meshQueue;
    expect(q.capacity).toBe(4);
    expect(q.push(3)).toBe(true);
    expect(q.push(3)).toBe(false);
    expect(q.coalesced).toBe(1);
    for (let id = 10; id < 20; id++) q.push(id);
    expect(q.length).toBe(11);
    const out: number[] = [];
    for (let id = q.shift(); id >= 0; id = q.shift()) out.push(id);
    expect(out.slice(0, 4)).toEqual([3, 10, 11, 12]);
    expect(out.sort((x, y) => x - y)).toEqual([3, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(q.length).toBe(0);
  });

  it("skips empty chunks in the broadphase and agrees with the voxel DDA", () => {
    const h = harness({ npcCount: 0 }, 0);
    open.push(h);
    const w = h.game.world;
    let empty = 0;
    for (let i = 0; i < w.chunkCount; i++) if (h.game.colliders.fill[i] === ChunkFill.Empty) empty++;
    expect(empty).toBeGreaterThan(0);
    const rng = new Rng(99);
    const a = new RayHit();
    const b = new RayHit();
    let hits = 0;
    for (let i = 0; i < 2000; i++) {
      const ox = rng.next() * w.maxX;
      const oy = 40 + rng.next() * (w.maxY - 40);
      const oz = rng.next() * w.maxZ;
      const dx = rng.next() - 0.5;
      const dy = rng.next() - 0.7;
      const dz = rng.next() - 0.5;
      const len = 5 + rng.next() * 150;
      const ha = raycastVoxels(w, ox, oy, oz, dx, dy, dz, len, a);
      const hb = h.game.colliders.raycast(ox, oy, oz, dx, dy, dz, len, b);
      expect(hb).toBe(ha);
      if (!ha) continue;
      hits++;
      expect([b.x, b.y, b.z]).toEqual([a.x, a.y, a.z]);
      expect(b.distance).toBeCloseTo(a.distance, 6);
    }
    expect(hits).toBeGreaterThan(200);
  });
});
