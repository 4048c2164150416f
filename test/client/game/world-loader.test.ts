// The world loader when its worldgen worker fails, with fake workers (fake-worker.ts) running the
// real generator: a crash or a hang is counted and the job retried in a new worker; when every
// worker attempt fails, the world is generated on this thread. The result is always the world
// the server generates from the same config.
import * as Comlink from "comlink";
import { describe, expect, it } from "vitest";
import { loadWorld } from "../../../src/client/game/world-loader.ts";
import { createWorkerFailures } from "../../../src/client/workers/supervise.ts";
import type { GeneratedVoxels, WorldgenApi } from "../../../src/client/workers/worldgen-protocol.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { CHUNK_VOLUME } from "../../../src/shared/voxel/constants.ts";
import { generateWorld } from "../../../src/shared/voxel/worldgen.ts";
import type { WorldGenConfig } from "../../../src/shared/voxel/worldgen.ts";
import { FakeWorker, never } from "../workers/fake-worker.ts";
import type { JobFate } from "../workers/fake-worker.ts";

const CONFIG: WorldGenConfig = { seed: 4242, chunksX: 8, chunksY: 4, chunksZ: 8 };
const generated = generateWorld(CONFIG);
const expected = worldChecksum(generated.world);
// What the real worker sends, generated once: the fake shares this thread, so generating per
// job would stall the very timers that the deadline tests measure.
const chunkOrdered = new Uint8Array(generated.world.chunkCount * CHUNK_VOLUME);
{
  const c: [number, number, number] = [0, 0, 0];
  for (let id = 0; id < generated.world.chunkCount; id++) {
    generated.world.chunkCoordOf(id, c);
    chunkOrdered.set(generated.world.chunkData(c[0], c[1], c[2]), id * CHUNK_VOLUME);
  }
}

/** A fake worldgen worker whose one job answers, crashes or hangs. */
function worldgen(fate: JobFate): FakeWorker {
  return new FakeWorker((fateOf, crash) => {
    const api: WorldgenApi = {
      generate(config) {
        const f = fateOf();
        if (f === "crash") crash();
        if (f !== "answer") return never() as never;
        expect(config).toEqual(CONFIG);
        const voxels = chunkOrdered.slice();
        const g = generated;
        const out: GeneratedVoxels = { voxels, destructibles: g.destructibles, spawn: [g.spawn[0], g.spawn[1], g.spawn[2]], ms: 1 };
        return Comlink.transfer(out, [voxels.buffer]);
      },
    };
    return api;
  }, () => fate);
}

/** Spawns the fates in order, one worker each; records the workers. */
function spawner(fates: JobFate[]): { spawn: () => FakeWorker; spawned: FakeWorker[] } {
  const spawned: FakeWorker[] = [];
  return {
    spawned,
    spawn: () => {
      const w = worldgen(fates[spawned.length] ?? "answer");
      spawned.push(w);
      return w;
    },
  };
}

describe("world loader failures", () => {
  it("retries in a new worker after one fires error, counting the failure", async () => {
    const failures = createWorkerFailures();
    const { spawn, spawned } = spawner(["crash", "answer"]);
    const loaded = await loadWorld(CONFIG, { spawn, failures, random: () => 0 });
    expect(worldChecksum(loaded.world)).toBe(expected);
    expect(failures).toEqual({ failures: 1, crashes: 1, hangs: 0, restarts: 1 });
    expect(spawned.every((w) => w.terminated)).toBe(true);
  });

  it("gives up on a worker that does not answer within the deadline and retries", async () => {
    const failures = createWorkerFailures();
    const { spawn } = spawner(["hang", "answer"]);
    const t0 = performance.now();
    const loaded = await loadWorld(CONFIG, { spawn, failures, deadlineMs: 500, random: () => 0 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(500);
    expect(worldChecksum(loaded.world)).toBe(expected);
    expect(failures).toMatchObject({ failures: 1, hangs: 1 });
  });

  it("generates the world on this thread when every worker attempt fails", async () => {
    const failures = createWorkerFailures();
    const { spawn, spawned } = spawner(["crash", "hang", "crash"]);
    const loaded = await loadWorld(CONFIG, { spawn, failures, deadlineMs: 200, attempts: 3, random: () => 0 });
    expect(worldChecksum(loaded.world)).toBe(expected);
    expect(spawned).toHaveLength(3);
    expect(failures).toEqual({ failures: 3, crashes: 2, hangs: 1, restarts: 2 });
  });
});
