// Voxel carve: turns each queued voxel impact into a crater (carveSphere), gives it a new
// impact_id, records the changed voxels as the next edit of the zone's log (for the store and
// join snapshots), queues the dirty chunks and their neighbours for remeshing, and holds the
// carve event every client applies until the edit is durable (systems/persist.ts sends it).
// While the store's backlog is over its bound the impact carves nothing (counted; the hit
// itself was already counted by the raycast). Runs under the impact's trace, so carve, mesh and
// collider spans share the command's trace.
import { CarveResult, carveSphere } from "../../shared/voxel/carve.ts";
import { CHUNK_SHIFT } from "../../shared/voxel/constants.ts";
import { Material } from "../../shared/voxel/materials.ts";
import { encodeCarve } from "../../shared/protocol/server-codec.ts";
import { createVoxelSet, voxelSetFromCarve } from "../../shared/protocol/voxelset.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import { logger, metrics, SPAN_NAMES, tracing } from "../telemetry/facade.ts";
import type { Fields, SpanHandle } from "../telemetry/facade.ts";
import type { Game, PendingImpact } from "../game/state.ts";
import type { System, TickContext } from "./types.ts";

const log = logger("destruct");
const carve = new CarveResult();
const set = createVoxelSet();
const writer = new ByteWriter(512);
const fields: Fields = { zone: "", shard: "", did: 0, chunk: "", impact_id: 0, command_id: 0, session_id: "" };

function carveOne(game: Game, im: PendingImpact, ctx: TickContext, span: SpanHandle): void {
  // Impacts queued by hand (tests, tools) may not have an id yet.
  if (im.impactId === 0) im.impactId = game.impactIds.next();
  const impactId = im.impactId;
  metrics.carveRequests(1);
  const refused = game.writer.refuseReason();
  if (refused !== null) {
    metrics.carveRefused(refused);
    game.stats.carvesRefused++;
    log.debug({ impact_id: impactId, reason: refused }, "carve refused: the store is behind");
    return;
  }
  const n = carveSphere(game.world, im.x, im.y, im.z, game.config.carveRadius, carve);
  if (n === 0 || !voxelSetFromCarve(carve, Material.Air, set)) {
    // Indestructible material (bedrock) or nothing left to remove: no event, nothing dirty.
    log.debug({ impact_id: impactId, did: im.did, session_id: im.sessionId }, "impact carved nothing");
    return;
  }
  const edit = game.log.record(set, n, ctx.tick, impactId);
  game.writer.add(edit);
  const bytes = encodeCarve(writer, {
    seq: edit.seq,
    impactId,
    commandId: im.commandId >= 0 ? im.commandId : null,
    shooterId: im.shooterId,
    did: im.did,
    projectileId: im.projectileId,
    tick: ctx.tick,
    cx: im.x,
    cy: im.y,
    cz: im.z,
    radius: game.config.carveRadius,
    voxels: set,
  }).slice();
  game.heldCarves.push({ seq: edit.seq, tick: ctx.tick, bytes });
  const trace = span.context() ?? im.parent;
  const dirty = carve.dirty;
  for (let i = 0; i < dirty.count; i++) game.meshQueue.push(dirty.ids[i], impactId, im.did, trace);
  metrics.chunksDirty(dirty.count);
  game.stats.chunksDirtied += dirty.count;
  game.stats.carves++;
  game.stats.voxelsCarved += n;
  log.debug({ impact_id: impactId, seq: edit.seq, did: im.did, command_id: im.commandId, session_id: im.sessionId, voxels: n, chunks: dirty.count }, "crater carved");
}

/** Carves this tick's impacts. */
export const carveSystem: System = {
  name: "carve",
  run(game, ctx) {
    fields.zone = ctx.zone;
    fields.shard = ctx.shard;
    for (let i = 0; i < game.impactCount; i++) {
      const im = game.impacts[i];
      fields.did = im.did;
      fields.chunk = `${im.vx >> CHUNK_SHIFT},${im.vy >> CHUNK_SHIFT},${im.vz >> CHUNK_SHIFT}`;
      fields.command_id = im.commandId;
      fields.session_id = im.sessionId;
      fields.impact_id = im.impactId;
      // withSpan (not startSpan): logs written while carving carry this span's trace_id.
      tracing.withSpan(SPAN_NAMES.voxelCarve, fields, (span) => carveOne(game, im, ctx, span), im.parent);
      im.parent = undefined;
      im.impactId = 0;
    }
    game.impactCount = 0;
  },
};
