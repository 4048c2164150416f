// WebSocket transport on the game's HTTP server at /ws (the `ws` package). Frames above
// MAX_FRAME_BYTES are refused by ws itself (close 1009) and reported as oversized; text frames
// and broken framing are reported too. Compression is off: frames are small binary already,
// and deflate would cost CPU on every delta.
//
// Every socket handed to the upgrade listener gets an error handler first (Node removes its
// own at the upgrade): a peer that resets during a 404, a 503 or the handshake is counted at
// the "upgrade" stage, and one that resets an open WebSocket at the "ws" stage. A heartbeat
// pings every open socket; one whose pong does not come back in time (it stopped reading, or
// vanished without a FIN) is reported as unresponsive so the session layer can close it.
//
// Sends are queued and written to the sockets in one flush right after the current task (the
// tick), like an engine's network thread: the simulation hands frames over and never waits on
// 200 socket syscalls. Order per connection is kept (one FIFO for everything, and close()
// flushes first). The flush's own cost is measured in `flushStats`.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { MAX_FRAME_BYTES } from "../../shared/protocol/messages.ts";
import { logger } from "../telemetry/facade.ts";
import type { NetStage } from "../telemetry/facade.ts";
import { socketErrorCode } from "./faults.ts";
import type { NetFaultRecorder } from "./faults.ts";
import { answerRaw } from "./listener-guard.ts";
import type { ConnId, Transport, TransportHandlers } from "./transport.ts";

const log = logger("net");

/** Path of the game socket. */
export const WS_PATH = "/ws";

/** Options of the WebSocket transport; every field has a safe default. */
export interface WsTransportOptions {
  /** False for a socket refused over a connection cap: its upgrade is answered 503. */
  readonly admit?: (socket: Duplex) => boolean;
  /** Counts socket errors at the "upgrade" and "ws" stages. */
  readonly fault?: NetFaultRecorder;
  /** Ping period, and how long a pong may take before the peer is reported unresponsive (ms). */
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
}

/** One open WebSocket and its heartbeat state. */
interface Conn {
  readonly ws: WebSocket;
  /** performance.now() of the last pong (or of the open). */
  pongAt: number;
  /** Reported unresponsive already (reported once; the session layer closes it). */
  stale: boolean;
}

/** WebSocket implementation of Transport bound to an http.Server's upgrade event. */
export class WsTransport implements Transport {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly conns = new Map<ConnId, Conn>();
  private nextId = 1;
  private handlers: TransportHandlers | null = null;
  private accepting = true;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.upgrade(req, socket, head);
  private readonly queueWs: WebSocket[] = [];
  private readonly queueData: Uint8Array[] = [];
  private readonly queued = new Map<WebSocket, number>();
  private flushScheduled = false;
  private readonly fault: NetFaultRecorder;
  /** Socket writes: flushes, frames and total ms spent writing (reported by the loadtest). */
  readonly flushStats = { flushes: 0, frames: 0, ms: 0, recording: null as number[] | null };

  constructor(
    private readonly server: Server,
    private readonly opts: WsTransportOptions = {},
  ) {
    this.fault = opts.fault ?? (() => {});
    // A handshake ws refuses (bad key, version or method) is counted and answered 400 here.
    this.wss.on("wsClientError", (_err: Error, socket: Duplex) => {
      this.fault("upgrade", "parse");
      answerRaw(socket, 400);
    });
  }

  listen(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.server.on("upgrade", this.onUpgrade);
    const interval = this.opts.heartbeatIntervalMs ?? 0;
    if (interval > 0) {
      this.heartbeat = setInterval(this.beat, interval);
      this.heartbeat.unref();
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // First of all an error path: Node took its own handler off this socket for the upgrade.
    let stage: NetStage = "upgrade";
    socket.on("error", (err) => this.fault(stage, socketErrorCode(err)));
    let path: string;
    try {
      path = new URL(req.url ?? "/", "http://local").pathname;
    } catch {
      path = "";
    }
    if (this.opts.admit?.(socket) === false || !this.accepting) {
      answerRaw(socket, 503);
      return;
    }
    if (path !== WS_PATH) {
      answerRaw(socket, 404);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      stage = "ws";
      this.attach(ws);
    });
  }

