// The store thread: runs the zone's engine (SQLite through better-sqlite3, or the PostgreSQL
// client) away from the tick thread, so no commit, fsync, checkpoint, query encoding or result
// parsing ever runs there, and a long tick never delays a lease renewal. Requests run in
// arrival order (SQLite: each to completion; PostgreSQL: pipelined on the data connection, which
// runs them in order); each reply carries the engine's own time for it. The engine's log lines,
// failed lease renewals and a lost lease are posted as events. See thread.ts for the other side.
import { parentPort } from "node:worker_threads";
import type { EngineTarget, ThreadError, ThreadMessage, ThreadRequest, ThreadResult } from "./thread-protocol.ts";
import type { Compaction, CompactionResult, EditRow, PlayerRow, StoreLog, ZoneImage } from "./types.ts";
import { FencedError, StoreOpenError } from "./types.ts";

/** What the thread needs of an engine; SqliteEngine is synchronous, PostgresStore is not. */
interface Engine {
  readonly image: ZoneImage;
  readonly epoch?: number;
  append(rows: readonly EditRow[]): void | Promise<void>;
  compact(c: Compaction): CompactionResult | Promise<CompactionResult>;
  savePlayers(save: readonly PlayerRow[], remove: readonly Uint8Array[]): void | Promise<void>;
  close(): void | Promise<void>;
}

const port = parentPort;
let engine: Engine | null = null;

function post(m: ThreadMessage): void {
  port?.postMessage(m);
}

const log: StoreLog = {
  info: (fields, msg) => post({ kind: "log", level: "info", fields, msg }),
  warn: (fields, msg) => post({ kind: "log", level: "warn", fields, msg }),
  error: (fields, msg) => post({ kind: "log", level: "error", fields, msg }),
};

/** Opens the engine named by `target` (each engine's module is loaded only when used). */
async function open(target: EngineTarget): Promise<Engine> {
  if (target.backend === "sqlite") {
    const { SqliteEngine } = await import("./sqlite-engine.ts");
    return new SqliteEngine(target.open);
  }
  const { PostgresStore } = await import("./postgres.ts");
  const { url, zone, world, leaseMs, leaseRenewMs, claimTimeoutMs } = target;
  const store = await PostgresStore.openZone(url, zone, world, {
    leaseMs, leaseRenewMs, claimTimeoutMs, log,
    onLeaseRenewalFailure: () => post({ kind: "lease_renewal_failed" }),
  });
  store.onFenced((err) => post({ kind: "fenced", zone: err.zone, epoch: err.epoch, detail: err.detail }));
  return store;
}

interface Timed {
  readonly result: ThreadResult;
  readonly ms: number;
}

/**
 * Runs one engine call and times it: a synchronous one (SQLite) is timed before anything else
 * can run, so a request handled right after it in the same batch never counts in its time.
 */
async function timed(fn: () => ThreadResult | void | Promise<ThreadResult | void>): Promise<Timed> {
  const start = performance.now();
  const r = fn();
  const result = r instanceof Promise ? await r : r;
  return { result: result ?? null, ms: performance.now() - start };
}

async function run(req: ThreadRequest): Promise<Timed> {
  if (req.op === "open") {
    const start = performance.now();
    engine = await open(req.target);
    return { result: { image: engine.image, epoch: engine.epoch ?? 1 }, ms: performance.now() - start };
  }
  const e = engine;
  if (e === null) throw new Error("store not open");
  switch (req.op) {
    case "append":
      return timed(() => e.append(req.rows));
    case "compact":
      return timed(() => e.compact(req.compaction));
    case "savePlayers":
      return timed(() => e.savePlayers(req.save, req.remove));
    case "close":
      engine = null;
      return timed(() => e.close());
  }
}

function describeError(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  if (err instanceof StoreOpenError) return { name: e.name, message: e.message, setting: err.setting };
  if (err instanceof FencedError) return { name: e.name, message: e.message, zone: err.zone, epoch: err.epoch, detail: err.detail };
  return { name: e.name, message: e.message };
}

function handle(req: ThreadRequest): void {
  run(req).then(
    ({ result, ms }) => post({ kind: "reply", id: req.id, ok: true, result, ms }),
    (err: unknown) => post({ kind: "reply", id: req.id, ok: false, error: describeError(err) }),
  );
}

// Requests arrive in batches (thread.ts queues a task's requests and sends them together).
port?.on("message", (batch: readonly ThreadRequest[]) => {
  for (const req of batch) handle(req);
});
