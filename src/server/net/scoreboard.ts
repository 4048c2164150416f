// The scoreboard a player sees while holding Tab: every player of the zone with downs,
// deaths and the ping its client reported, best first. Built on request (a Scores message,
// at most one answer per SCOREBOARD_MIN_INTERVAL_MS per player) rather than pushed, so only
// players looking at it pay for it (Quake III's "score" command works the same way).
import { EntityKind, LIMITS } from "../../shared/protocol/messages.ts";
import type { ScoreRow } from "../../shared/protocol/messages.ts";
import { encodeScoreboard } from "../../shared/protocol/server-codec.ts";
import type { ByteWriter } from "../../shared/protocol/writer.ts";
import type { Game } from "../game/state.ts";

/** Answers to one player's Scores requests are at least this far apart (wall ms); extra requests are ignored. */
export const SCOREBOARD_MIN_INTERVAL_MS = 250;

const rows: ScoreRow[] = [];

/** Most downs first, then fewest deaths, then entity id (stable). */
function compareRows(a: ScoreRow, b: ScoreRow): number {
  return b.downs - a.downs || a.deaths - b.deaths || a.entityId - b.entityId;
}

/**
 * Encodes the zone's scoreboard into `w` (the first LIMITS.scoreboardRows rows). Row records are
 * pooled across calls; the sort is over players only, on a request, never per tick.
 */
export function encodeZoneScoreboard(game: Game, w: ByteWriter): Uint8Array {
  let n = 0;
  const slots = game.entities.slots;
  for (let s = 0; s < game.entities.highWater; s++) {
    const e = slots[s];
    if (e === null || e.kind !== EntityKind.Player || e.control === null) continue;
    if (n === rows.length) rows.push({ entityId: 0, callsign: "", team: 0, downs: 0, deaths: 0, pingMs: null });
    const row = rows[n++];
    row.entityId = e.id;
    row.callsign = e.callsign;
    row.team = e.team;
    row.downs = e.downs;
    row.deaths = e.deaths;
    const ping = e.control.pingMs;
    row.pingMs = e.control.connected && Number.isFinite(ping) ? ping : null;
  }
  const list = rows.slice(0, n).sort(compareRows);
  return encodeScoreboard(w, list.length > LIMITS.scoreboardRows ? list.slice(0, LIMITS.scoreboardRows) : list);
}
