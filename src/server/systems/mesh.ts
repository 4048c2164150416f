// Chunk mesh: collects finished worker jobs, then dispatches dirty chunks from the bounded
// queue to idle mesh workers (a padded copy each, via World.fillPadded). The mesher itself runs
// in worker threads and is timed there; this system only copies bytes and posts messages.
// Each job gets a chunk.mesh span under the trace of the impact that dirtied the chunk.
import { metrics, SPAN_NAMES, tracing } from "../telemetry/facade.ts";
import type { Fields } from "../telemetry/facade.ts";
import type { System } from "./types.ts";

const coord: [number, number, number] = [0, 0, 0];
const failed: number[] = [];

/** Drains mesh results and dispatches queued dirty chunks. */
export const meshSystem: System = {
  name: "mesh",
  run(game, ctx) {
    const mesher = ctx.mesher;
    const queue = game.meshQueue;
    const before = game.meshed.length;
    mesher.drain(game.meshed, failed);
    for (let i = before; i < game.meshed.length; i++) metrics.meshDuration(game.meshed[i].meshMs / 1000);
    const done = game.meshed.length - before;
    if (done > 0) {
      metrics.chunksMeshed(done);
      game.stats.chunksMeshed += done;
    }
    for (let i = 0; i < failed.length; i++) queue.push(failed[i]);
    failed.length = 0;

    const world = game.world;
    for (let budget = mesher.capacity(); budget > 0; budget--) {
      const id = queue.shift();
      if (id < 0) break;
      const c = world.chunkCoordOf(id, coord);
      const version = world.chunkVersion(c[0], c[1], c[2]);
      const buffers = mesher.acquire();
      world.fillPadded(c[0], c[1], c[2], buffers.padded);
      const fields: Fields = {
        zone: ctx.zone, shard: ctx.shard, chunk: `${c[0]},${c[1]},${c[2]}`, impact_id: queue.impactOf[id], did: queue.didOf[id],
      };
      const span = tracing.startSpan(SPAN_NAMES.chunkMesh, fields, queue.traceOf[id]);
      queue.traceOf[id] = undefined;
      mesher.submit({ chunkId: id, version, impactId: queue.impactOf[id], did: queue.didOf[id], span }, buffers);
    }
    metrics.voxelQueueLength(queue.length);
  },
};
