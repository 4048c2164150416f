// The mesher pool when its workers fail, with fake workers (test/client/workers/fake-worker.ts)
// running the real greedy mesher. The minimal case: a pool of one worker that fires
// `error` on its first job used to mesh 0 of 8 chunks and count nothing; now all 8 are meshed
// and one failure is counted. A hung worker is found by the job deadline; a worker that keeps
// failing is replaced with a growing delay; a cancelled chunk is not brought back.
import * as Comlink from "comlink";
import { afterEach, describe, expect, it } from "vitest";
import { copyQuads, createMeshOutput, meshChunk } from "../../../src/shared/mesh/greedy.ts";
import { MeshMode } from "../../../src/shared/mesh/quad.ts";
import type { MeshModeId } from "../../../src/shared/mesh/quad.ts";
import { World } from "../../../src/shared/voxel/world.ts";
import { MeshJobQueue } from "../../../src/client/workers/job-queue.ts";
import type { MeshJob, MesherApi } from "../../../src/client/workers/mesher-protocol.ts";
import { MesherPool } from "../../../src/client/workers/pool.ts";
import type { MesherPoolOptions } from "../../../src/client/workers/pool.ts";
import { FakeWorker, never } from "./fake-worker.ts";
import type { JobFate } from "./fake-worker.ts";

/** 8 chunks (2 x 1 x 4), each with a few solid voxels so none is skipped as all-air. */
function world(): World {
  const w = new World({ chunksX: 2, chunksY: 1, chunksZ: 4 });
  const c: [number, number, number] = [0, 0, 0];
  for (let id = 0; id < w.chunkCount; id++) {
    w.chunkCoordOf(id, c);
    const data = w.chunkData(c[0], c[1], c[2]);
    for (let i = 0; i < 64; i++) data[i * 7] = 1 + (i % 3);
  }
  return w;
}

/** A fake mesher worker: the real mesher in the job's mode, or a crash or a hang as `fate` says per job; `modes` collects each job's mode. */
function mesher(fate: (job: number) => JobFate, modes: MeshModeId[] = []): FakeWorker {
  const out = createMeshOutput();
  return new FakeWorker((fateOf, crash) => {
    const api: MesherApi = {
      mesh(job: MeshJob) {
        const f = fateOf();
        if (f === "crash") crash();
        if (f !== "answer") return never() as never;
        const t0 = performance.now();
        modes.push(job.mode);
        const r = meshChunk(job.padded, out, job.mode);
        const quads = copyQuads(r);
        return Comlink.transfer(
          { chunkId: job.chunkId, version: job.version, quads, quadCount: r.quadCount, faceCounts: r.faceCounts.slice(), meshMs: performance.now() - t0, wasm: false, padded: job.padded },
          [quads.buffer, job.padded.buffer],
        );
      },
    };
    return api;
  }, fate);
}

const pools: MesherPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.dispose();
});

/** A pool over the 8-chunk world with every chunk requested; `workers` says how each spawned worker behaves. */
function setup(workers: (spawnIndex: number) => FakeWorker, options: MesherPoolOptions = {}) {
  const w = world();
  const queue = new MeshJobQueue(w.size);
  const meshed = new Set<number>();
  const spawned: { at: number; worker: FakeWorker }[] = [];
  const pool = new MesherPool(w, queue, (id) => meshed.add(id), {
    size: 1,
    spawn: () => {
      const worker = workers(spawned.length);
      spawned.push({ at: performance.now(), worker });
      return worker;
    },
    random: () => 0,
    ...options,
  });
  pools.push(pool);
  for (let id = 0; id < w.chunkCount; id++) queue.request(id);
  return { pool, queue, meshed, spawned };
}

/** Pumps every 10 ms (as frames would) until `done`, or fails after `ms`. */
async function pumpUntil(pool: MesherPool, done: () => boolean, ms = 5000): Promise<void> {
  const until = performance.now() + ms;
  while (!done()) {
    if (performance.now() > until) throw new Error("timed out pumping the pool");
    pool.pump();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("mesher pool failures", () => {
  it("meshes all 8 chunks and counts 1 failure when its one worker fires error on its first job", async () => {
    const { pool, meshed, spawned } = setup((i) => mesher((job) => (i === 0 && job === 1 ? "crash" : "answer")));
    await pumpUntil(pool, () => meshed.size === 8);
    expect(meshed.size).toBe(8);
    expect(pool.failures).toEqual({ failures: 1, crashes: 1, hangs: 0, restarts: 1 });
    expect(spawned).toHaveLength(2);
    expect(spawned[0].worker.terminated).toBe(true);
    expect(pool.stats.inFlight).toBe(0);
    expect(pool.stats.queueLength).toBe(0);
  });

  it("finds a worker that never answers by the job deadline, replaces it and meshes everything", async () => {
    const { pool, meshed } = setup((i) => mesher(() => (i === 0 ? "hang" : "answer")), { jobDeadlineMs: 500 });
    const t0 = performance.now();
    await pumpUntil(pool, () => meshed.size === 8);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(500);
    expect(pool.failures).toMatchObject({ failures: 1, crashes: 0, hangs: 1 });
  });

  it("replaces a worker that keeps failing after a growing delay", async () => {
    // The first three workers crash on every job; the fourth works.
    const { pool, meshed, spawned } = setup((i) => mesher(() => (i < 3 ? "crash" : "answer")));
    await pumpUntil(pool, () => meshed.size === 8);
    expect(pool.failures.failures).toBe(3);
    const gaps = spawned.slice(1).map((s, k) => s.at - spawned[k].at);
    // At once after the first failure, then the reconnect backoff: 250 ms, 500 ms (random 0: no jitter).
    expect(gaps[0]).toBeLessThan(200);
    expect(gaps[1]).toBeGreaterThanOrEqual(250);
    expect(gaps[2]).toBeGreaterThanOrEqual(500);
  });

  it("does not bring back a chunk that was cancelled while its worker failed", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { pool, queue, meshed } = setup((i) => mesher((job) => (i === 0 && job <= 2 ? "hang" : "answer")), { jobDeadlineMs: 400 });
    pool.pump();
    // Two jobs went to the first worker; the nearest (chunk 0) leaves the view meanwhile.
    queue.cancel(0);
    setTimeout(release, 0);
    await gate;
    await pumpUntil(pool, () => meshed.size === 7);
    await new Promise((r) => setTimeout(r, 100));
    pool.pump();
    expect(meshed.has(0)).toBe(false);
    expect(meshed.size).toBe(7);
    expect(queue.isCurrent(0)).toBe(true);
  });
});

describe("mesher pool modes", () => {
  it("meshes in the renderer's AO mode: ShaderAo by default, VertexAo when asked", async () => {
    for (const [option, expected] of [[undefined, MeshMode.ShaderAo], [MeshMode.VertexAo, MeshMode.VertexAo]] as const) {
      const modes: MeshModeId[] = [];
      const { pool, meshed } = setup(() => mesher(() => "answer", modes), option === undefined ? {} : { mode: option });
      await pumpUntil(pool, () => meshed.size === 8);
      expect(modes).toHaveLength(8);
      expect(new Set(modes)).toEqual(new Set([expected]));
    }
  });
});
