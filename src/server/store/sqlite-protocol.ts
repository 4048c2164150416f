// Messages between the SQLite store's proxy (sqlite.ts, tick thread) and its worker
// (sqlite.worker.ts). Rows cross as structured clones; errors as name, message and setting.
import type { Compaction, CompactionResult, EditRow, PlayerRow, ZoneImage } from "./types.ts";
import type { SqliteOpen } from "./sqlite-engine.ts";

/** One request; `id` pairs it with its reply. */
export type SqliteRequest =
  | { readonly id: number; readonly op: "open"; readonly open: SqliteOpen }
  | { readonly id: number; readonly op: "append"; readonly rows: readonly EditRow[] }
  | { readonly id: number; readonly op: "compact"; readonly compaction: Compaction }
  | { readonly id: number; readonly op: "savePlayers"; readonly save: readonly PlayerRow[]; readonly remove: readonly Uint8Array[] }
  | { readonly id: number; readonly op: "close" };

/** What a request produced. */
export type SqliteResult = ZoneImage | CompactionResult | null;

/** One reply: a result, or the error the engine threw. `ms` is the engine's own time for it. */
export type SqliteReply =
  | { readonly id: number; readonly ok: true; readonly result: SqliteResult; readonly ms: number }
  | { readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string; readonly setting?: string } };
