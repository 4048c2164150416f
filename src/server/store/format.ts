// How the store encodes what it keeps, versioned so that every version a server ever wrote stays
// loadable: each row carries its format number, and a reader is kept for every number. A row
// with a number newer than this server knows is refused with a message, never guessed at.
//
//   edit   format 1: one voxel set as on the wire (protocol/voxelset.ts: material, box, mask),
//                    so a join sends the stored bytes as they are.
//   chunk  format 1: varint count, then that many voxel sets (one per material the chunk's
//                    edits left behind), each boxed to the chunk's changed voxels.
//   player format 1: session id, position, velocity, view, health, team, callsign, score,
//                    what is left of the respawn and weapon cooldown, the last input applied.
//
// The fold (compaction) turns a snapshot and the edits after it into a new snapshot: per
// touched chunk, the material each changed voxel ended with (later edits win), re-encoded as
// one set per material. Replaying the new snapshot gives the same world as replaying the old
// snapshot and the edits, which the contract tests check by checksum.
import { CALLSIGN_MAX } from "../../shared/protocol/messages.ts";
import type { VoxelSet } from "../../shared/protocol/messages.ts";
import { ByteReader } from "../../shared/protocol/reader.ts";
import { createVoxelSet, maskBytes, readVoxelSet, writeVoxelSet } from "../../shared/protocol/voxelset.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import { CHUNK_SIZE, CHUNK_VOLUME, voxelIndex } from "../../shared/voxel/constants.ts";
import { applyVoxelSet } from "../../shared/voxel/apply-set.ts";
import type { DirtyChunks } from "../../shared/voxel/carve.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { ChunkRow, Compaction, EditRow, WorldIdentity, ZoneImage } from "./types.ts";

/** Formats this server writes. */
export const EDIT_FORMAT = 1;
const CHUNK_FORMAT = 1;
export const PLAYER_FORMAT = 1;

/** Voxel sets one chunk row may hold (one per material; MATERIAL_COUNT is far below). */
const MAX_SETS_PER_CHUNK = 256;

/** A stored row this server cannot read (corrupt, or written by a newer server). */
class StoreFormatError extends Error {
  override readonly name = "StoreFormatError";
}

function unknownFormat(kind: string, format: number, known: number): StoreFormatError {
  return new StoreFormatError(`${kind} row in format ${format}; this server reads formats 1..${known} (was it written by a newer server?)`);
}

const reader = new ByteReader();

/** Decodes an edit row's data into `out` (its mask is a fresh copy). Throws StoreFormatError. */
function readEdit(format: number, data: Uint8Array, out: VoxelSet): VoxelSet {
  if (format !== 1) throw unknownFormat("edit", format, EDIT_FORMAT);
  reader.reset(data);
  readVoxelSet(reader, out);
  reader.end();
  if (!reader.ok) throw new StoreFormatError(`edit row unreadable: ${reader.error!.detail}`);
  return out;
}

/** Encodes one edit in EDIT_FORMAT (a copy the caller owns). */
export function encodeEdit(w: ByteWriter, set: VoxelSet): Uint8Array {
  w.reset();
  writeVoxelSet(w, set);
  return w.copy();
}

/** A chunk row's voxel sets: the count and the concatenated wire encodings (what a join sends). */
export interface ChunkSets {
  readonly count: number;
  readonly bytes: Uint8Array;
}

/** Splits a chunk row into its sets without decoding them. Throws StoreFormatError. */
export function chunkSets(format: number, data: Uint8Array): ChunkSets {
  if (format !== 1) throw unknownFormat("chunk", format, CHUNK_FORMAT);
  reader.reset(data);
  const count = reader.count(MAX_SETS_PER_CHUNK, "chunk.sets");
  if (!reader.ok) throw new StoreFormatError(`chunk row unreadable: ${reader.error!.detail}`);
  return { count, bytes: data.subarray(reader.pos) };
}

/** Calls `each` with every voxel set of a chunk row (one reused object). Throws StoreFormatError. */
function forEachChunkSet(format: number, data: Uint8Array, each: (set: VoxelSet) => void): void {
  const { count, bytes } = chunkSets(format, data);
  const set = scratchSet;
  reader.reset(bytes);
  for (let i = 0; i < count; i++) {
    readVoxelSet(reader, set);
    if (!reader.ok) throw new StoreFormatError(`chunk row unreadable: ${reader.error!.detail}`);
    each(set);
  }
  reader.end();
  if (!reader.ok) throw new StoreFormatError(`chunk row unreadable: ${reader.error!.detail}`);
}
const scratchSet = createVoxelSet();

/** One touched chunk during a fold: the material each changed voxel ended with (NONE = unchanged). */
interface FoldChunk {
  readonly grid: Uint8Array;
  /** Bounding box of changed voxels, chunk-local, inclusive. */
  x0: number;
  y0: number;
  z0: number;
  x1: number;
  y1: number;
  z1: number;
}

