import type { Destructible, WorldGenConfig } from "../../shared/voxel/worldgen.ts";

/** A generated world as transferable data: all chunks' voxels back to back in chunk-id order. */
export interface GeneratedVoxels {
  /** chunkCount * CHUNK_VOLUME material ids; chunk `id` at id * CHUNK_VOLUME (World.chunkData layout). */
  readonly voxels: Uint8Array;
  readonly destructibles: readonly Destructible[];
  readonly spawn: readonly [number, number, number];
  /** Generation time inside the worker, ms. */
  readonly ms: number;
}

/** What the world-generation worker exposes over comlink. */
export interface WorldgenApi {
  generate(config: WorldGenConfig): GeneratedVoxels;
}
