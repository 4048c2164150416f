// A zone's store as the tick thread sees it: a proxy that posts each request to the store thread
// running the engine (store.worker.ts) and resolves when the thread replies. Requests run in the
// order they were made; append resolves with the engine's own time for the commit.
//
// If the thread dies, the requests it held fail. SQLite: they fail with StoreUnavailableError
// and the next request starts a new thread, which reopens the file (the dead thread's lock went
// with it); a batch retried after that is stored once (appends skip seqs already stored).
// PostgreSQL: the lease's connection died with the thread, so another server may claim the zone
// at once: the zone is fenced (FencedError), as when a renewal finds another owner, and the
// server stops; its supervisor restarts it and the restart claims the zone again.
import { Worker } from "node:worker_threads";
import type { EngineTarget, Opened, ThreadError, ThreadMessage, ThreadRequest, ThreadResult } from "./thread-protocol.ts";
import type { Compaction, CompactionResult, EditRow, PlayerRow, StoreBackend, StoreLog, StoreOptions, ZoneImage, ZoneStore } from "./types.ts";
import { FencedError, StoreOpenError, StoreUnavailableError } from "./types.ts";

/** See mesh/pool.ts: compiled (dist-server/) the worker is the .js beside this file; from sources it starts through tsx. */
const COMPILED = import.meta.url.endsWith(".js");

type Request = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

interface Waiter {
  resolve(result: ThreadResult, ms: number): void;
  reject(err: Error): void;
}

const noopLog: StoreLog = { info: () => {}, warn: () => {}, error: () => {} };

/** Rebuilds an error posted by the thread as the class the store contract names. */
function rebuild(e: ThreadError, backend: StoreBackend): Error {
  if (e.name === "StoreOpenError" && e.setting !== undefined) return new StoreOpenError(e.setting, e.message.slice(e.setting.length + 2));
  if (e.name === "FencedError" && e.zone !== undefined && e.epoch !== undefined) return new FencedError(e.zone, e.epoch, e.detail ?? e.message);
  if (e.name === "StoreOpenError" || e.name === "StoreFormatError") return Object.assign(new Error(e.message), { name: e.name });
  if (e.name === "StoreUnavailableError") return new StoreUnavailableError(e.message);
  return new StoreUnavailableError(`${backend}: ${e.message}`);
}

/** A zone owned through an engine on its own thread. */
export class StoreThread implements ZoneStore {
  readonly backend: StoreBackend;
  epoch = 1;
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  /** Requests made since the last send; they cross together once the current task (the tick) is done. */
  private outbox: ThreadRequest[] = [];
  private sendScheduled = false;
  private nextId = 1;
  private closed = false;
  /** True once the zone was opened (and, on PostgreSQL, claimed). */
  private isOpen = false;
  private opening: Promise<unknown> | null = null;
  private fenced: FencedError | null = null;
  private readonly fencedHandlers: ((err: FencedError) => void)[] = [];
  private readonly log: StoreLog;

  private constructor(
    readonly zone: string,
    private readonly target: EngineTarget,
    private readonly options: StoreOptions,
    public image: ZoneImage,
  ) {
    this.backend = target.backend;
    this.log = options.log ?? noopLog;
  }

  /**
   * Starts the store thread and opens the zone on `target`'s engine (claiming it: a SQLite file
   * lock, a PostgreSQL lease). Rejects with StoreOpenError when another process owns the zone,
   * the store holds another world, or the engine cannot be reached.
   */
  static async open(zone: string, target: EngineTarget, options: StoreOptions = {}): Promise<StoreThread> {
    const store = new StoreThread(zone, target, options, { logBase: 0, snapshotSeq: 0, lastSeq: 0, chunks: [], tail: [], players: [] });
    try {
      const opened = (await store.start()).result as Opened;
      store.image = opened.image;
      store.epoch = opened.epoch;
      store.isOpen = true;
    } catch (err) {
      await store.stopWorker();
      throw err;
    }
    return store;
  }

  private start(): Promise<{ result: ThreadResult; ms: number }> {
    const worker = COMPILED
      ? new Worker(new URL("./store.worker.js", import.meta.url))
      : new Worker(new URL("../mesh/worker-bootstrap.mjs", import.meta.url), { workerData: { entry: new URL("./store.worker.ts", import.meta.url).href } });
    this.worker = worker;
    worker.on("message", (m: ThreadMessage) => this.message(m));
    worker.on("error", (err) => this.lost(worker, err));
    worker.on("exit", (code) => this.lost(worker, new Error(`store thread exited with code ${code}`)));
    // Idle, the thread must not keep the process alive on its own (close() ends it); while a
    // request waits for its reply it must, or a process with nothing else to do exits mid-commit.
    worker.unref();
    // Open goes at once (not after the current task like other requests): the caller may keep
    // the tick thread busy meanwhile (generating the world) while the thread loads the zone.
    const opened = this.post({ op: "open", target: this.target });
    this.send();
    return opened;
  }

