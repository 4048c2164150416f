// Collider rebuild: applies the collision summaries the mesh workers measured (solid count,
// column tops) to the per-chunk collider data used by projectile raycasts and NPC movement.
// A result older than the chunk's current version is still applied when it is newer than what
// is stored (carving only removes voxels, so it errs on the solid side); the chunk's newer
// version is already queued again by the carve that bumped it.
import { metrics, SPAN_NAMES, tracing } from "../telemetry/facade.ts";
import type { Fields } from "../telemetry/facade.ts";
import type { MeshedChunk } from "../game/state.ts";
import type { Game } from "../game/state.ts";
import type { System } from "./types.ts";

const coord: [number, number, number] = [0, 0, 0];

function rebuild(game: Game, r: MeshedChunk): void {
  const start = performance.now();
  game.colliders.apply(r.chunkId, r.version, r.solid, r.tops);
  metrics.colliderDuration((performance.now() - start) / 1000);
}

/** Applies finished mesh results to the chunk colliders. */
export const colliderSystem: System = {
  name: "collider",
  run(game, ctx) {
    const list = game.meshed;
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      if (r.version > game.colliders.builtVersion[r.chunkId]) {
        const c = game.world.chunkCoordOf(r.chunkId, coord);
        const fields: Fields = {
          zone: ctx.zone, shard: ctx.shard, chunk: `${c[0]},${c[1]},${c[2]}`, impact_id: r.impactId, did: r.did, solid: r.solid,
        };
        tracing.withSpan(SPAN_NAMES.colliderRebuild, fields, () => rebuild(game, r), r.parent);
      }
      ctx.mesher.release(r);
    }
    list.length = 0;
  },
};
