// Keeps the client's voxel world identical to the server's. The world is generated from the
// welcome's seed and size (the same generator the server ran), then the join's edit sets are
// replayed (the server's snapshot rows, then its log), then every carve event is applied as it
// arrives. The world's place in the server's edit log (its logBase and the last seq applied)
// goes into the next hello.
//
// After a reconnect the server either continues this page's world (the welcome's baseSeq is the
// seq this page is at: only the edits it missed follow, the common case of a short drop, even
// across a server restart) or sends the whole world (baseSeq 0: another log, or edits it no
// longer holds). Then the world is generated afresh in the worker, the edits are replayed on
// that copy, and the chunks that differ are copied into the live World and re-meshed. The live
// World object is never replaced, so the renderer, mesher pool and streamer keep theirs.
//
// Without a loader (headless load bots) no world is kept at all: the join is complete with its
// snapshot, and carve events are still reported, in order, with no voxels changed.
import { voxelSetToEdits } from "../../shared/protocol/voxelset.ts";
import { applyVoxelSet } from "../../shared/voxel/apply-set.ts";
import type { CarveMsg, SnapshotMsg, VoxelSet, WelcomeMsg, WorldEditsMsg } from "../../shared/protocol/messages.ts";
import { applyEdits, DirtyChunks, EditLog, unpackVoxel } from "../../shared/voxel/carve.ts";
import { CHUNK_VOLUME } from "../../shared/voxel/constants.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { WorldGenConfig } from "../../shared/voxel/worldgen.ts";
import { MaterialTally } from "../game/material-tally.ts";

/** Dirty chunks of one applied set, merged into the caller's set. */
const scratchDirty = new DirtyChunks();

/** Generates the pristine world for a config (the worldgen worker in the page, generateWorld in tests). */
export type WorldLoader = (config: WorldGenConfig) => Promise<World>;

/** What WorldSync reports. Objects passed are reused: read them during the call. */
export interface WorldSyncEvents {
  /** A carve event was applied: `changed` voxels, `dirty` chunks to re-mesh, `material` what most of them were. */
  carve(m: CarveMsg, dirty: DirtyChunks, changed: number, material: number): void;
  /**
   * The world now matches a join snapshot. `dirty` holds the chunks whose mesh input changed
   * (empty on the first join, where everything is new anyway).
   */
  resync(dirty: DirtyChunks): void;
  /** The server's world has another size than this page's World: only a page reload can follow. */
  incompatible(): void;
  /** Generating the world failed. */
  failed(err: unknown): void;
}

/** Counters for diagnostics and tests. */
export interface WorldSyncStats {
  /** Edit sets applied to the live world since it was generated (join edits and carves). */
  editSets: number;
  /** Joins handled by applying only the edits this page had not seen. */
  tailJoins: number;
  /** Carve events skipped because the join already held their edit. */
  duplicateCarves: number;
  /** Joins that needed a freshly generated world. */
  rebuilds: number;
  /** Chunks copied from a rebuilt world because they differed. */
  chunksReplaced: number;
}

function configOf(m: WelcomeMsg): WorldGenConfig {
  return { seed: m.seed, chunksX: m.chunksX, chunksY: m.chunksY, chunksZ: m.chunksZ };
}

function sameSize(a: WorldGenConfig, b: WorldGenConfig): boolean {
  return a.chunksX === b.chunksX && a.chunksY === b.chunksY && a.chunksZ === b.chunksZ;
}

/** No chunks: what a world-less sync reports as dirty. */
const NOTHING_DIRTY = new DirtyChunks();

/** The world as this page holds it, fed by the join sequence and carve events. */
export class WorldSync {
  /** The live world; null until the first join completes. */
  world: World | null = null;
  readonly stats: WorldSyncStats = { editSets: 0, tailJoins: 0, duplicateCarves: 0, rebuilds: 0, chunksReplaced: 0 };
  /** The server log the live world follows (0: none yet) and the last of its edits applied. */
  logBase = 0;
  lastSeq = 0;
  /** Resolves with the live world once the first join is complete (never without a loader). */
  readonly ready: Promise<World>;

