// The SQLite store's worker thread: owns the zone's only connection and runs each request to
// completion, in arrival order, replying with the result or the error. See sqlite-engine.ts.
import { parentPort } from "node:worker_threads";
import { SqliteEngine } from "./sqlite-engine.ts";
import type { SqliteReply, SqliteRequest, SqliteResult } from "./sqlite-protocol.ts";
import { StoreOpenError } from "./types.ts";

const port = parentPort;
let engine: SqliteEngine | null = null;

function run(req: SqliteRequest): SqliteResult {
  if (req.op === "open") {
    engine = new SqliteEngine(req.open);
    return engine.image;
  }
  if (engine === null) throw new Error("store not open");
  switch (req.op) {
    case "append":
      engine.append(req.rows);
      return null;
    case "compact":
      return engine.compact(req.compaction);
    case "savePlayers":
      engine.savePlayers(req.save, req.remove);
      return null;
    case "close":
      engine.close();
      engine = null;
      return null;
  }
}

port?.on("message", (req: SqliteRequest) => {
  const start = performance.now();
  let reply: SqliteReply;
  try {
    const result = run(req);
    reply = { id: req.id, ok: true, result, ms: performance.now() - start };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = { id: req.id, ok: false, error: { name: e.name, message: e.message, setting: err instanceof StoreOpenError ? err.setting : undefined } };
  }
  port.postMessage(reply);
});
