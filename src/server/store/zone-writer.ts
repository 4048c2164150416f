// The zone's writer: everything the tick hands to the store goes through here, and nothing here
// ever makes the tick wait.
//
// Group commit: edits recorded during a tick are handed over as one batch at the end of the
// tick's carve phase (flush). While a batch is in flight, later edits wait and go together in
// the next one, so a slow store gets fewer, bigger commits instead of a queue. When the store
// is down, the batch goes back in front of the queue and is retried every retryMs; the queue
// (edits in the world but not durable) is bounded: past maxPendingEdits, carving is refused
// (counted by reason) until it falls under half of that. Hits still count meanwhile.
//
// Compaction: every compactEveryEdits durable edits, or every compactEveryMs when there are any,
// the log is folded into snapshot rows (format.ts) and the store swaps them in atomically.
//
// Player records: saved in batches (queuePlayers), one write in flight at a time; a newer
// record for the same key replaces a queued one.
//
// A FencedError (another process owns the zone) stops everything: no more writes, carving
// refused, and the server's onFenced handler stops the process.
import { foldCompaction } from "./format.ts";
import type { FencedError, PlayerRow, WorldIdentity, ZoneStore } from "./types.ts";
import type { WorldLog } from "../game/world-log.ts";
import { keyHex } from "../game/player-records.ts";
import type { EditRow } from "./types.ts";
import { logger, metrics, SPAN_NAMES, tracing } from "../telemetry/facade.ts";
import type { CarveRefuseReason, Fields } from "../telemetry/facade.ts";

const log = logger("store");

/** Tuning of the writer (see the file comment). */
export interface ZoneWriterOptions {
  readonly maxPendingEdits: number;
  readonly maxBatchEdits: number;
  readonly compactEveryEdits: number;
  readonly compactEveryMs: number;
  readonly retryMs: number;
}

