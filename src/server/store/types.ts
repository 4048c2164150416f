// The durable world's one interface. A zone's store holds its edit log (one row per carve,
// numbered by seq), the snapshot the log is compacted into (one row per touched chunk) and the
// player records kept for resumes. Three engines implement it, each behind this interface and
// each run through the same contract tests: SQLite (the default, one file per zone, its
// connection in a worker thread), PostgreSQL (past one machine, ownership by a lease with an
// epoch that fences every write) and memory (tests and the loadtest baseline; nothing survives).
//
// Ownership: opening a zone claims it. While a store is open no other process writes the zone:
// SQLite holds an exclusive lock on the file, PostgreSQL a lease whose epoch every write checks
// in the same statement. A writer that lost ownership gets a FencedError and must stop.

import type { StoreBackendLabel } from "../../shared/telemetry/names.ts";

/** The engines (the `backend` metric label; the closed set, STORE_BACKENDS, lives with the other label sets). */
export type StoreBackend = StoreBackendLabel;

/** What a zone's world is generated from; a store refuses to serve a zone built from other inputs. */
export interface WorldIdentity {
  readonly seed: number;
  readonly chunksX: number;
  readonly chunksY: number;
  readonly chunksZ: number;
}

/** One committed edit: the voxels one carve changed. */
export interface EditRow {
  /** Position in the zone's log: 1, 2, 3, ... without gaps. */
  readonly seq: number;
  /** Server tick that made the edit. */
  readonly tick: number;
  /** The carve's impact_id (u32; 0 when none). */
  readonly impactId: number;
  /** Version of `data`'s encoding (format.ts). */
  readonly format: number;
  /** The edit, encoded (format.ts). */
  readonly data: Uint8Array;
}

/** One chunk of the snapshot: every edit up to the snapshot's seq folded into a few voxel sets. */
export interface ChunkRow {
  readonly chunkId: number;
  readonly format: number;
  readonly data: Uint8Array;
}

/** A player's saved state, keyed by the SHA-256 of its resume token (the token is never stored). */
export interface PlayerRow {
  /** 32 bytes. */
  readonly key: Uint8Array;
  readonly format: number;
  readonly data: Uint8Array;
  /** Wall clock of the save (ms since epoch). */
  readonly savedAtMs: number;
}

/** Everything a zone's store holds, as loaded when it opens. */
export interface ZoneImage {
  /**
   * Identity of this log (u32, never 0): chosen at random when the zone's store is created, so a
   * wiped or replaced store has another. A client's world built from one log cannot be topped
   * up from another.
   */
  readonly logBase: number;
  /** Every edit with seq <= snapshotSeq is folded into `chunks`. */
  readonly snapshotSeq: number;
  /** Highest seq stored (snapshotSeq when the tail is empty). */
  readonly lastSeq: number;
  readonly chunks: readonly ChunkRow[];
  /** Edits after snapshotSeq, ascending. */
  readonly tail: readonly EditRow[];
  readonly players: readonly PlayerRow[];
}

/** A compaction: the snapshot moves to `uptoSeq`; `chunks` replace their rows, edits up to it go. */
export interface Compaction {
  readonly uptoSeq: number;
  readonly chunks: readonly ChunkRow[];
}

/** What a compaction wrote and removed. */
export interface CompactionResult {
  readonly chunksWritten: number;
  readonly editsDeleted: number;
}

/** How durable a commit is on the SQLite engine (PRAGMA synchronous). */
export const SQLITE_SYNC_MODES = ["normal", "full"] as const;
export type SqliteSyncMode = (typeof SQLITE_SYNC_MODES)[number];

/** Engine settings beyond the STORE string. */
export interface StoreOptions {
  /** SQLite: `normal` survives a killed process; `full` also survives power loss (an fsync per commit). */
  readonly sqliteSync?: SqliteSyncMode;
  /** PostgreSQL: lease length (ms); renewed every leaseRenewMs. */
  readonly leaseMs?: number;
  readonly leaseRenewMs?: number;
  /** PostgreSQL: how long opening waits for another owner's lease to lapse before it gives up (ms). */
  readonly claimTimeoutMs?: number;
  /** Log lines of the engine (reconnects, lease trouble). */
  readonly log?: StoreLog;
  /** PostgreSQL: called for each lease renewal that failed (counted as game_zone_lease_renewal_failures_total). */
  readonly onLeaseRenewalFailure?: () => void;
}

/** The few log calls an engine makes (the server passes its facade logger). */
export interface StoreLog {
  info(fields: Record<string, string | number | boolean | undefined>, msg: string): void;
  warn(fields: Record<string, string | number | boolean | undefined>, msg: string): void;
  error(fields: Record<string, string | number | boolean | undefined>, msg: string): void;
}

/** An open, owned zone. Writes are serialised in call order; none of them blocks the caller. */
export interface ZoneStore {
  readonly backend: StoreBackend;
  readonly zone: string;
  /** The zone as it was when opened. */
  readonly image: ZoneImage;
  /** Ownership epoch (PostgreSQL: incremented on each claim; 1 on the other engines). */
  readonly epoch: number;
  /**
   * Durably appends edits (contiguous seqs after everything appended before). Resolves once
   * committed (SQLite: WAL written; PostgreSQL: commit flushed, synchronous_commit=on).
   * Rejects with FencedError when the zone is owned by someone else now, StoreUnavailableError
   * when the engine cannot be reached (the caller retries the same rows). Resolves with the
   * engine's own time for the commit in ms, measured where the commit runs (the store thread),
   * so it excludes the wait for the tick thread to hear of it.
   */
  append(rows: readonly EditRow[]): Promise<number>;
  /** Writes a snapshot and drops the edits it covers, atomically. Same errors as append. */
  compact(c: Compaction): Promise<CompactionResult>;
  /** Upserts player records and deletes others (by key), atomically. Same errors as append. */
  savePlayers(save: readonly PlayerRow[], remove: readonly Uint8Array[]): Promise<void>;
  /** Called once when the engine learns that another process claimed the zone (lease lost). */
  onFenced(handler: (err: FencedError) => void): void;
  /** Releases ownership and the connection. Idempotent. */
  close(): Promise<void>;
}

/** The zone is owned by another writer now; this one must stop writing and exit. */
export class FencedError extends Error {
  override readonly name = "FencedError";
  constructor(readonly zone: string, readonly epoch: number, readonly detail: string) {
    super(`zone ${zone}: ownership lost (epoch ${epoch}): ${detail}`);
  }
}

/** The engine cannot be reached or refused the write for a transient reason; retry later. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

/**
 * Opening failed in a way an operator fixes (another process owns the zone, the store holds a
 * different world, a newer format): the message names the setting to change.
 */
export class StoreOpenError extends Error {
  override readonly name = "StoreOpenError";
  constructor(readonly setting: string, detail: string, options?: ErrorOptions) {
    super(`${setting}: ${detail}`, options);
  }
}
