import * as Comlink from "comlink";
import { MeshMode } from "../../shared/mesh/quad.ts";
import type { MeshModeId } from "../../shared/mesh/quad.ts";
import { PADDED_VOLUME } from "../../shared/voxel/constants.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { MeshJobQueue } from "./job-queue.ts";
import type { MeshJobResult, MesherApi } from "./mesher-protocol.ts";

/** Receives every accepted (non-stale) mesh: `quads` holds its words (quads, then spilled rings) and is owned by the receiver from then on. */
export type MeshSink = (chunkId: number, quads: Uint32Array, quadCount: number, faceCounts: Uint32Array) => void;

/** Live pool figures (mutated in place; the stats overlay and telemetry read them). */
export interface MeshPoolStats {
  workers: number;
  /** Jobs waiting for a worker. */
  queueLength: number;
  /** Jobs sent to a worker and not answered yet. */
  inFlight: number;
  jobsDone: number;
  /** Results dropped because a newer version had been requested meanwhile. */
  staleDropped: number;
  failed: number;
  lastMeshMs: number;
  /** Ring buffer of recent mesh times in ms (measured inside the workers). */
  readonly recentMeshMs: Float64Array;
  /** Samples ever written to recentMeshMs; the next one goes to index count % length. */
  recentMeshMsCount: number;
}

/** Workers to start: one core stays with the main thread; at most 4, at least 1. */
export function defaultPoolSize(hardwareConcurrency: number | undefined): number {
  const hw = hardwareConcurrency && hardwareConcurrency > 0 ? hardwareConcurrency : 2;
  return Math.max(1, Math.min(hw - 1, 4));
}

/** Jobs kept in flight per worker, so a worker never idles while the main thread handles a result. */
const IN_FLIGHT_PER_WORKER = 2;
const EMPTY_QUADS = new Uint32Array(0);
const EMPTY_FACES = new Uint32Array(6);

interface PoolWorker {
  readonly worker: Worker;
  readonly api: Comlink.Remote<MesherApi>;
  inFlight: number;
}

/**
 * Greedy meshing in a pool of module workers over comlink. The queue decides order and
 * staleness; the pool fills padded buffers from the world at dispatch time (so a job always
 * sees the latest voxels), transfers them to a worker, and recycles them when they come back.
 */
export class MesherPool {
  readonly stats: MeshPoolStats;
  private readonly workers: PoolWorker[] = [];
  /** Padded 34^3 buffers returned by workers, ready for the next job. */
  private readonly spare: Uint8Array[] = [];
  private readonly coord: [number, number, number] = [0, 0, 0];
  private disposed = false;

  constructor(
    private readonly world: World,
    private readonly queue: MeshJobQueue,
    private readonly sink: MeshSink,
    size = defaultPoolSize(navigator.hardwareConcurrency),
    /** What the meshes merge by and carry (the renderer's AO mode decides). */
    private readonly mode: MeshModeId = MeshMode.ShaderAo,
  ) {
    for (let i = 0; i < size; i++) {
      // The literal `new URL(..., import.meta.url)` inside `new Worker` is what Vite detects
      // to bundle the worker as its own module chunk.
      const worker = new Worker(new URL("./mesher.worker.ts", import.meta.url), { type: "module", name: `mesher-${i}` });
      this.workers.push({ worker, api: Comlink.wrap<MesherApi>(worker), inFlight: 0 });
    }
    this.stats = {
      workers: size,
      queueLength: 0,
      inFlight: 0,
      jobsDone: 0,
      staleDropped: 0,
      failed: 0,
      lastMeshMs: 0,
      recentMeshMs: new Float64Array(256),
      recentMeshMsCount: 0,
    };
  }

  /** Sends pending jobs, nearest first, to workers with free slots. Call once per frame and after results. */
  pump(): void {
    if (this.disposed) return;
    for (;;) {
      const w = this.leastBusy();
      if (w.inFlight >= IN_FLIGHT_PER_WORKER) break;
      const chunkId = this.queue.take();
      if (chunkId < 0) break;
      const version = this.queue.versionOf(chunkId);
      const c = this.world.chunkCoordOf(chunkId, this.coord);
      const cx = c[0];
      const cy = c[1];
      const cz = c[2];
      // All-air chunks (most of the sky) never have faces: answer without a worker round trip.
      if (isAllAir(this.world.chunkData(cx, cy, cz))) {
        if (this.queue.accept(chunkId, version)) this.sink(chunkId, EMPTY_QUADS, 0, EMPTY_FACES);
        continue;
      }
      const padded = this.spare.pop() ?? new Uint8Array(PADDED_VOLUME);
      this.world.fillPadded(cx, cy, cz, padded);
      w.inFlight++;
      this.stats.inFlight++;
      w.api
        .mesh(Comlink.transfer({ chunkId, version, padded, mode: this.mode }, [padded.buffer]))
        .then((r) => this.onResult(w, r), (err: unknown) => this.onFailure(w, chunkId, err));
    }
    this.stats.queueLength = this.queue.length;
  }

  /** Terminates the workers; results still in flight are ignored. */
  dispose(): void {
    this.disposed = true;
    for (const w of this.workers) {
      w.api[Comlink.releaseProxy]();
      w.worker.terminate();
    }
  }

  private onResult(w: PoolWorker, r: MeshJobResult): void {
    w.inFlight--;
    const s = this.stats;
    s.inFlight--;
    if (this.disposed) return;
    this.spare.push(r.padded);
    s.jobsDone++;
    s.lastMeshMs = r.meshMs;
    s.recentMeshMs[s.recentMeshMsCount % s.recentMeshMs.length] = r.meshMs;
    s.recentMeshMsCount++;
    if (this.queue.accept(r.chunkId, r.version)) this.sink(r.chunkId, r.quads, r.quadCount, r.faceCounts);
    else s.staleDropped++;
    this.pump();
  }

  private onFailure(w: PoolWorker, chunkId: number, err: unknown): void {
    w.inFlight--;
    this.stats.inFlight--;
    this.stats.failed++;
    if (this.disposed) return;
    // The padded buffer was transferred and is lost with the failed call; a new one is made on demand.
    console.error(`mesh job for chunk ${chunkId} failed`, err);
    this.pump();
  }

  private leastBusy(): PoolWorker {
    let best = this.workers[0];
    for (const w of this.workers) if (w.inFlight < best.inFlight) best = w;
    return best;
  }
}

/** True when every voxel of the chunk is air (0). */
function isAllAir(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