const NONE = 0xff;

/**
 * Folds voxel sets, in log order, into per-chunk final materials, then encodes each touched
 * chunk as a chunk row. Chunks first touched load their previous snapshot row through `previous`
 * so the fold starts from it. Holds 32 KiB per touched chunk until encode().
 */
class ChunkFolder {
  private readonly chunks = new Map<number, FoldChunk>();
  private readonly w = new ByteWriter(4096);

  constructor(
    private readonly world: WorldIdentity,
    private readonly previous: (chunkId: number) => ChunkRow | undefined,
  ) {}

  /** Chunks touched so far. */
  get size(): number {
    return this.chunks.size;
  }

  /** Folds one set in (after every set folded before it). */
  add(set: VoxelSet): void {
    const { sizeX: sx, sizeY: sy, sizeZ: sz, mask } = set;
    const maxX = this.world.chunksX * CHUNK_SIZE;
    const maxY = this.world.chunksY * CHUNK_SIZE;
    const maxZ = this.world.chunksZ * CHUNK_SIZE;
    for (let y = 0; y < sy; y++) {
      const wy = set.minY + y;
      if (wy >= maxY) break;
      for (let z = 0; z < sz; z++) {
        const wz = set.minZ + z;
        if (wz >= maxZ) break;
        for (let x = 0; x < sx; x++) {
          const bit = x + sx * (z + sz * y);
          if ((mask[bit >> 3] & (1 << (bit & 7))) === 0) continue;
          const wx = set.minX + x;
          if (wx >= maxX) break;
          const c = this.chunkAt(wx, wy, wz);
          const lx = wx & 31, ly = wy & 31, lz = wz & 31;
          c.grid[voxelIndex(lx, ly, lz)] = set.material;
          if (lx < c.x0) c.x0 = lx;
          if (lx > c.x1) c.x1 = lx;
          if (ly < c.y0) c.y0 = ly;
          if (ly > c.y1) c.y1 = ly;
          if (lz < c.z0) c.z0 = lz;
          if (lz > c.z1) c.z1 = lz;
        }
      }
    }
  }

  private chunkAt(wx: number, wy: number, wz: number): FoldChunk {
    const id = (wx >> 5) + this.world.chunksX * ((wz >> 5) + this.world.chunksZ * (wy >> 5));
    let c = this.chunks.get(id);
    if (c !== undefined) return c;
    c = { grid: new Uint8Array(CHUNK_VOLUME).fill(NONE), x0: CHUNK_SIZE, y0: CHUNK_SIZE, z0: CHUNK_SIZE, x1: -1, y1: -1, z1: -1 };
    this.chunks.set(id, c);
    const prev = this.previous(id);
    // The previous snapshot's sets lie inside this chunk, so folding them in touches only it.
    if (prev !== undefined) forEachChunkSet(prev.format, prev.data, (s) => this.add(s));
    return c;
  }

  /** Encodes every touched chunk as a CHUNK_FORMAT row, in chunk-id order. */
  encode(): ChunkRow[] {
    const out: ChunkRow[] = [];
    const ids = [...this.chunks.keys()].sort((a, b) => a - b);
    for (const id of ids) out.push({ chunkId: id, format: CHUNK_FORMAT, data: this.encodeChunk(id, this.chunks.get(id)!) });
    return out;
  }

  private encodeChunk(id: number, c: FoldChunk): Uint8Array {
    const materials = new Set<number>();
    for (let y = c.y0; y <= c.y1; y++) {
      for (let z = c.z0; z <= c.z1; z++) {
        for (let x = c.x0; x <= c.x1; x++) {
          const m = c.grid[voxelIndex(x, y, z)];
          if (m !== NONE) materials.add(m);
        }
      }
    }
    const w = this.w;
    w.reset();
    w.varU(materials.size);
    const cx = id % this.world.chunksX;
    const cz = Math.floor(id / this.world.chunksX) % this.world.chunksZ;
    const cy = Math.floor(id / (this.world.chunksX * this.world.chunksZ));
    for (const m of [...materials].sort((a, b) => a - b)) writeVoxelSet(w, materialSet(c, m, cx * CHUNK_SIZE, cy * CHUNK_SIZE, cz * CHUNK_SIZE));
    return w.copy();
  }
}

