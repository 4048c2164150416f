// The SQLite engine proper: synchronous better-sqlite3 calls on the one connection to a zone's
// file. It runs only inside the store thread (store.worker.ts), so no commit, fsync or
// checkpoint ever runs on the tick thread.
//
// Durability: WAL mode. synchronous=NORMAL (the default) syncs the WAL only at checkpoints, so a
// killed process loses nothing that committed, but a power cut or an OS crash may lose the last
// commits before the checkpoint; synchronous=FULL (STORE_SYNC=full) syncs the WAL on every
// commit and survives power loss too, at the cost of one fsync per tick with carves.
// journal_size_limit caps the WAL file left behind, and each compaction ends with a TRUNCATE
// checkpoint, so the WAL does not keep the compacted rows' pages.
//
// Ownership: locking_mode=EXCLUSIVE and a first write transaction take the file's lock and keep
// it until the connection closes; a second process opening the same zone gets SQLITE_BUSY at
// once (timeout 0) and is refused with a message naming STORE and ZONE. The OS drops the lock
// when the owner dies, however it dies.
import Database from "better-sqlite3";
import type { Database as Db, Statement } from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ChunkRow, Compaction, CompactionResult, EditRow, PlayerRow, SqliteSyncMode, WorldIdentity, ZoneImage } from "./types.ts";
import { StoreOpenError } from "./types.ts";
import { newLogBase, sameWorld, worldMismatch } from "./identity.ts";