/** Hands edits, compactions and player records to the store; see the file comment. */
export class ZoneWriter {
  private readonly pending: EditRow[] = [];
  private inflight = 0;
  private retryAt = 0;
  private compacting = false;
  private lastCompactAt: number;
  private refusing = false;
  private fencedError: FencedError | null = null;
  private readonly players = new Map<string, PlayerRow | Uint8Array>();
  private playersInflight = false;
  private playersRetryAt = 0;
  private readonly fields: Fields;
  private readonly onFencedHandlers: ((err: FencedError) => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  /**
   * Optional full recordings (the loadtest's measurement window), in ms: each commit's time in
   * the engine (what game_store_commit_duration_seconds observes), and each batch's time from
   * being handed over until this thread learnt it was durable (the engine's time plus waiting
   * for the tick thread: its reply is read between ticks).
   */
  commitRecording: number[] | null = null;
  ackRecording: number[] | null = null;

  constructor(
    /** Null: nothing is stored and every edit counts as durable at once (unit tests of systems). */
    readonly store: ZoneStore | null,
    private readonly worldLog: WorldLog,
    private readonly world: WorldIdentity,
    private readonly opts: ZoneWriterOptions,
    zone: string,
    shard: string,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastCompactAt = now();
    this.fields = { zone, shard, backend: store?.backend ?? "memory", edits: 0, first_seq: 0, last_seq: 0 };
    store?.onFenced((err) => this.fence(err));
  }

  /** Edits in the world that are not durable yet. */
  get backlog(): number {
    return this.worldLog.lastSeq - this.worldLog.committedSeq;
  }

  /** True once the zone's ownership was lost. */
  get fenced(): boolean {
    return this.fencedError !== null;
  }

  /** Calls `handler` once if ownership is lost (the server stops). */
  onFenced(handler: (err: FencedError) => void): void {
    if (this.fencedError !== null) handler(this.fencedError);
    else this.onFencedHandlers.push(handler);
  }

  /** Why a carve may not be made now, or null when it may. Counts nothing (the caller does). */
  refuseReason(): CarveRefuseReason | null {
    if (this.fencedError !== null) return "store_fenced";
    const backlog = this.backlog;
    if (this.refusing && backlog <= this.opts.maxPendingEdits / 2) {
      this.refusing = false;
      log.info({ backlog }, "store caught up; carving again");
    } else if (!this.refusing && backlog >= this.opts.maxPendingEdits) {
      this.refusing = true;
      log.warn({ backlog, limit: this.opts.maxPendingEdits }, "store backlog at its bound; carving refused until it drains");
    }
    return this.refusing ? "store_backlog" : null;
  }

  /** Queues an edit just recorded in the world log (durable after a later flush). */
  add(row: EditRow): void {
    if (this.store === null) {
      this.worldLog.committedSeq = row.seq;
      return;
    }
    this.pending.push(row);
  }

  /** Queues player records to save and keys to delete (a later entry for a key wins). */
  queuePlayers(save: readonly PlayerRow[], remove: readonly Uint8Array[]): void {
    if (this.store === null) return;
    for (const p of save) this.players.set(keyHex(p.key), p);
    for (const k of remove) this.players.set(keyHex(k), k);
  }

  /** Once per tick: hands pending edits to the store as one batch, starts a due compaction, writes queued player records. */
  flush(): void {
    metrics.storePendingEdits(this.backlog);
    if (this.store === null || this.fencedError !== null) return;
    const now = this.now();
    if (this.inflight === 0 && this.pending.length > 0 && now >= this.retryAt) this.submit(this.store);
    if (!this.compacting && this.compactionDue(now)) this.compact(this.store, now);
    if (!this.playersInflight && this.players.size > 0 && now >= this.playersRetryAt) this.writePlayers(this.store);
    if (this.idle()) this.wakeIdle();
  }

  private submit(store: ZoneStore): void {
    const rows = this.pending.splice(0, this.opts.maxBatchEdits);
    this.inflight = rows.length;
    const start = performance.now();
    const f = this.fields;
    f.edits = rows.length;
    f.first_seq = rows[0].seq;
    f.last_seq = rows[rows.length - 1].seq;
    const span = tracing.startSpan(SPAN_NAMES.storeCommit, f);
    store.append(rows).then(
      (engineMs) => {
        this.inflight = 0;
        this.worldLog.committedSeq = Math.max(this.worldLog.committedSeq, rows[rows.length - 1].seq);
        metrics.storeCommit(store.backend, engineMs / 1000);
        this.commitRecording?.push(engineMs);
        this.ackRecording?.push(performance.now() - start);
        span.end();
        if (this.pending.length > 0) this.flush();
        else if (this.idle()) this.wakeIdle();
      },
      (err: unknown) => {
        this.inflight = 0;
        span.recordError(err);
        span.end();
        if (isFenced(err)) {
          this.fence(err);
          return;
        }
        this.pending.unshift(...rows);
        this.retryAt = this.now() + this.opts.retryMs;
        log.warnLimited("store.append", { error: describe(err), backlog: this.backlog }, "store write failed; retrying");
      },
    );
  }

  private compactionDue(now: number): boolean {
    const l = this.worldLog;
    const durable = l.committedSeq - l.snapshotSeq;
    return durable > 0 && (durable >= this.opts.compactEveryEdits || now - this.lastCompactAt >= this.opts.compactEveryMs);
  }

  /** Folds the durable log into snapshot rows and has the store swap them in. */
  private compact(store: ZoneStore, now: number): void {
    this.compacting = true;
    this.lastCompactAt = now;
    const l = this.worldLog;
    const upto = l.committedSeq;
    const start = performance.now();
    let c;
    try {
      c = foldCompaction(this.world, (id) => l.chunkRow(id), l.range(l.snapshotSeq + 1, upto), upto);
    } catch (err) {
      this.compacting = false;
      log.error({ error: describe(err) }, "compaction failed: a stored row is unreadable");
      return;
    }
    const foldMs = performance.now() - start;
    store.compact(c).then(
      (r) => {
        this.compacting = false;
        l.compacted(c);
        metrics.storeCompaction((performance.now() - start) / 1000, r.chunksWritten, r.editsDeleted);
        log.info({ upto_seq: upto, chunks: r.chunksWritten, edits_deleted: r.editsDeleted, fold_ms: Math.round(foldMs), ms: Math.round(performance.now() - start) }, "log compacted");
        if (this.idle()) this.wakeIdle();
      },
      (err: unknown) => {
        this.compacting = false;
        if (isFenced(err)) this.fence(err);
        else log.warnLimited("store.compact", { error: describe(err) }, "compaction failed; retrying later");
      },
    );
  }

  private writePlayers(store: ZoneStore): void {
    const save: PlayerRow[] = [];
    const remove: Uint8Array[] = [];
    for (const v of this.players.values()) {
      if (v instanceof Uint8Array) remove.push(v);
      else save.push(v);
    }
    const batch = new Map(this.players);
    this.players.clear();
    this.playersInflight = true;
    store.savePlayers(save, remove).then(
      () => {
        this.playersInflight = false;
        if (this.idle()) this.wakeIdle();
      },
      (err: unknown) => {
        this.playersInflight = false;
        if (isFenced(err)) {
          this.fence(err);
          return;
        }
        // Put the batch back under anything queued since (newer entries win).
        for (const [k, v] of batch) if (!this.players.has(k)) this.players.set(k, v);
        this.playersRetryAt = this.now() + this.opts.retryMs;
        log.warnLimited("store.players", { error: describe(err) }, "saving player records failed; retrying");
      },
    );
  }

  private fence(err: FencedError): void {
    if (this.fencedError !== null) return;
    this.fencedError = err;
    metrics.storeFenced();
    log.error({ error: err.message, lost_edits: this.backlog }, "zone ownership lost: another server owns it now; stopping");
    for (const h of this.onFencedHandlers.splice(0)) h(err);
    this.wakeIdle();
  }

  private idle(): boolean {
    return this.inflight === 0 && this.pending.length === 0 && !this.compacting && !this.playersInflight && this.players.size === 0;
  }

  private wakeIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Shutdown: keeps handing everything queued to the store until all of it is durable (or the
   * zone is fenced), retrying as the tick would. Resolves when done; the caller bounds the wait.
   */
  async drain(): Promise<void> {
    if (this.store === null) return;
    const pump = setInterval(() => this.flush(), Math.max(10, Math.min(100, this.opts.retryMs)));
    try {
      while (!this.idle() && this.fencedError === null) {
        this.flush();
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      }
    } finally {
      clearInterval(pump);
    }
  }

  /** Closes the store (after drain). */
  async close(): Promise<void> {
    await this.store?.close();
  }
}

function isFenced(err: unknown): err is FencedError {
  return err instanceof Error && err.name === "FencedError";
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