/** The voxels of chunk `c` that ended as material `m`, boxed tightly, in world coordinates. */
function materialSet(c: FoldChunk, m: number, ox: number, oy: number, oz: number): VoxelSet {
  let x0 = CHUNK_SIZE, y0 = CHUNK_SIZE, z0 = CHUNK_SIZE, x1 = -1, y1 = -1, z1 = -1;
  for (let y = c.y0; y <= c.y1; y++) {
    for (let z = c.z0; z <= c.z1; z++) {
      for (let x = c.x0; x <= c.x1; x++) {
        if (c.grid[voxelIndex(x, y, z)] !== m) continue;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (z < z0) z0 = z;
        if (z > z1) z1 = z;
      }
    }
  }
  const sx = x1 - x0 + 1, sy = y1 - y0 + 1, sz = z1 - z0 + 1;
  const mask = new Uint8Array(maskBytes(sx, sy, sz));
  for (let y = 0; y < sy; y++) {
    for (let z = 0; z < sz; z++) {
      for (let x = 0; x < sx; x++) {
        if (c.grid[voxelIndex(x0 + x, y0 + y, z0 + z)] !== m) continue;
        const bit = x + sx * (z + sz * y);
        mask[bit >> 3] |= 1 << (bit & 7);
      }
    }
  }
  return { material: m, minX: ox + x0, minY: oy + y0, minZ: oz + z0, sizeX: sx, sizeY: sy, sizeZ: sz, mask };
}

/** A player's state as saved for a resume (times are what was left, so they survive a restart). */
export interface PlayerRecord {
  /** 32 hex chars: the session id logs correlate on (kept across the restart). */
  sessionId: string;
  x: number;
  y: number;
  z: number;
  vx: number;
  vy: number;
  vz: number;
  yaw: number;
  pitch: number;
  health: number;
  team: number;
  callsign: string;
  downs: number;
  deaths: number;
  /** Ms until a downed player respawns; -1 while up. */
  respawnInMs: number;
  /** Ms until the weapon may fire again (0 = ready). */
  fireInMs: number;
  /** Sequence number of the last input applied. */
  inputSeq: number;
}

/** Encodes a player record in PLAYER_FORMAT (a copy the caller owns). */
export function encodePlayer(w: ByteWriter, p: PlayerRecord): Uint8Array {
  w.reset();
  for (let i = 0; i < 32; i += 2) w.u8(parseInt(p.sessionId.slice(i, i + 2), 16));
  for (const v of [p.x, p.y, p.z, p.vx, p.vy, p.vz, p.yaw, p.pitch]) w.f64(v);
  w.u8(p.health);
  w.u8(p.team);
  w.ascii(p.callsign.slice(0, CALLSIGN_MAX));
  w.varU(p.downs);
  w.varU(p.deaths);
  w.varI(Math.max(-1, Math.round(p.respawnInMs)));
  w.varU(Math.max(0, Math.round(p.fireInMs)));
  w.varU(p.inputSeq);
  return w.copy();
}

/** Decodes a player row's data. Throws StoreFormatError. */
export function decodePlayer(format: number, data: Uint8Array): PlayerRecord {
  if (format !== 1) throw unknownFormat("player", format, PLAYER_FORMAT);
  const r = reader.reset(data);
  let sessionId = "";
  for (let i = 0; i < 16; i++) sessionId += r.u8("player.session").toString(16).padStart(2, "0");
  const f = (): number => r.f64("player.state");
  const rec: PlayerRecord = {
    sessionId, x: f(), y: f(), z: f(), vx: f(), vy: f(), vz: f(), yaw: f(), pitch: f(),
    health: r.u8("player.health"), team: r.u8("player.team"), callsign: r.ascii(CALLSIGN_MAX, "player.callsign"),
    downs: r.varU("player.downs"), deaths: r.varU("player.deaths"), respawnInMs: r.varI("player.respawn"),
    fireInMs: r.varU("player.fire"), inputSeq: r.varU("player.input_seq"),
  };
  r.end();
  if (!r.ok) throw new StoreFormatError(`player row unreadable: ${r.error!.detail}`);
  return rec;
}

const foldSet = createVoxelSet();

/**
 * The compaction that moves a snapshot to `uptoSeq`: `edits` (ascending, every edit after the
 * current snapshot up to uptoSeq) folded over the previous rows of the chunks they touch.
 * Throws StoreFormatError on a row it cannot read.
 */
export function foldCompaction(world: WorldIdentity, previous: (chunkId: number) => ChunkRow | undefined, edits: readonly EditRow[], uptoSeq: number): Compaction {
  const folder = new ChunkFolder(world, previous);
  for (const e of edits) if (e.seq <= uptoSeq) folder.add(readEdit(e.format, e.data, foldSet));
  return { uptoSeq, chunks: folder.encode() };
}

/** Replays a zone image onto `world` (generated from the same identity): snapshot rows, then the tail. Returns the sets applied. */
export function replayImage(world: World, image: Pick<ZoneImage, "chunks" | "tail">, dirty: DirtyChunks | null = null): number {
  let sets = 0;
  for (const c of image.chunks) {
    forEachChunkSet(c.format, c.data, (s) => {
      applyVoxelSet(world, s, dirty);
      sets++;
    });
  }
  for (const e of image.tail) {
    applyVoxelSet(world, readEdit(e.format, e.data, foldSet), dirty);
    sets++;
  }
  return sets;
}
