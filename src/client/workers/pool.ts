import * as Comlink from "comlink";
import { MeshMode } from "../../shared/mesh/quad.ts";
import type { MeshModeId } from "../../shared/mesh/quad.ts";
import { PADDED_VOLUME } from "../../shared/voxel/constants.ts";
import type { World } from "../../shared/voxel/world.ts";
import type { MeshJobQueue } from "./job-queue.ts";
import type { MeshJobResult, MesherApi } from "./mesher-protocol.ts";
import { countFailure, createWorkerFailures, onWorkerBroken, replacementDelay } from "./supervise.ts";
import type { SupervisedWorker, WorkerFailureKind, WorkerFailures } from "./supervise.ts";

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
  /** Of those, the jobs the WebAssembly mesher made (the rest: the TypeScript mesher, `?ao=vertex` or a failed load). */
  wasmJobs: number;
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
/** A chunk meshes in a few ms; a job unanswered this long (worker start-up included) means a hung or lost worker. */
const JOB_DEADLINE_MS = 8000;
const EMPTY_QUADS = new Uint32Array(0);
const EMPTY_FACES = new Uint32Array(6);

/** Starts mesher worker `index` (the page's module worker; tests pass fakes). */
export type MesherSpawn = (index: number) => SupervisedWorker;

/** MesherPool knobs, all optional. */
export interface MesherPoolOptions {
  /** Workers to run (default: defaultPoolSize of the hardware). */
  size?: number;
  spawn?: MesherSpawn;
  /** Job deadline, ms (default 8 s). */
  jobDeadlineMs?: number;
  /** Counters shared with the world loader (default: the pool's own). */
  failures?: WorkerFailures;
  /** Told about each failed worker (the page reports it to crash telemetry, with consent). */
  onWorkerFailure?: (kind: WorkerFailureKind, detail: string) => void;
  /** Jitter source of the replacement backoff (default Math.random). */
  random?: () => number;
  /** What the meshes merge by and carry (the renderer's AO mode decides; default MeshMode.ShaderAo). */
  mode?: MeshModeId;
}

/** One job sent to a worker and not answered yet. */
interface InFlightJob {
  chunkId: number;
  version: number;
  /** performance.now() at dispatch. */
  sentAt: number;
}

/** One worker slot; the worker in it is replaced when it fails. */
interface PoolWorker {
  readonly index: number;
  /** Null while a replacement waits for its backoff. */
  worker: SupervisedWorker | null;
  api: Comlink.Remote<MesherApi> | null;
  unsubscribe: () => void;
  readonly jobs: InFlightJob[];
  /** Bumped when the worker is replaced: answers from the old one are ignored. */
  generation: number;
  /** Failures since this slot's last good answer (drives the backoff). */
  consecutiveFailures: number;
  respawn: ReturnType<typeof setTimeout> | null;
}

/** The page's mesher module worker. */
function spawnMesher(index: number): SupervisedWorker {
  // The literal `new URL(..., import.meta.url)` inside `new Worker` is what Vite detects to
  // bundle the worker as its own module chunk.
  return new Worker(new URL("./mesher.worker.ts", import.meta.url), { type: "module", name: `mesher-${index}` });
}

/**
 * Greedy meshing in a pool of module workers over comlink. The queue decides order and
 * staleness; the pool fills padded buffers from the world at dispatch time (so a job always
 * sees the latest voxels), transfers them to a worker, and recycles them when they come back.
 * A worker that fails (see supervise.ts) is replaced and the still-wanted chunks it held are
 * requested again; a watchdog finds workers that hold a job past the deadline.
 */
export class MesherPool {
  readonly stats: MeshPoolStats;
  /** Worker failures (shared with the world loader when the page passes one counter set). */
  readonly failures: WorkerFailures;
  private readonly workers: PoolWorker[] = [];
  /** Padded 34^3 buffers returned by workers, ready for the next job. */
  private readonly spare: Uint8Array[] = [];
  private readonly coord: [number, number, number] = [0, 0, 0];
  private disposed = false;
  private readonly spawn: MesherSpawn;
  private readonly jobDeadlineMs: number;
  /** What the meshes merge by and carry. */
  private readonly mode: MeshModeId;
  private readonly random: () => number;
  private readonly watchdog: ReturnType<typeof setInterval>;

  constructor(
    private readonly world: World,
    private readonly queue: MeshJobQueue,
    private readonly sink: MeshSink,
    private readonly options: MesherPoolOptions = {},
  ) {
    const size = options.size ?? defaultPoolSize(navigator.hardwareConcurrency);
    this.spawn = options.spawn ?? spawnMesher;
    this.jobDeadlineMs = options.jobDeadlineMs ?? JOB_DEADLINE_MS;
    this.mode = options.mode ?? MeshMode.ShaderAo;
    this.random = options.random ?? Math.random;
    this.failures = options.failures ?? createWorkerFailures();
    for (let i = 0; i < size; i++) {
      const w: PoolWorker = {
        index: i, worker: null, api: null, unsubscribe: () => {}, jobs: [], generation: 0, consecutiveFailures: 0, respawn: null,
      };
      this.workers.push(w);
      this.start(w);
    }
    this.watchdog = setInterval(this.checkDeadlines, Math.min(1000, this.jobDeadlineMs / 4));
    this.stats = {
      workers: size,
      queueLength: 0,
      inFlight: 0,
      jobsDone: 0,
      wasmJobs: 0,
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
      if (w === null || w.api === null || w.jobs.length >= IN_FLIGHT_PER_WORKER) break;
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
      const job: InFlightJob = { chunkId, version, sentAt: performance.now() };
      w.jobs.push(job);
      this.stats.inFlight++;
      const generation = w.generation;
      w.api
        .mesh(Comlink.transfer({ chunkId, version, padded, mode: this.mode }, [padded.buffer]))
        .then((r) => this.onResult(w, generation, job, r), (err: unknown) => this.onFailure(w, generation, job, err));
    }
    this.stats.queueLength = this.queue.length;
  }

