// Hardening of one node:http listener (the game port or the metrics/debug port) against what
// clients do before, around and under a request:
// - deadlines: slow or partial headers (headersTimeout), slow bodies (requestTimeout), idle
//   sockets (timeout, keepAliveTimeout), checked every second instead of Node's default 30 s;
// - caps: concurrent connections in total and per remote address. A connection over a cap is
//   answered 503 (HTTP) or refused at the upgrade, and cut after a short linger. The address is
//   held in a map only while its connections are open: never logged, labelled or traced;
// - an error path for every socket, request and response: each error is counted once per
//   connection and stage in game_net_socket_errors_total, and the socket is closed. Nothing
//   is left to escape as an unhandled 'error' event.
// Upgraded sockets (WebSocket) are handed to the transport, which counts their errors itself.
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Listener, Log, NetStage, RefuseReason, SocketErrorCode } from "../telemetry/facade.ts";
import { socketErrorCode } from "./faults.ts";

/** Deadlines and caps of one listener. All times in ms. */
export interface ListenerLimits {
  /** Open TCP connections at once; past it new ones get 503. */
  readonly maxConnections: number;
  /** Open TCP connections from one remote address at once. */
  readonly maxConnectionsPerAddress: number;
  /** Time to receive the complete request headers (a connection that sends nothing included). */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, body included. */
  readonly requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed. */
  readonly idleTimeoutMs: number;
  /** A kept-alive socket waiting for its next request is closed after this long. */
  readonly keepAliveTimeoutMs: number;
}

export interface ListenerGuardOptions {
  readonly listener: Listener;
  readonly limits: ListenerLimits;
  /** Counts one error (game_net_socket_errors_total). */
  readonly fault: (stage: NetStage, code: SocketErrorCode) => void;
  /** Counts one refused connection (game_net_connections_refused_total). */
  readonly refused: (reason: RefuseReason) => void;
  /** Reports the number of open connections after each change (game_net_connections_open). */
  readonly open: (count: number) => void;
  /** Rate-limited warnings about refusals and failed accepts. */
  readonly log?: Log;
}

/** How long a refused connection may stay open to read its 503 before it is cut. */
const REFUSED_LINGER_MS = 2000;
/** How often Node checks the header and request deadlines (its default, 30 s, would let them overrun by that much). */
const DEADLINE_CHECK_MS = 1000;

const RAW_RESPONSES: Readonly<Record<number, string>> = {
  400: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  404: "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  408: "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  431: "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  503: "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n",
};

/** The createServer options that carry `limits` (deadlines Node applies while parsing). */
export function httpServerOptions(limits: ListenerLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: DEADLINE_CHECK_MS,
  };
}

/**
 * Answers a raw socket (no ServerResponse: upgrade requests, parser errors) with a bodiless
 * status line and closes it once written; a peer that never reads is cut after the linger.
 */
export function answerRaw(socket: Duplex, status: 400 | 404 | 408 | 431 | 503): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once("finish", () => socket.destroy());
  socket.end(RAW_RESPONSES[status]);
  setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
}

/** Guards one http.Server; see the file comment. Create it before the server listens. */
export class ListenerGuard {
  private readonly perAddress = new Map<string, number>();
  private readonly refusedSockets = new WeakSet<Duplex>();
  /** Stages already counted per connection (bit per NetStage index): one fault, one count. */
  private readonly counted = new WeakMap<Duplex, number>();
  private openCount = 0;

  constructor(
    private readonly server: Server,
    private readonly opts: ListenerGuardOptions,
  ) {
    server.timeout = opts.limits.idleTimeoutMs;
    server.prependListener("connection", (socket: Duplex & { remoteAddress?: string }) => this.onConnection(socket));
    server.on("clientError", (err: Error, socket: Duplex) => this.onClientError(err, socket));
    server.on("timeout", (socket: Duplex) => {
      this.count(socket, this.stageOf(socket), "timeout");
      socket.destroy();
    });
    server.on("error", (err: Error) => {
      // Bind failures reject the caller's listen(); after that, an 'error' is a failed accept
      // (EMFILE when descriptors run out), which must not end the process.
      if (!server.listening) return;
      const code = socketErrorCode(err);
      this.opts.fault("accept", code);
      this.opts.log?.warnLimited(`${opts.listener}.accept_failed`, { listener: opts.listener, code }, "listener failed to accept a connection");
    });
  }

  /** Open TCP connections right now. */
  get openConnections(): number {
    return this.openCount;
  }

  /** True for a connection refused over a cap (its requests and upgrades get 503). */
  isRefused(socket: Duplex): boolean {
    return this.refusedSockets.has(socket);
  }

  /** Answers 503 when the request came on a refused connection; true when it did (the caller stops). */
  refuse(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.refusedSockets.has(req.socket)) return false;
    res.shouldKeepAlive = false;
    res.writeHead(503, { "content-type": "text/plain", "retry-after": "5", connection: "close" }).end("server busy\n");
    return true;
  }

  /** Gives one request and its response an error path (counted once per connection). */
  watch(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    req.on("error", (err) => this.count(socket, "http", socketErrorCode(err)));
    res.on("error", (err) => this.count(socket, "http", socketErrorCode(err)));
  }

  /** Counts a fault on `socket` at `stage` unless this connection already counted one there. */
  count(socket: Duplex | null, stage: NetStage, code: SocketErrorCode): void {
    if (socket !== null) {
      const bit = 1 << STAGE_BITS[stage];
      const mask = this.counted.get(socket) ?? 0;
      if (mask & bit) return;
      this.counted.set(socket, mask | bit);
    }
    this.opts.fault(stage, code);
  }

  private stageOf(socket: Duplex): NetStage {
    return this.refusedSockets.has(socket) ? "accept" : "http";
  }

  private onConnection(socket: Duplex & { remoteAddress?: string }): void {
    const address = socket.remoteAddress ?? "";
    const fromAddress = (this.perAddress.get(address) ?? 0) + 1;
    this.perAddress.set(address, fromAddress);
    this.openCount++;
    this.opts.open(this.openCount);
    const { maxConnections, maxConnectionsPerAddress } = this.opts.limits;
    const reason: RefuseReason | null = this.openCount > maxConnections ? "total_limit" : fromAddress > maxConnectionsPerAddress ? "address_limit" : null;
    const linger = reason === null ? undefined : setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
    socket.once("close", () => {
      if (linger !== undefined) clearTimeout(linger);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
      this.openCount--;
      this.opts.open(this.openCount);
    });
    if (reason === null) return;
    linger?.unref();
    this.refusedSockets.add(socket);
    this.opts.refused(reason);
    this.opts.log?.warnLimited(`${this.opts.listener}.refused`, { listener: this.opts.listener, reason }, "connection refused: connection cap reached");
  }

  private onClientError(err: Error & { code?: string }, socket: Duplex): void {
    const code = socketErrorCode(err);
    this.count(socket, this.stageOf(socket), code);
    if (err.code !== "ECONNRESET" && socket.writable && !responseStarted(socket)) {
      const status = code === "timeout" ? 408 : err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      socket.end(RAW_RESPONSES[status]);
    }
    socket.destroy();
  }
}

const STAGE_BITS: Readonly<Record<NetStage, number>> = { accept: 0, http: 1, upgrade: 2, ws: 3, forward: 4 };

/**
 * True when a response has started on the socket (a status line now would corrupt it). Node
 * keeps the in-flight response as `_httpMessage`; its own default clientError handler reads it.
 */
function responseStarted(socket: Duplex): boolean {
  const msg = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return msg?.headersSent === true;
}