/** Version of the tables below; a file with a newer one is refused. */
const SQLITE_SCHEMA_VERSION = 1;
/** Bytes of WAL kept on disk after a checkpoint. */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS edits (
  seq INTEGER PRIMARY KEY, tick INTEGER NOT NULL, impact_id INTEGER NOT NULL, format INTEGER NOT NULL, data BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS chunks (chunk_id INTEGER PRIMARY KEY, format INTEGER NOT NULL, data BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS players (
  key BLOB PRIMARY KEY, format INTEGER NOT NULL, data BLOB NOT NULL, saved_at INTEGER NOT NULL
) STRICT;
`;

/** Options of one zone's file. */
export interface SqliteOpen {
  readonly file: string;
  readonly zone: string;
  readonly world: WorldIdentity;
  readonly sync: SqliteSyncMode;
}

/** One zone's SQLite file, owned (locked) while open. */
export class SqliteEngine {
  private readonly db: Db;
  private readonly insertEdit: Statement;
  private readonly upsertChunk: Statement;
  private readonly deleteEdits: Statement;
  private readonly setMeta: Statement;
  private readonly upsertPlayer: Statement;
  private readonly deletePlayer: Statement;
  readonly image: ZoneImage;

  constructor(private readonly opts: SqliteOpen) {
    mkdirSync(dirname(opts.file), { recursive: true });
    this.db = new Database(opts.file, { timeout: 0 });
    try {
      this.claim();
      this.db.exec(SCHEMA);
      this.image = this.load();
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.insertEdit = this.db.prepare("INSERT INTO edits (seq, tick, impact_id, format, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING");
    this.upsertChunk = this.db.prepare("INSERT INTO chunks (chunk_id, format, data) VALUES (?, ?, ?) ON CONFLICT (chunk_id) DO UPDATE SET format = excluded.format, data = excluded.data");
    this.deleteEdits = this.db.prepare("DELETE FROM edits WHERE seq <= ?");
    this.setMeta = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    this.upsertPlayer = this.db.prepare("INSERT INTO players (key, format, data, saved_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET format = excluded.format, data = excluded.data, saved_at = excluded.saved_at");
    this.deletePlayer = this.db.prepare("DELETE FROM players WHERE key = ?");
  }

  /** Takes the exclusive lock (see the file comment) and sets the durability pragmas. */
  private claim(): void {
    try {
      this.db.pragma("locking_mode = EXCLUSIVE");
      this.db.pragma("journal_mode = WAL");
      this.db.exec("BEGIN EXCLUSIVE; COMMIT");
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_BUSY") {
        throw new StoreOpenError("STORE", `zone ${this.opts.zone}: ${this.opts.file} is locked by another running server; stop it, or give this one another ZONE or STORE directory`, { cause: err });
      }
      throw err;
    }
    this.db.pragma(`synchronous = ${this.opts.sync === "full" ? "FULL" : "NORMAL"}`);
    this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
  }

  private meta(key: string): number | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: number | bigint } | undefined;
    return row === undefined ? undefined : Number(row.value);
  }

  /** Creates the zone's identity on first use, checks it on every later one, and reads everything. */
  private load(): ZoneImage {
    const w = this.opts.world;
    const version = this.meta("schema_version");
    if (version !== undefined && version > SQLITE_SCHEMA_VERSION) {
      throw new StoreOpenError("STORE", `${this.opts.file} has schema version ${version}; this server knows ${SQLITE_SCHEMA_VERSION} (written by a newer server?)`);
    }
    if (version === undefined) {
      const set = this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
      this.db.transaction(() => {
        set.run("schema_version", SQLITE_SCHEMA_VERSION);
        set.run("log_base", newLogBase());
        set.run("snapshot_seq", 0);
        set.run("seed", w.seed);
        set.run("chunks_x", w.chunksX);
        set.run("chunks_y", w.chunksY);
        set.run("chunks_z", w.chunksZ);
      })();
    }
    const stored = { seed: this.meta("seed"), chunksX: this.meta("chunks_x"), chunksY: this.meta("chunks_y"), chunksZ: this.meta("chunks_z") };
    if (!sameWorld(stored, w)) {
      throw new StoreOpenError("STORE", worldMismatch(this.opts.file, stored, w));
    }
    const snapshotSeq = this.meta("snapshot_seq") ?? 0;
    const chunks = (this.db.prepare("SELECT chunk_id, format, data FROM chunks ORDER BY chunk_id").all() as { chunk_id: number; format: number; data: Buffer }[])
      .map((r): ChunkRow => ({ chunkId: r.chunk_id, format: r.format, data: r.data }));
    const tail = (this.db.prepare("SELECT seq, tick, impact_id, format, data FROM edits WHERE seq > ? ORDER BY seq").all(snapshotSeq) as { seq: number; tick: number; impact_id: number; format: number; data: Buffer }[])
      .map((r): EditRow => ({ seq: r.seq, tick: r.tick, impactId: r.impact_id, format: r.format, data: r.data }));
    const players = (this.db.prepare("SELECT key, format, data, saved_at FROM players").all() as { key: Buffer; format: number; data: Buffer; saved_at: number }[])
      .map((r): PlayerRow => ({ key: r.key, format: r.format, data: r.data, savedAtMs: r.saved_at }));
    return { logBase: this.meta("log_base")!, snapshotSeq, lastSeq: tail.length > 0 ? tail[tail.length - 1].seq : snapshotSeq, chunks, tail, players };
  }

  /** Appends edits in one transaction (one commit per batch); rows already stored (a retried batch) are kept as they are. */
  append(rows: readonly EditRow[]): void {
    this.db.transaction(() => {
      for (const r of rows) this.insertEdit.run(r.seq, r.tick, r.impactId, r.format, r.data);
    })();
  }

  /** Writes the snapshot rows, moves snapshot_seq and deletes the covered edits in one transaction, then truncates the WAL. */
  compact(c: Compaction): CompactionResult {
    let editsDeleted = 0;
    this.db.transaction(() => {
      for (const r of c.chunks) this.upsertChunk.run(r.chunkId, r.format, r.data);
      editsDeleted = this.deleteEdits.run(c.uptoSeq).changes;
      this.setMeta.run("snapshot_seq", c.uptoSeq);
    })();
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    return { chunksWritten: c.chunks.length, editsDeleted };
  }

  /** Upserts and deletes player records in one transaction. */
  savePlayers(save: readonly PlayerRow[], remove: readonly Uint8Array[]): void {
    this.db.transaction(() => {
      for (const p of save) this.upsertPlayer.run(p.key, p.format, p.data, Math.round(p.savedAtMs));
      for (const k of remove) this.deletePlayer.run(k);
    })();
  }

  /** Checkpoints and closes (releasing the lock). */
  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      this.db.close();
    }
  }
}
