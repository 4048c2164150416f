// The SQLite store as the tick thread sees it: a proxy that posts each request to the worker
// thread holding the zone's connection (sqlite.worker.ts) and resolves when the worker replies.
// Requests run in the order they were made. If the worker dies, the requests it held fail with
// StoreUnavailableError and the next request starts a new worker, which reopens the file (the
// dead worker's lock went with it); a batch retried after that is stored once (appends skip seqs
// already stored).
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import type { SqliteOpen } from "./sqlite-engine.ts";
import type { SqliteReply, SqliteRequest, SqliteResult } from "./sqlite-protocol.ts";
import type { Compaction, CompactionResult, EditRow, FencedError, PlayerRow, StoreOptions, WorldIdentity, ZoneImage, ZoneStore } from "./types.ts";
import { StoreOpenError, StoreUnavailableError } from "./types.ts";

/** See mesh/pool.ts: compiled (dist-server/) the worker is the .js beside this file; from sources it starts through tsx. */
const COMPILED = import.meta.url.endsWith(".js");

type Request = SqliteRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

interface Waiter {
  resolve(result: SqliteResult): void;
  reject(err: Error): void;
}

/** The zone's file name under the STORE directory. */
function sqliteFile(dir: string, zone: string): string {
  return join(dir, `${zone}.sqlite`);
}

/** A zone in a SQLite file, owned while open. */
export class SqliteStore implements ZoneStore {
  readonly backend = "sqlite" as const;
  readonly epoch = 1;
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private closed = false;
  private opening: Promise<unknown> | null = null;

  private constructor(
    readonly zone: string,
    private readonly open: SqliteOpen,
    public image: ZoneImage,
  ) {}

  /** Opens (creating if needed) and locks `<dir>/<zone>.sqlite`. Rejects with StoreOpenError when another process holds it. */
  static async openZone(dir: string, zone: string, world: WorldIdentity, options: StoreOptions = {}): Promise<SqliteStore> {
    const open: SqliteOpen = { file: sqliteFile(dir, zone), zone, world, sync: options.sqliteSync ?? "normal" };
    const store = new SqliteStore(zone, open, { logBase: 0, snapshotSeq: 0, lastSeq: 0, chunks: [], tail: [], players: [] });
    try {
      store.image = (await store.start()) as ZoneImage;
    } catch (err) {
      await store.stopWorker();
      throw err;
    }
    return store;
  }

  private start(): Promise<SqliteResult> {
    const worker = COMPILED
      ? new Worker(new URL("./sqlite.worker.js", import.meta.url))
      : new Worker(new URL("../mesh/worker-bootstrap.mjs", import.meta.url), { workerData: { entry: new URL("./sqlite.worker.ts", import.meta.url).href } });
    this.worker = worker;
    worker.on("message", (r: SqliteReply) => this.reply(r));
    worker.on("error", (err) => this.lost(worker, err));
    worker.on("exit", (code) => this.lost(worker, new Error(`store worker exited with code ${code}`)));
    // Idle, the worker must not keep the process alive on its own (close() ends it); while a
    // request waits for its reply it must, or a process with nothing else to do exits mid-commit.
    worker.unref();
    return this.post({ op: "open", open: this.open });
  }

  private reply(r: SqliteReply): void {
    const w = this.waiting.get(r.id);
    if (w === undefined) return;
    this.waiting.delete(r.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (r.ok) {
      w.resolve(r.result);
      return;
    }
    const e = r.error;
    if (e.name === "StoreOpenError" && e.setting !== undefined) w.reject(new StoreOpenError(e.setting, e.message.slice(e.setting.length + 2)));
    else if (e.name === "StoreOpenError" || e.name === "StoreFormatError") w.reject(Object.assign(new Error(e.message), { name: e.name }));
    else w.reject(new StoreUnavailableError(`sqlite: ${e.message}`));
  }

  /** The worker died: everything it held fails; the next request starts another. */
  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.opening = null;
    for (const w of this.waiting.values()) w.reject(new StoreUnavailableError(`sqlite worker lost: ${err.message}`));
    this.waiting.clear();
  }

  private post(req: Request): Promise<SqliteResult> {
    const worker = this.worker;
    if (worker === null) return Promise.reject(new StoreUnavailableError("sqlite worker not running"));
    const id = this.nextId++;
    return new Promise<SqliteResult>((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ ...req, id } as SqliteRequest);
    });
  }

  /** Posts a request, first restarting the worker (and reopening the file) if it died. */
  private async request(req: Request): Promise<SqliteResult> {
    if (this.closed) throw new StoreUnavailableError("store closed");
    if (this.worker === null) this.opening ??= this.start();
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

  async append(rows: readonly EditRow[]): Promise<void> {
    await this.request({ op: "append", rows });
  }

  async compact(c: Compaction): Promise<CompactionResult> {
    return (await this.request({ op: "compact", compaction: c })) as CompactionResult;
  }

  async savePlayers(save: readonly PlayerRow[], remove: readonly Uint8Array[]): Promise<void> {
    await this.request({ op: "savePlayers", save, remove });
  }

  /** Never called: the file lock, not a lease, keeps other writers out. */
  onFenced(handler: (err: FencedError) => void): void {
    void handler;
  }

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