  /**
   * Terminates worker `index` behind the pool's back, as the browser may (out of memory, a
   * crash): nothing tells the pool, so only the job deadline can find it. For end-to-end tests.
   */
  terminateWorkerForTest(index: number): boolean {
    const worker = this.workers[index]?.worker;
    worker?.terminate();
    return worker !== undefined && worker !== null;
  }

  /** Terminates the workers; results still in flight are ignored. */
  dispose(): void {
    this.disposed = true;
    clearInterval(this.watchdog);
    for (const w of this.workers) {
      if (w.respawn !== null) clearTimeout(w.respawn);
      this.stop(w);
    }
  }

  /** Starts a (new) worker in slot `w`. */
  private start(w: PoolWorker): void {
    w.respawn = null;
    if (this.disposed) return;
    const worker = this.spawn(w.index);
    const generation = w.generation;
    w.worker = worker;
    w.api = Comlink.wrap<MesherApi>(worker);
    w.unsubscribe = onWorkerBroken(worker, (detail) => this.fail(w, generation, "crash", detail));
  }

  /** Terminates the worker in slot `w` (if any) and forgets it. */
  private stop(w: PoolWorker): void {
    w.unsubscribe();
    w.api?.[Comlink.releaseProxy]();
    w.worker?.terminate();
    w.worker = null;
    w.api = null;
  }

  /**
   * A worker failed: count it, terminate it, put the chunks it held back in the queue (unless
   * they were cancelled or requested again meanwhile), and start a replacement, at once or
   * after the backoff.
   */
  private fail(w: PoolWorker, generation: number, kind: WorkerFailureKind, detail: string): void {
    if (this.disposed || generation !== w.generation || w.worker === null) return;
    w.generation++;
    this.stop(w);
    countFailure(this.failures, kind);
    for (const job of w.jobs) {
      this.stats.inFlight--;
      this.stats.failed++;
      if (this.queue.versionOf(job.chunkId) === job.version) this.queue.request(job.chunkId);
    }
    const lost = w.jobs.length;
    w.jobs.length = 0;
    w.consecutiveFailures++;
    console.error(`mesher worker ${w.index} ${kind === "crash" ? "crashed" : "hung"} (${detail}); ${lost} job(s) requeued`);
    this.options.onWorkerFailure?.(kind, detail);
    const delay = replacementDelay(w.consecutiveFailures, this.random);
    this.failures.restarts++;
    if (delay === 0) this.start(w);
    else {
      w.respawn = setTimeout(() => {
        this.start(w);
        this.pump();
      }, delay);
    }
    this.pump();
  }

  /** Fails every worker that holds a job older than the deadline (the watchdog). */
  private readonly checkDeadlines = (): void => {
    const now = performance.now();
    for (const w of this.workers) {
      for (const job of w.jobs) {
        if (now - job.sentAt > this.jobDeadlineMs) {
          this.fail(w, w.generation, "hang", `no answer to a job in ${this.jobDeadlineMs} ms`);
          break;
        }
      }
    }
  };

  /** Removes `job` from `w`'s list; false when it is not there (its worker was replaced). */
  private settle(w: PoolWorker, generation: number, job: InFlightJob): boolean {
    if (generation !== w.generation) return false;
    const i = w.jobs.indexOf(job);
    if (i < 0) return false;
    w.jobs.splice(i, 1);
    this.stats.inFlight--;
    return true;
  }

  private onResult(w: PoolWorker, generation: number, job: InFlightJob, r: MeshJobResult): void {
    if (!this.settle(w, generation, job)) return;
    w.consecutiveFailures = 0;
    const s = this.stats;
    if (this.disposed) return;
    this.spare.push(r.padded);
    s.jobsDone++;
    if (r.wasm) s.wasmJobs++;
    s.lastMeshMs = r.meshMs;
    s.recentMeshMs[s.recentMeshMsCount % s.recentMeshMs.length] = r.meshMs;
    s.recentMeshMsCount++;
    if (this.queue.accept(r.chunkId, r.version)) this.sink(r.chunkId, r.quads, r.quadCount, r.faceCounts);
    else s.staleDropped++;
    this.pump();
  }

  /** The mesher threw for this job (the worker itself is fine): the job is lost and counted. */
  private onFailure(w: PoolWorker, generation: number, job: InFlightJob, err: unknown): void {
    if (!this.settle(w, generation, job)) return;
    this.stats.failed++;
    if (this.disposed) return;
    // The padded buffer was transferred and is lost with the failed call; a new one is made on demand.
    console.error(`mesh job for chunk ${job.chunkId} failed`, err);
    this.pump();
  }

  /** The running worker with the fewest jobs in flight, or null when none is running. */
  private leastBusy(): PoolWorker | null {
    let best: PoolWorker | null = null;
    for (const w of this.workers) if (w.api !== null && (best === null || w.jobs.length < best.jobs.length)) best = w;
    return best;
  }
}

/** True when every voxel of the chunk is air (0). */
function isAllAir(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
