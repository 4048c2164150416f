// Player records for resumes that outlive the process: what a player's entity holds, as the
// store keeps it (format.ts), keyed by the SHA-256 of the player's resume token. The raw token
// is never stored or logged; a client that presents it again after a restart is matched by hash.
// Times are saved as what was left (cooldown, respawn), since simulated time restarts at 0.
import { createHash } from "node:crypto";
import { decodePlayer, encodePlayer, PLAYER_FORMAT } from "../store/format.ts";
import type { PlayerRecord } from "../store/format.ts";
import type { PlayerRow } from "../store/types.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import type { Team } from "../../shared/protocol/messages.ts";
import type { Entity } from "./entities.ts";

const writer = new ByteWriter(128);

/** The record key of a resume token: its SHA-256 (32 bytes). */
export function tokenKey(resumeToken: string): Uint8Array {
  return createHash("sha256").update(resumeToken, "utf8").digest();
}

/** The row saving player entity `e` (which has a control with its token key) at simulated time `nowMs`. */
export function playerRow(e: Entity, key: Uint8Array, nowMs: number, savedAtMs: number): PlayerRow {
  return { key, format: PLAYER_FORMAT, data: encodePlayer(writer, playerRecord(e, nowMs)), savedAtMs };
}

/** What player entity `e` (which has a control) is at simulated time `nowMs`, as a record. */
export function playerRecord(e: Entity, nowMs: number): PlayerRecord {
  const c = e.control!;
  const m = e.move;
  return {
    sessionId: c.sessionId, x: m.x, y: m.y, z: m.z, vx: m.vx, vy: m.vy, vz: m.vz, yaw: e.yaw, pitch: e.pitch,
    health: e.health, team: e.team, callsign: e.callsign, downs: e.downs, deaths: e.deaths,
    respawnInMs: e.respawnAtMs < 0 ? -1 : Math.max(0, e.respawnAtMs - nowMs),
    fireInMs: Math.max(0, c.nextFireMs - nowMs), inputSeq: c.lastSeq,
  };
}

/** A record encoded for a hand-off ticket (same format as the store's rows). */
export function encodeRecord(rec: PlayerRecord): { format: number; data: Uint8Array } {
  return { format: PLAYER_FORMAT, data: encodePlayer(writer, rec) };
}

/** Player records loaded at start, by hex key, for resumes after a restart. */
export class SavedPlayers {
  private readonly byKey = new Map<string, PlayerRecord>();

  /** Loads `rows`, skipping unreadable ones and those saved before `oldestMs`; returns the keys skipped (to delete). */
  load(rows: readonly PlayerRow[], oldestMs: number): Uint8Array[] {
    const stale: Uint8Array[] = [];
    for (const r of rows) {
      let rec: PlayerRecord;
      try {
        rec = decodePlayer(r.format, r.data);
      } catch {
        stale.push(r.key);
        continue;
      }
      if (r.savedAtMs < oldestMs) stale.push(r.key);
      else this.byKey.set(keyHex(r.key), rec);
    }
    return stale;
  }

  /** The record for `key`, removed from the set (a record resumes one player once). */
  take(key: Uint8Array): PlayerRecord | undefined {
    const k = keyHex(key);
    const rec = this.byKey.get(k);
    if (rec !== undefined) this.byKey.delete(k);
    return rec;
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** Puts a saved player's state on a freshly spawned entity (simulated time `nowMs`). */
export function restorePlayer(e: Entity, rec: PlayerRecord, nowMs: number): void {
  const m = e.move;
  m.x = rec.x;
  m.y = rec.y;
  m.z = rec.z;
  m.vx = rec.vx;
  m.vy = rec.vy;
  m.vz = rec.vz;
  e.lastX = rec.x;
  e.lastZ = rec.z;
  e.yaw = rec.yaw;
  e.pitch = rec.pitch;
  e.health = rec.health;
  e.team = rec.team as Team;
  e.callsign = rec.callsign;
  e.downs = rec.downs;
  e.deaths = rec.deaths;
  e.respawnAtMs = rec.respawnInMs < 0 ? -1 : nowMs + rec.respawnInMs;
  const c = e.control!;
  c.sessionId = rec.sessionId;
  c.nextFireMs = nowMs + rec.fireInMs;
  c.lastSeq = rec.inputSeq;
}

/** Hex of a record key (a map key; never logged). */
export function keyHex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex");
}
