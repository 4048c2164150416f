// A zone's identity checks, shared by the engines: the random base of a new log, and the refusal
// when a store holds another world than the one this server generates.
import { randomBytes } from "node:crypto";
import type { WorldIdentity } from "./types.ts";

/** A random u32 other than 0: the identity of a new log. */
export function newLogBase(): number {
  for (;;) {
    const v = randomBytes(4).readUInt32LE(0);
    if (v !== 0) return v;
  }
}

/** True when a stored world identity is the configured one. */
export function sameWorld(stored: Partial<Record<keyof WorldIdentity, number | undefined>>, want: WorldIdentity): boolean {
  return stored.seed === want.seed && stored.chunksX === want.chunksX && stored.chunksY === want.chunksY && stored.chunksZ === want.chunksZ;
}

/** The refusal when a store holds another world than the configured one (names the settings to change). */
export function worldMismatch(where: string, stored: Partial<Record<keyof WorldIdentity, number | undefined>>, want: WorldIdentity): string {
  return `${where} holds the world of seed ${stored.seed} size ${stored.chunksX}x${stored.chunksY}x${stored.chunksZ}, but this server generates seed ${want.seed} size ${want.chunksX}x${want.chunksY}x${want.chunksZ}; `
    + "set WORLD_SEED back, or give this world another ZONE or STORE";
}
