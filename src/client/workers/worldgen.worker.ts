// Module worker: runs the shared world generator (about 1.5 s for the default world) off the
// main thread, so the page stays responsive while the renderer compiles its pipelines.
import * as Comlink from "comlink";
import { CHUNK_VOLUME } from "../../shared/voxel/constants.ts";
import { generateWorld } from "../../shared/voxel/worldgen.ts";
import type { WorldGenConfig } from "../../shared/voxel/worldgen.ts";
import type { GeneratedVoxels, WorldgenApi } from "./worldgen-protocol.ts";

const api: WorldgenApi = {
  generate(config: WorldGenConfig): GeneratedVoxels {
    const t0 = performance.now();
    const g = generateWorld(config);
    const world = g.world;
    const voxels = new Uint8Array(world.chunkCount * CHUNK_VOLUME);
    const c: [number, number, number] = [0, 0, 0];
    for (let id = 0; id < world.chunkCount; id++) {
      world.chunkCoordOf(id, c);
      voxels.set(world.chunkData(c[0], c[1], c[2]), id * CHUNK_VOLUME);
    }
    const result: GeneratedVoxels = {
      voxels,
      destructibles: g.destructibles,
      spawn: [g.spawn[0], g.spawn[1], g.spawn[2]],
      ms: performance.now() - t0,
    };
    return Comlink.transfer(result, [voxels.buffer]);
  },
};

Comlink.expose(api);
