// The memory engine: the Store contract kept in process memory, for tests and as the loadtest's
// baseline (STORE=memory, where every open starts empty). Every write "commits" at once. Zones
// opened through one MemoryStoreHost share its data, so the contract tests can reopen a zone and
// read back what an earlier owner wrote, and a second open while one is live is refused like
// SQLite's.
import { newLogBase, sameWorld, worldMismatch } from "./identity.ts";
import type { ChunkRow, Compaction, CompactionResult, EditRow, FencedError, PlayerRow, WorldIdentity, ZoneImage, ZoneStore } from "./types.ts";
import { StoreOpenError } from "./types.ts";

interface ZoneData {
  world: WorldIdentity;
  logBase: number;
  snapshotSeq: number;
  edits: Map<number, EditRow>;
  chunks: Map<number, ChunkRow>;
  players: Map<string, PlayerRow>;
  owned: boolean;
}

/** Holds the zones of one process's memory stores. */
export class MemoryStoreHost {
  private readonly zones = new Map<string, ZoneData>();

  /** Opens (creating) a zone; refuses while another open store owns it. */
  openZone(zone: string, world: WorldIdentity): MemoryStore {
    let d = this.zones.get(zone);
    if (d === undefined) {
      d = { world, logBase: newLogBase(), snapshotSeq: 0, edits: new Map(), chunks: new Map(), players: new Map(), owned: false };
      this.zones.set(zone, d);
    }
    if (d.owned) throw new StoreOpenError("STORE", `zone ${zone} is already open in this process`);
    if (!sameWorld(d.world, world)) throw new StoreOpenError("STORE", worldMismatch(`memory zone ${zone}`, d.world, world));
    d.owned = true;
    return new MemoryStore(zone, d);
  }
}

/** A zone kept in memory; see the file comment. */
export class MemoryStore implements ZoneStore {
  readonly backend = "memory" as const;
  readonly epoch = 1;
  readonly image: ZoneImage;
  private closed = false;

  constructor(
    readonly zone: string,
    private readonly d: ZoneData,
  ) {
    const tail = [...d.edits.values()].filter((e) => e.seq > d.snapshotSeq).sort((a, b) => a.seq - b.seq);
    this.image = {
      logBase: d.logBase,
      snapshotSeq: d.snapshotSeq,
      lastSeq: tail.length > 0 ? tail[tail.length - 1].seq : d.snapshotSeq,
      chunks: [...d.chunks.values()].sort((a, b) => a.chunkId - b.chunkId),
      tail,
      players: [...d.players.values()],
    };
  }

  private check(): void {
    if (this.closed) throw new Error("store closed");
  }

  async append(rows: readonly EditRow[]): Promise<number> {
    const start = performance.now();
    this.check();
    for (const r of rows) if (!this.d.edits.has(r.seq)) this.d.edits.set(r.seq, { ...r, data: r.data.slice() });
    return performance.now() - start;
  }

  async compact(c: Compaction): Promise<CompactionResult> {
    this.check();
    for (const r of c.chunks) this.d.chunks.set(r.chunkId, { ...r, data: r.data.slice() });
    let editsDeleted = 0;
    for (const seq of this.d.edits.keys()) {
      if (seq <= c.uptoSeq) {
        this.d.edits.delete(seq);
        editsDeleted++;
      }
    }
    this.d.snapshotSeq = c.uptoSeq;
    return { chunksWritten: c.chunks.length, editsDeleted };
  }

  async savePlayers(save: readonly PlayerRow[], remove: readonly Uint8Array[]): Promise<void> {
    this.check();
    for (const p of save) this.d.players.set(hex(p.key), { ...p, data: p.data.slice() });
    for (const k of remove) this.d.players.delete(hex(k));
  }

  onFenced(handler: (err: FencedError) => void): void {
    void handler;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.d.owned = false;
  }
}

function hex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex");
}
