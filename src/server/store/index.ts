// Opens a zone on the engine the STORE setting names (spec.ts).
import { MemoryStoreHost } from "./memory.ts";
import { PostgresStore } from "./postgres.ts";
import { SqliteStore } from "./sqlite.ts";
import type { StoreSpec } from "./spec.ts";
import type { StoreOptions, WorldIdentity, ZoneStore } from "./types.ts";

export { describeStore, parseStoreSpec } from "./spec.ts";
export type { StoreSpec } from "./spec.ts";

export type { StoreOptions, WorldIdentity, ZoneStore } from "./types.ts";
export { StoreOpenError } from "./types.ts";

/**
 * Opens and claims `zone` on the engine `spec` names, loading everything it holds. Rejects with
 * StoreOpenError (naming the setting) when another process owns the zone, the store holds
 * another world, or the engine cannot be reached.
 */
export async function openZoneStore(spec: StoreSpec, zone: string, world: WorldIdentity, options: StoreOptions = {}): Promise<ZoneStore> {
  switch (spec.backend) {
    case "sqlite":
      return SqliteStore.openZone(spec.dir, zone, world, options);
    case "postgres":
      return PostgresStore.openZone(spec.url, zone, world, options);
    case "memory":
      // Nothing survives: every open starts an empty zone.
      return new MemoryStoreHost().openZone(zone, world);
  }
}