  private message(m: ThreadMessage): void {
    switch (m.kind) {
      case "reply":
        return this.reply(m);
      case "log":
        return this.log[m.level](m.fields, m.msg);
      case "lease_renewal_failed":
        return this.options.onLeaseRenewalFailure?.();
      case "fenced":
        return this.fence(new FencedError(m.zone, m.epoch, m.detail));
    }
  }

  private reply(r: Extract<ThreadMessage, { kind: "reply" }>): void {
    const w = this.waiting.get(r.id);
    if (w === undefined) return;
    this.waiting.delete(r.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (r.ok) {
      w.resolve(r.result, r.ms);
      return;
    }
    const err = rebuild(r.error, this.backend);
    if (err instanceof FencedError) this.fence(err);
    w.reject(err);
  }

  private fence(err: FencedError): void {
    if (this.fenced !== null) return;
    this.fenced = err;
    for (const h of this.fencedHandlers.splice(0)) h(err);
  }

  /** The thread died: everything it held fails; see the file comment for what comes next. */
  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.opening = null;
    let failure: Error = new StoreUnavailableError(`${this.backend} store thread lost: ${err.message}`);
    if (this.backend === "postgres" && this.isOpen && !this.closed) {
      const f = new FencedError(this.zone, this.epoch, `the store thread holding the lease died (${err.message})`);
      this.fence(f);
      failure = this.fenced ?? f;
    }
    for (const w of this.waiting.values()) w.reject(failure);
    this.waiting.clear();
    this.outbox = [];
  }

  /**
   * Queues a request for the thread. The queue crosses in one message once the current task is
   * done (setImmediate): a tick's commit and player records wake the thread once, after the
   * tick, instead of mid-tick where the woken thread competes with the tick for a core. The
   * commit still completes before the next tick on a healthy engine, so no broadcast waits longer.
   */
  private post(req: Request): Promise<{ result: ThreadResult; ms: number }> {
    if (this.worker === null) return Promise.reject(new StoreUnavailableError(`${this.backend} store thread not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: (result, ms) => resolve({ result, ms }), reject });
      this.outbox.push({ ...req, id } as ThreadRequest);
      if (!this.sendScheduled) {
        this.sendScheduled = true;
        setImmediate(() => this.send());
      }
    });
  }

  private send(): void {
    this.sendScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    const worker = this.worker;
    if (worker === null) {
      // Lost since these were queued (lost() already failed their waiters).
      return;
    }
    // While a request waits for its reply the thread must keep the process alive (see start()).
    worker.ref();
    worker.postMessage(batch);
  }

  /** Posts a request, first restarting a dead SQLite thread (and reopening the file). */
  private async request(req: Request): Promise<{ result: ThreadResult; ms: number }> {
    if (this.fenced !== null) throw this.fenced;
    if (this.closed) throw new StoreUnavailableError("store closed");
    if (this.worker === null && this.backend === "sqlite") this.opening ??= this.start();
    if (this.opening !== null) {
      const opening = this.opening;
      try {
        await opening;
      } finally {
        if (this.opening === opening) this.opening = null;
      }
    }
    return this.post(req);
  }

  /** Resolves with the engine's own time for the commit (ms, measured on the store thread). */
  async append(rows: readonly EditRow[]): Promise<number> {
    return (await this.request({ op: "append", rows })).ms;
  }

  async compact(c: Compaction): Promise<CompactionResult> {
    return (await this.request({ op: "compact", compaction: c })).result as CompactionResult;
  }

  async savePlayers(save: readonly PlayerRow[], remove: readonly Uint8Array[]): Promise<void> {
    await this.request({ op: "savePlayers", save, remove });
  }

  onFenced(handler: (err: FencedError) => void): void {
    if (this.fenced !== null) handler(this.fenced);
    else this.fencedHandlers.push(handler);
  }

  /** Closes the engine (PostgreSQL: lets the lease lapse now), then ends the thread. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.worker !== null) await this.post({ op: "close" });
    } finally {
      await this.stopWorker();
    }
  }

  private async stopWorker(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }
}
