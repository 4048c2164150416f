// A small pool of mesh worker threads. The mesh system hands it padded chunk copies; workers
// mesh and summarise them off the main thread and post results back, which wait here until
// the next tick drains them. Buffers are pooled and transferred both ways (no copies, no
// per-job allocation after warm-up). A crashed worker is replaced and its jobs are handed
// back for requeueing; with 0 workers, or after repeated crashes, jobs run inline. A worker
// that holds a job past the job deadline (hung in a loop, or stuck) counts as crashed too.
import { Worker } from "node:worker_threads";
import { PADDED_VOLUME } from "../../shared/voxel/constants.ts";
import type { SpanHandle } from "../telemetry/facade.ts";
import { logger } from "../telemetry/facade.ts";
import { CHUNK_COLUMNS, summarisePadded } from "../game/collider.ts";
import type { MeshedChunk } from "../game/state.ts";
import { createServerMesher } from "./wasm-mesher.ts";
import type { ServerMesher } from "./wasm-mesher.ts";
import type { WorkerJob, WorkerResult } from "./protocol.ts";

const log = logger("mesh");

/** What the mesh system needs from a mesher (the pool, or a test double). */
export interface MeshPort {
  /** Jobs that can be submitted right now. */
  capacity(): number;
  /** A padded buffer to fill with World.fillPadded (returned to the pool with the result). */
  acquire(): MeshBuffers;
  /** Starts meshing; the result shows up in a later drain(). */
  submit(meta: MeshJobMeta, buffers: MeshBuffers): void;
  /** Moves finished results into `out`, and chunk ids of failed jobs into `failed`. */
  drain(out: MeshedChunk[], failed: number[]): void;
  /** Gives a drained result's buffers back. */
  release(result: MeshedChunk): void;
  /** Jobs submitted and not yet drained. */
  inFlight(): number;
  close(): Promise<void>;
}

/** Reusable buffers of one job. */
export interface MeshBuffers {
  padded: Uint8Array;
  tops: Int8Array;
}

/** Bookkeeping of one job. */
export interface MeshJobMeta {
  chunkId: number;
  version: number;
  impactId: number;
  did: number;
  span: SpanHandle;
}

interface Pending {
  meta: MeshJobMeta;
  worker: WorkerSlot | null;
  /** performance.now() at submit. */
  startedAt: number;
}

/** MeshPool options beyond its size. */
export interface MeshPoolOptions {
  /** A job unanswered this long (ms) means its worker hung: it is replaced, the job requeued (default 10 s). */
  readonly jobDeadlineMs?: number;
  /** The worker module (default ./mesh.worker.ts; tests pass a misbehaving one). */
  readonly entry?: URL;
}

interface WorkerSlot {
  worker: Worker;
  inflight: number;
  dead: boolean;
}

/**
 * Jobs in flight per worker, which also caps dispatches per tick (each costs the main thread a
 * ~0.1 ms fillPadded plus a transfer): 3 per tick = 90 chunks/s per worker, above the ~70/s
 * that 200 shooting bots dirty, while the coalescing queue absorbs bursts.
 */
const PER_WORKER = 3;
/** Inline jobs per tick when no worker runs (keeps main-thread meshing bounded). */
const INLINE_PER_TICK = 2;
/** Worker crashes tolerated before the pool falls back to inline meshing. */
const MAX_RESPAWNS = 3;
/** Meshing one chunk takes a few ms; ten seconds without an answer is a hung worker. */
const JOB_DEADLINE_MS = 10_000;

/**
 * True when this file runs as compiled JavaScript (dist-server/, `npm start`): the worker is
 * the compiled mesh.worker.js beside it. From the TypeScript sources (tests, `npm run serve`)
 * the worker starts through worker-bootstrap.mjs, which registers tsx in the worker thread.
 */
const COMPILED = import.meta.url.endsWith(".js");

/** Worker-thread mesher pool; see file comment. */
export class MeshPool implements MeshPort {
  private readonly workers: WorkerSlot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly results: MeshedChunk[] = [];
  private readonly failedIds: number[] = [];
  private readonly free: MeshBuffers[] = [];
  private nextJob = 1;
  private respawns = 0;
  private inlineBudget = INLINE_PER_TICK;
  private closed = false;
  /** The mesher of inline jobs, loaded on the first one (with workers running, never). */
  private inlineMesher: ServerMesher | null = null;
  /** True once a fallback to the TypeScript mesher has been logged (once per pool). */
  private wasmErrorLogged = false;
  /** Called when a worker dies (the server counts it as a mesh_worker error). */
  onWorkerError: (err: unknown) => void = () => {};

  private readonly jobDeadlineMs: number;
  private readonly entry: URL | null;

