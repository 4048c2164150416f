// The zone's edit log as the game holds it in memory: the snapshot's rows (one per touched
// chunk) and the edits after it, each already encoded as the voxel set joins send, so a join
// snapshot is a memcpy of stored bytes rather than a walk over the world.
//
// Every edit gets the next sequence number when it is carved. Three marks move along the log:
//   lastSeq       the newest edit applied to the world (maybe not durable yet);
//   committedSeq  the newest edit the store has made durable;
//   releasedSeq   the newest edit broadcast to clients (only ever durable ones).
// Joins and resumes send edits up to releasedSeq; later ones reach the joiner as broadcasts.
// After a compaction the snapshot moves forward, and edits it covers are kept a while longer
// (`retainEdits`) so a client that dropped just before can still be topped up with what it missed.
import { chunkSets, EDIT_FORMAT, encodeEdit } from "../store/format.ts";
import { newLogBase } from "../store/identity.ts";
import type { ChunkSets } from "../store/format.ts";
import type { ChunkRow, Compaction, EditRow, ZoneImage } from "../store/types.ts";
import type { VoxelSet } from "../../shared/protocol/messages.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";

/** One snapshot row with its sets split out for joins. */
export interface SnapshotChunk {
  readonly row: ChunkRow;
  readonly sets: ChunkSets;
}

/** The zone's log in memory; see the file comment. */
export class WorldLog {
  /** The log's identity (a fresh one until a store's image is loaded). */
  logBase = newLogBase();
  snapshotSeq = 0;
  lastSeq = 0;
  committedSeq = 0;
  releasedSeq = 0;
  /** Snapshot rows by chunk id. */
  readonly chunks = new Map<number, SnapshotChunk>();
  /** Voxel sets in the snapshot rows, summed. */
  snapshotSets = 0;
  /** Edits in seq order without gaps: every edit after snapshotSeq, and up to retainEdits before it. */
  readonly edits: EditRow[] = [];
  /** Voxels changed and encoded bytes of edits recorded since start (stats). */
  voxels = 0;
  bytes = 0;
  private readonly w = new ByteWriter(256);

  constructor(readonly retainEdits = 4096) {}

  /** Takes over what a store loaded (everything in it is durable, and may be sent). */
  load(image: ZoneImage): void {
    this.logBase = image.logBase;
    this.snapshotSeq = image.snapshotSeq;
    this.lastSeq = this.committedSeq = this.releasedSeq = image.lastSeq;
    this.chunks.clear();
    this.snapshotSets = 0;
    for (const row of image.chunks) this.putChunk(row);
    this.edits.length = 0;
    for (const e of image.tail) this.edits.push(e);
  }

  /** Records a carve's set as the next edit (its bytes encoded once, here). */
  record(set: VoxelSet, voxelCount: number, tick: number, impactId: number): EditRow {
    const data = encodeEdit(this.w, set);
    const row: EditRow = { seq: ++this.lastSeq, tick, impactId, format: EDIT_FORMAT, data };
    this.edits.push(row);
    this.voxels += voxelCount;
    this.bytes += data.length;
    return row;
  }

  /** Index in `edits` of the first edit with seq > `seq` (edits.length when none). */
  indexAfter(seq: number): number {
    if (this.edits.length === 0) return 0;
    const i = seq + 1 - this.edits[0].seq;
    return i < 0 ? 0 : Math.min(i, this.edits.length);
  }

  /** True when the edits after `seq` up to releasedSeq are all still held (a resume from `seq` can be topped up). */
  canResumeFrom(seq: number): boolean {
    if (seq > this.releasedSeq || seq < 0) return false;
    if (seq === this.releasedSeq) return true;
    return this.edits.length > 0 && this.edits[0].seq <= seq + 1;
  }

  /** Edits from seq `from` (inclusive) up to `to`, ascending (for a compaction). */
  range(from: number, to: number): EditRow[] {
    return this.edits.slice(this.indexAfter(from - 1), this.indexAfter(to));
  }

  /** The snapshot row of a chunk, if any (the fold starts from it). */
  chunkRow(chunkId: number): ChunkRow | undefined {
    return this.chunks.get(chunkId)?.row;
  }

  /** A compaction the store made durable: its rows replace theirs; edits it covers go once past the retention. */
  compacted(c: Compaction): void {
    for (const row of c.chunks) this.putChunk(row);
    this.snapshotSeq = Math.max(this.snapshotSeq, c.uptoSeq);
    const keepFrom = Math.min(this.snapshotSeq + 1, this.releasedSeq + 1 - this.retainEdits);
    const drop = this.indexAfter(keepFrom - 1);
    if (drop > 0) this.edits.splice(0, drop);
  }

  private putChunk(row: ChunkRow): void {
    const old = this.chunks.get(row.chunkId);
    if (old !== undefined) this.snapshotSets -= old.sets.count;
    const sets = chunkSets(row.format, row.data);
    this.chunks.set(row.chunkId, { row, sets });
    this.snapshotSets += sets.count;
  }
}
