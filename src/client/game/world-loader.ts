import * as Comlink from "comlink";
import { CHUNK_VOLUME } from "../../shared/voxel/constants.ts";
import { World } from "../../shared/voxel/world.ts";
import type { Destructible, WorldGenConfig } from "../../shared/voxel/worldgen.ts";
import type { WorldgenApi } from "../workers/worldgen-protocol.ts";

/** The world the client plays in, ready to mesh. */
export interface LoadedWorld {
  readonly world: World;
  readonly destructibles: readonly Destructible[];
  readonly spawn: readonly [number, number, number];
  /** Generation time in the worker, ms. */
  readonly generateMs: number;
}

/**
 * Generates the world for `config` in a one-shot worker and copies the transferred voxels
 * into a World on this thread. Same generator and seed as the server, so both hold the same
 * voxels before any edit.
 */
export async function loadWorld(config: WorldGenConfig): Promise<LoadedWorld> {
  const worker = new Worker(new URL("../workers/worldgen.worker.ts", import.meta.url), { type: "module", name: "worldgen" });
  const api = Comlink.wrap<WorldgenApi>(worker);
  try {
    const g = await api.generate(config);
    const world = new World(config);
    const c: [number, number, number] = [0, 0, 0];
    for (let id = 0; id < world.chunkCount; id++) {
      world.chunkCoordOf(id, c);
      world.chunkData(c[0], c[1], c[2]).set(g.voxels.subarray(id * CHUNK_VOLUME, (id + 1) * CHUNK_VOLUME));
    }
    return { world, destructibles: g.destructibles, spawn: g.spawn, generateMs: g.ms };
  } finally {
    api[Comlink.releaseProxy]();
    worker.terminate();
  }
}