  private config: WorldGenConfig | null = null;
  private joinConfig: WorldGenConfig | null = null;
  /** The welcome being joined: its log and the seqs its edits start after and end at. */
  private joinLog = { base: 0, from: 0, to: 0 };
  private joinSets: VoxelSet[] = [];
  /** Carves that arrived while a join was being applied; applied after it, in order. */
  private readonly queued: CarveMsg[] = [];
  /** True from a welcome until its snapshot has been applied to the live world. */
  private joining = false;
  /** Bumped per welcome: a rebuild finishing after a newer welcome is discarded. */
  private epoch = 0;
  /** A generation started early (at the welcome) and the config it is for. */
  private pending: { config: WorldGenConfig; world: Promise<World> } | null = null;
  private readonly edits = new EditLog();
  private readonly dirty = new DirtyChunks();
  private readonly tally = new MaterialTally();
  private readonly coord: [number, number, number] = [0, 0, 0];
  private resolveReady: (w: World) => void = () => {};
  private rejectReady: (err: unknown) => void = () => {};

  /** `load` null: keep no world (see the file comment). */
  constructor(
    private readonly load: WorldLoader | null,
    private readonly events: WorldSyncEvents,
  ) {
    this.ready = new Promise<World>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Callers that only use events must not see an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** True while a join is being applied (carves are queued, the player waits). */
  get busy(): boolean {
    return this.joining;
  }

  /** A welcome starts a join: its edit sets follow, then the snapshot. */
  welcome(m: WelcomeMsg): void {
    this.epoch++;
    const config = configOf(m);
    this.joinConfig = config;
    this.joinLog = { base: m.logBase, from: m.baseSeq, to: m.lastSeq };
    this.joinSets = [];
    // Carves queued during an unfinished join are in the new join's edit list.
    this.queued.length = 0;
    this.joining = true;
    if (this.config !== null && !sameSize(this.config, config)) {
      this.events.incompatible();
      return;
    }
    // A fresh world is certainly needed on the first join or a new seed: start generating now,
    // overlapping the edit download.
    if (this.load !== null && (this.config === null || this.config.seed !== config.seed)) this.generate(this.load, config);
  }

  /** Collects one WorldEdits message of the join. */
  worldEdits(m: WorldEditsMsg): void {
    for (const s of m.sets) this.joinSets.push(s);
  }

  /** Completes the join: brings the live world to the snapshot's state. */
  snapshot(m: SnapshotMsg): void {
    const config = this.joinConfig;
    if (config === null || !this.joining) return;
    if (m.editSets !== this.joinSets.length) {
      // The socket is ordered and reliable, so this is a server bug; the world may differ.
      console.warn(`join snapshot announced ${m.editSets} edit sets, ${this.joinSets.length} arrived`);
    }
    const world = this.world;
    const sets = this.joinSets;
    const j = this.joinLog;
    if (this.load === null) {
      this.stats.editSets = sets.length;
      this.joinSets = [];
      this.dirty.clear();
      this.logBase = j.base;
      this.lastSeq = j.to;
      this.commit(null);
      return;
    }
    if (j.from > 0 && world !== null && this.config !== null && this.config.seed === config.seed && sameSize(this.config, config)) {
      if (j.base !== this.logBase || j.from !== this.lastSeq) {
        // The server continued a world this page does not have: a server bug. Apply anyway, and
        // ask for a whole world at the next join.
        console.warn(`join continues log ${j.base} from ${j.from}, this page is at ${this.logBase}/${this.lastSeq}`);
        j.base = 0;
      }
      this.dirty.clear();
      for (const s of sets) applyVoxelSet(world, s, this.dirty);
      this.stats.editSets += sets.length;
      this.stats.tailJoins++;
      this.logBase = j.base;
      this.lastSeq = j.to;
      this.commit(world);
      return;
    }
    if (world !== null && this.config !== null && !sameSize(this.config, config)) return;
    void this.rebuild(this.load, this.epoch, config, sets, j.base, j.to);
  }

  /** Applies a carve event now, or after the join being applied. */
  carve(m: CarveMsg): void {
    const world = this.world;
    if (this.joining || (world === null && this.load !== null)) {
      this.queued.push(m);
      return;
    }
    this.applyCarve(world, m);
  }

  private applyCarve(world: World | null, m: CarveMsg): void {
    if (m.seq <= this.lastSeq) {
      // Already in the join this page just applied.
      this.stats.duplicateCarves++;
      return;
    }
    if (world === null) {
      this.lastSeq = m.seq;
      this.stats.editSets++;
      this.events.carve(m, NOTHING_DIRTY, 0, 0);
      return;
    }
    this.dirty.clear();
    this.tally.clear();
    const changed = this.applySet(world, m.voxels, this.dirty, this.tally);
    this.lastSeq = m.seq;
    this.stats.editSets++;
    this.events.carve(m, this.dirty, changed, this.tally.top());
  }

  /**
   * Applies one set to `world`, adding the chunks it dirtied to `dirty` (when given) and the
   * materials it replaced to `tally` (when given). Returns the voxels changed.
   */
  private applySet(world: World, set: VoxelSet, dirty: DirtyChunks | null, tally: MaterialTally | null = null): number {
    this.edits.clear();
    voxelSetToEdits(world, set, this.edits);
    if (tally !== null) {
      for (let i = 0; i < this.edits.count; i++) {
        unpackVoxel(world, this.edits.positions[i], this.coord);
        tally.add(world.get(this.coord[0], this.coord[1], this.coord[2]));
      }
    }
    // applyEdits clears the set it fills: collect into scratch, then merge.
    const changed = applyEdits(world, this.edits, scratchDirty);
    if (dirty !== null) for (let i = 0; i < scratchDirty.count; i++) dirty.add(scratchDirty.ids[i]);
    return changed;
  }

  private generate(load: WorldLoader, config: WorldGenConfig): Promise<World> {
    const p = this.pending;
    if (p !== null && p.config.seed === config.seed && sameSize(p.config, config)) return p.world;
    const world = load(config);
    // Failures are reported where the promise is awaited; this only keeps them from being "unhandled".
    world.catch(() => {});
    this.pending = { config, world };
    return world;
  }

  private async rebuild(load: WorldLoader, epoch: number, config: WorldGenConfig, sets: readonly VoxelSet[], logBase: number, lastSeq: number): Promise<void> {
    const generating = this.generate(load, config);
    let fresh: World;
    try {
      fresh = await generating;
    } catch (err) {
      this.forget(generating);
      if (epoch !== this.epoch) return;
      // The first world is awaited through `ready`; later failures are events.
      if (this.world === null) this.rejectReady(err);
      else this.events.failed(err);
      return;
    }
    this.forget(generating);
    if (epoch !== this.epoch) return;
    for (const s of sets) applyVoxelSet(fresh, s, null);
    this.dirty.clear();
    let live = this.world;
    if (live === null) {
      // First join: the generated copy becomes the live world.
      live = fresh;
      this.world = fresh;
    } else {
      this.copyChanged(fresh, live);
    }
    this.stats.editSets = sets.length;
    this.stats.rebuilds++;
    this.config = config;
    this.logBase = logBase;
    this.lastSeq = lastSeq;
    this.commit(live);
  }

  /** Drops the early generation once used (a newer one for another seed stays). */
  private forget(world: Promise<World>): void {
    if (this.pending?.world === world) this.pending = null;
  }

  /** Copies every chunk of `src` that differs into `dst`, marking it and its neighbours dirty. */
  private copyChanged(src: World, dst: World): void {
    const c = this.coord;
    for (let id = 0; id < dst.chunkCount; id++) {
      dst.chunkCoordOf(id, c);
      const a = src.chunkData(c[0], c[1], c[2]);
      const b = dst.chunkData(c[0], c[1], c[2]);
      if (sameBytes(a, b)) continue;
      b.set(a);
      dst.touchChunk(c[0], c[1], c[2]);
      this.stats.chunksReplaced++;
      // The chunk's own mesh and its neighbours' padding changed.
      for (let dy = -1; dy <= 1; dy++) {
        for (let dz = -1; dz <= 1; dz++) {
          for (let dx = -1; dx <= 1; dx++) {
            if (dst.hasChunk(c[0] + dx, c[1] + dy, c[2] + dz)) this.dirty.add(dst.chunkId(c[0] + dx, c[1] + dy, c[2] + dz));
          }
        }
      }
    }
  }

  /** Ends the join (`world` null: world-less) and applies the carves that waited for it. */
  private commit(world: World | null): void {
    this.joining = false;
    this.events.resync(this.dirty);
    for (const m of this.queued) this.applyCarve(world, m);
    this.queued.length = 0;
    if (world !== null) this.resolveReady(world);
  }
}

/** Byte equality of two chunk arrays, four bytes at a time when aligned. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== CHUNK_VOLUME || b.length !== CHUNK_VOLUME) return false;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const wa = new Uint32Array(a.buffer, a.byteOffset, CHUNK_VOLUME >> 2);
    const wb = new Uint32Array(b.buffer, b.byteOffset, CHUNK_VOLUME >> 2);
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
    return true;
  }
  for (let i = 0; i < CHUNK_VOLUME; i++) if (a[i] !== b[i]) return false;
  return true;
}