  constructor(
    readonly size: number,
    opts: MeshPoolOptions = {},
  ) {
    this.jobDeadlineMs = opts.jobDeadlineMs ?? JOB_DEADLINE_MS;
    this.entry = opts.entry ?? null;
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    // A test's worker module (opts.entry) always starts from its TypeScript source.
    const worker = COMPILED && this.entry === null
      ? new Worker(new URL("./mesh.worker.js", import.meta.url))
      : new Worker(new URL("./worker-bootstrap.mjs", import.meta.url), { workerData: { entry: (this.entry ?? new URL("./mesh.worker.ts", import.meta.url)).href } });
    const slot: WorkerSlot = { worker, inflight: 0, dead: false };
    worker.on("message", (r: WorkerResult) => this.complete(slot, r));
    worker.on("error", (err) => this.fail(slot, err));
    worker.on("messageerror", (err) => this.fail(slot, err));
    worker.on("exit", (code) => {
      if (!this.closed && !slot.dead) this.fail(slot, new Error(`mesh worker exited with code ${code}`));
    });
    worker.unref();
    this.workers.push(slot);
  }

  private complete(slot: WorkerSlot, r: WorkerResult): void {
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    slot.inflight--;
    this.noteWasmError(r.wasmError);
    p.meta.span.setAttributes({ quads: r.quads, mesh_ms: r.meshMs });
    p.meta.span.end(r.endEpochMs);
    this.results.push(this.toResult(p.meta, r.quads, r.meshMs, r.solid, r.padded, r.tops));
  }

  /** Logs, once, that a thread meshes with the TypeScript mesher because the wasm one did not load. */
  private noteWasmError(error: string | null): void {
    if (error === null || this.wasmErrorLogged) return;
    this.wasmErrorLogged = true;
    log.error({ error }, "the WebAssembly mesher did not load; meshing with the TypeScript mesher");
  }

  private fail(slot: WorkerSlot, err: unknown): void {
    if (slot.dead) return;
    slot.dead = true;
    this.onWorkerError(err);
    log.error({ error: String(err) }, "mesh worker failed; its jobs are requeued");
    for (const [id, p] of this.pending) {
      if (p.worker !== slot) continue;
      this.pending.delete(id);
      p.meta.span.recordError(err);
      p.meta.span.end();
      this.failedIds.push(p.meta.chunkId);
    }
    const i = this.workers.indexOf(slot);
    if (i >= 0) this.workers.splice(i, 1);
    void slot.worker.terminate();
    if (!this.closed && this.respawns < MAX_RESPAWNS) {
      this.respawns++;
      this.spawn();
    }
  }

  private toResult(meta: MeshJobMeta, quads: number, meshMs: number, solid: number, padded: Uint8Array, tops: Int8Array): MeshedChunk {
    return {
      chunkId: meta.chunkId, version: meta.version, quads, meshMs, solid, tops, padded,
      parent: meta.span.context(), impactId: meta.impactId, did: meta.did,
    };
  }

  capacity(): number {
    if (this.workers.length === 0) return this.inlineBudget;
    let n = 0;
    for (const w of this.workers) n += Math.max(0, PER_WORKER - w.inflight);
    return n;
  }

  acquire(): MeshBuffers {
    return this.free.pop() ?? { padded: new Uint8Array(PADDED_VOLUME), tops: new Int8Array(CHUNK_COLUMNS) };
  }

  submit(meta: MeshJobMeta, buffers: MeshBuffers): void {
    let best: WorkerSlot | null = null;
    for (const w of this.workers) if (w.inflight < PER_WORKER && (best === null || w.inflight < best.inflight)) best = w;
    if (best === null) {
      this.inlineBudget--;
      this.runInline(meta, buffers);
      return;
    }
    const id = this.nextJob++;
    this.pending.set(id, { meta, worker: best, startedAt: performance.now() });
    best.inflight++;
    const job: WorkerJob = { id, padded: buffers.padded, tops: buffers.tops };
    best.worker.postMessage(job, [buffers.padded.buffer as ArrayBuffer, buffers.tops.buffer as ArrayBuffer]);
  }

  private runInline(meta: MeshJobMeta, b: MeshBuffers): void {
    const start = performance.now();
    if (this.inlineMesher === null) {
      this.inlineMesher = createServerMesher();
      this.noteWasmError(this.inlineMesher.loadError);
    }
    const mesh = this.inlineMesher.mesh(b.padded);
    const meshMs = performance.now() - start;
    const solid = summarisePadded(b.padded, b.tops);
    meta.span.setAttributes({ quads: mesh.quadCount, mesh_ms: meshMs, inline: true });
    meta.span.end();
    this.results.push(this.toResult(meta, mesh.quadCount, meshMs, solid, b.padded, b.tops));
  }

  drain(out: MeshedChunk[], failed: number[]): void {
    this.inlineBudget = INLINE_PER_TICK;
    this.failHung(performance.now());
    for (const r of this.results) out.push(r);
    this.results.length = 0;
    for (const id of this.failedIds) failed.push(id);
    this.failedIds.length = 0;
  }

  /** Fails (replaces) every worker holding a job older than the deadline; allocation-free when none does. */
  private failHung(now: number): void {
    for (const p of this.pending.values()) {
      const w = p.worker;
      if (w !== null && !w.dead && now - p.startedAt > this.jobDeadlineMs) {
        this.fail(w, new Error(`mesh worker did not answer within ${this.jobDeadlineMs} ms`));
      }
    }
  }

  release(result: MeshedChunk): void {
    this.free.push({ padded: result.padded, tops: result.tops });
  }

  inFlight(): number {
    return this.pending.size + this.results.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) p.meta.span.end();
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}
