// Messages between the store's proxy on the tick thread (thread.ts) and the store thread that
// runs the engine (store.worker.ts). Rows cross as structured clones; errors as their name,
// message and the fields needed to rebuild them; the engine's log lines, lease-renewal failures
// and a lost lease cross as events.
import type { Compaction, CompactionResult, EditRow, PlayerRow, WorldIdentity, ZoneImage } from "./types.ts";
import type { SqliteOpen } from "./sqlite-engine.ts";

/** The engine a store thread runs, and what it needs to open the zone (plain data: it is cloned). */
export type EngineTarget =
  | { readonly backend: "sqlite"; readonly open: SqliteOpen }
  | {
    readonly backend: "postgres";
    readonly url: string;
    readonly zone: string;
    readonly world: WorldIdentity;
    readonly leaseMs?: number;
    readonly leaseRenewMs?: number;
    readonly claimTimeoutMs?: number;
  };

/** One request; `id` pairs it with its reply. */
export type ThreadRequest =
  | { readonly id: number; readonly op: "open"; readonly target: EngineTarget }
  | { readonly id: number; readonly op: "append"; readonly rows: readonly EditRow[] }
  | { readonly id: number; readonly op: "compact"; readonly compaction: Compaction }
  | { readonly id: number; readonly op: "savePlayers"; readonly save: readonly PlayerRow[]; readonly remove: readonly Uint8Array[] }
  | { readonly id: number; readonly op: "close" };

/** What the open request produced: the zone as stored, and the ownership epoch. */
export interface Opened {
  readonly image: ZoneImage;
  readonly epoch: number;
}

/** What a request produced. */
export type ThreadResult = Opened | CompactionResult | null;

/** An error as it crosses: enough to rebuild StoreOpenError (setting) and FencedError (zone, epoch, detail). */
export interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly setting?: string;
  readonly zone?: string;
  readonly epoch?: number;
  readonly detail?: string;
}

type LogFields = Record<string, string | number | boolean | undefined>;

/** From the thread: a reply (with the engine's own time for the request, in ms) or an event. */
export type ThreadMessage =
  | { readonly kind: "reply"; readonly id: number; readonly ok: true; readonly result: ThreadResult; readonly ms: number }
  | { readonly kind: "reply"; readonly id: number; readonly ok: false; readonly error: ThreadError }
  | { readonly kind: "log"; readonly level: "info" | "warn" | "error"; readonly fields: LogFields; readonly msg: string }
  | { readonly kind: "lease_renewal_failed" }
  | { readonly kind: "fenced"; readonly zone: string; readonly epoch: number; readonly detail: string };
