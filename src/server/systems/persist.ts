// Persist: runs right after carve. It broadcasts the carve events whose edits the store has
// made durable since the last tick (so no client ever sees a crater a crash could take back),
// measuring how many ticks each waited; hands this tick's edits to the store as one batch (the
// group commit); and every playerSaveMs queues every player's record for saving. It never waits
// on the store: commits finish between ticks and are picked up by a later run.
import { metrics } from "../telemetry/facade.ts";
import { playerRow } from "../game/player-records.ts";
import type { Game } from "../game/state.ts";
import type { PlayerRow } from "../store/types.ts";
import type { System } from "./types.ts";

const rows: PlayerRow[] = [];
const none: Uint8Array[] = [];

/** Moves durable carve events to this tick's broadcasts. Allocation-free. */
function release(game: Game, tick: number): void {
  const held = game.heldCarves;
  const committed = game.log.committedSeq;
  let n = 0;
  while (n < held.length && held[n].seq <= committed) {
    game.outbox.broadcasts.push(held[n].bytes);
    metrics.carveBroadcastDelay(tick - held[n].tick);
    n++;
  }
  if (n === 0) return;
  game.log.releasedSeq = held[n - 1].seq;
  held.copyWithin(0, n);
  held.length -= n;
}

/** Queues the record of every player that has a resume token (connected or waiting for a resume). */
function savePlayers(game: Game): void {
  const slots = game.entities.slots;
  const wall = Date.now();
  for (let s = 0; s < game.entities.highWater; s++) {
    const e = slots[s];
    const key = e?.control?.tokenKey;
    if (e == null || key == null) continue;
    rows.push(playerRow(e, key, game.timeMs, wall));
  }
  game.writer.queuePlayers(rows, none);
  rows.length = 0;
}

/** Releases durable carves, commits this tick's edits, saves players on schedule. */
export const persistSystem: System = {
  name: "persist",
  run(game, ctx) {
    release(game, ctx.tick);
    game.writer.flush();
    // flush() may have learnt of a commit that finished since the release above (the memory store commits at once).
    release(game, ctx.tick);
    if (game.timeMs >= game.nextPlayerSaveMs) {
      game.nextPlayerSaveMs = game.timeMs + game.config.playerSaveMs;
      savePlayers(game);
    }
  },
};