  private attach(ws: WebSocket): void {
    const h = this.handlers;
    if (h === null) {
      ws.close(1011, "not ready");
      return;
    }
    const conn = this.nextId++;
    const entry: Conn = { ws, pongAt: performance.now(), stale: false };
    this.conns.set(conn, entry);
    ws.binaryType = "nodebuffer";
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        h.rejected(conn, "malformed_frame", "text frame", false);
        return;
      }
      h.message(conn, data);
    });
    ws.on("pong", () => {
      entry.pongAt = performance.now();
    });
    ws.on("error", (err: Error & { code?: string }) => {
      // ws has already started closing the socket (1009 for size, 1002 for framing).
      this.fault("ws", socketErrorCode(err));
      const cls = err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? "oversized_frame" : "malformed_frame";
      h.rejected(conn, cls, err.code ?? "socket error", true);
    });
    ws.on("close", (code: number) => {
      this.conns.delete(conn);
      h.close(conn, code);
    });
    h.open(conn);
  }

  /** Pings every open socket; reports the ones whose last pong is older than the deadline. */
  private readonly beat = (): void => {
    const h = this.handlers;
    const deadline = this.opts.heartbeatTimeoutMs ?? Infinity;
    const now = performance.now();
    for (const [conn, c] of this.conns) {
      if (c.ws.readyState !== c.ws.OPEN || c.stale) continue;
      if (now - c.pongAt > deadline) {
        c.stale = true;
        h?.unresponsive(conn);
        continue;
      }
      c.ws.ping();
    }
  };

  send(conn: ConnId, data: Uint8Array, owned: boolean): boolean {
    const ws = this.conns.get(conn)?.ws;
    if (ws === undefined || ws.readyState !== ws.OPEN) return false;
    // The queue (and ws after it) keeps the buffer until it is written, so views into a
    // reusable writer are copied here.
    const bytes = owned ? data : Buffer.from(data);
    this.queueWs.push(ws);
    this.queueData.push(bytes);
    this.queued.set(ws, (this.queued.get(ws) ?? 0) + bytes.length);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    return true;
  }

  /** Writes every queued frame to its socket, in order. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const n = this.queueWs.length;
    if (n === 0) return;
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const ws = this.queueWs[i];
      if (ws.readyState === ws.OPEN) ws.send(this.queueData[i], { binary: true });
    }
    this.queueWs.length = 0;
    this.queueData.length = 0;
    this.queued.clear();
    const ms = performance.now() - start;
    this.flushStats.flushes++;
    this.flushStats.frames += n;
    this.flushStats.ms += ms;
    this.flushStats.recording?.push(ms);
  };

  buffered(conn: ConnId): number {
    const ws = this.conns.get(conn)?.ws;
    if (ws === undefined) return 0;
    return ws.bufferedAmount + (this.queued.get(ws) ?? 0);
  }

  close(conn: ConnId, code: number, reason: string, abort = false): void {
    const ws = this.conns.get(conn)?.ws;
    if (ws === undefined) return;
    // Whatever was queued for it (e.g. the Error frame explaining the close) goes out first.
    this.flush();
    ws.close(code, reason);
    if (abort) {
      ws.terminate();
      return;
    }
    // A client that ignores the close handshake (or reads nothing at all) is cut off after a grace period.
    const timer = setTimeout(() => ws.terminate(), 2000);
    timer.unref();
  }

  async shutdown(code: number, reason: string): Promise<void> {
    this.accepting = false;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.flush();
    this.server.off("upgrade", this.onUpgrade);
    const closing: Promise<void>[] = [];
    for (const { ws } of this.conns.values()) {
      closing.push(new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.close(code, reason);
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      }));
    }
    await Promise.all(closing);
    this.wss.close();
    log.debug({ connections: closing.length }, "websocket transport closed");
  }
}
