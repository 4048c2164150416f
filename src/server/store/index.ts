// Opens a zone on the engine the STORE setting names (spec.ts). SQLite and PostgreSQL run on a
// store thread of their own (thread.ts, store.worker.ts), which loads only the engine named.
import { join } from "node:path";
import { MemoryStoreHost } from "./memory.ts";
import { StoreThread } from "./thread.ts";
import type { StoreSpec } from "./spec.ts";
import type { StoreOptions, WorldIdentity, ZoneStore } from "./types.ts";

export { describeStore, parseStoreSpec } from "./spec.ts";
export type { StoreSpec } from "./spec.ts";

export type { StoreOptions, WorldIdentity, ZoneStore } from "./types.ts";
export { StoreOpenError } from "./types.ts";

/** A zone's SQLite file under the STORE directory. */
function sqliteFile(dir: string, zone: string): string {
  return join(dir, `${zone}.sqlite`);
}

/**
 * Opens and claims `zone` on the engine `spec` names, loading everything it holds. Rejects with
 * StoreOpenError (naming the setting) when another process owns the zone, the store holds
 * another world, or the engine cannot be reached.
 */
export async function openZoneStore(spec: StoreSpec, zone: string, world: WorldIdentity, options: StoreOptions = {}): Promise<ZoneStore> {
  switch (spec.backend) {
    case "sqlite":
      return StoreThread.open(zone, { backend: "sqlite", open: { file: sqliteFile(spec.dir, zone), zone, world, sync: options.sqliteSync ?? "normal" } }, options);
    case "postgres": {
      const { leaseMs, leaseRenewMs, claimTimeoutMs } = options;
      return StoreThread.open(zone, { backend: "postgres", url: spec.url, zone, world, leaseMs, leaseRenewMs, claimTimeoutMs }, options);
    }
    case "memory":
      // Nothing survives: every open starts an empty zone.
      return new MemoryStoreHost().openZone(zone, world);
  }
}
