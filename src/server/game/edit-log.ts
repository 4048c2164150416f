// Every carve since the world was generated, as encoded voxel sets, in order. A joining client
// regenerates the world from the seed and replays these, so the join snapshot is a memcpy of
// the stored bytes rather than a walk over the world.
import type { VoxelSet } from "../../shared/protocol/messages.ts";
import { writeVoxelSet } from "../../shared/protocol/voxelset.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";

/** Append-only list of encoded edit sets. */
export class WorldEditLog {
  readonly sets: Uint8Array[] = [];
  /** Total voxels changed and total encoded bytes (stats). */
  voxels = 0;
  bytes = 0;
  private readonly w = new ByteWriter(256);

  /** Records one set (encoded once, here). */
  push(set: VoxelSet, voxelCount: number): void {
    this.w.reset();
    writeVoxelSet(this.w, set);
    const bytes = this.w.copy();
    this.sets.push(bytes);
    this.voxels += voxelCount;
    this.bytes += bytes.length;
  }
}
