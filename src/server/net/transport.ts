// The transport seam between sessions and sockets (colyseus-style): the session layer sees
// connection ids and byte frames only, so tests can swap in an in-memory transport and the
// WebSocket details (upgrade, frame limits, close codes) stay in one file.
import type { ErrorClass } from "../telemetry/facade.ts";

/** Opaque id of one connection, unique for the transport's lifetime. */
export type ConnId = number;

/** Callbacks a transport delivers to the session layer. */
export interface TransportHandlers {
  open(conn: ConnId): void;
  /** One complete binary frame; `data` is only valid during the call. */
  message(conn: ConnId, data: Uint8Array): void;
  /**
   * A frame the transport itself refused (oversized, text, broken framing). `closing` is true
   * when the transport is closing the connection for it (1009 for size, 1002 for framing).
   */
  rejected(conn: ConnId, cls: ErrorClass, detail: string, closing: boolean): void;
  /** The peer has not answered a heartbeat within its deadline (it stopped reading, or vanished). */
  unresponsive(conn: ConnId): void;
  close(conn: ConnId, code: number): void;
}

/** A server-side message transport: listen, send, close. */
export interface Transport {
  /** Starts delivering connections to `handlers`. */
  listen(handlers: TransportHandlers): void;
  /**
   * Sends one binary frame. When `owned` is false the transport copies `data` before queueing
   * (callers pass views into reusable writers); when true it may keep the array.
   * Returns false when the connection is gone.
   */
  send(conn: ConnId, data: Uint8Array, owned: boolean): boolean;
  /** Bytes queued for `conn` and not yet written to the socket. */
  buffered(conn: ConnId): number;
  /**
   * Closes one connection with a WebSocket close code and short reason. With `abort` the
   * socket is cut at once instead of waiting for the close handshake (a peer that reads
   * nothing would never answer it).
   */
  close(conn: ConnId, code: number, reason: string, abort?: boolean): void;
  /** Stops accepting connections and closes every open one with `code`. */
  shutdown(code: number, reason: string): Promise<void>;
}
