// Network faults as the metrics see them: any error a socket, request, response, WebSocket or
// upstream fetch can raise is reduced to one errno class of a closed set (the `code` label of
// game_net_socket_errors_total). Messages and addresses are never part of the class.
import type { NetStage, SocketErrorCode } from "../telemetry/facade.ts";

/** Counts one network error at a stage (the listener is bound by whoever makes the recorder). */
export type NetFaultRecorder = (stage: NetStage, code: SocketErrorCode) => void;

const ERRNO: Readonly<Record<string, SocketErrorCode>> = {
  ECONNRESET: "econnreset",
  EPIPE: "epipe",
  ETIMEDOUT: "etimedout",
  ECONNREFUSED: "econnrefused",
  ECONNABORTED: "econnaborted",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  EHOSTDOWN: "unreachable",
  ENETDOWN: "unreachable",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_FAIL: "dns",
  EMFILE: "fd_limit",
  ENFILE: "fd_limit",
  ENOBUFS: "fd_limit",
  ERR_HTTP_REQUEST_TIMEOUT: "timeout",
  ERR_STREAM_PREMATURE_CLOSE: "econnreset",
  UND_ERR_SOCKET: "econnreset",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
};

/**
 * The errno class of an error: its `code` (Node errno, HTTP parser `HPE_*`, `ws` framing
 * `WS_ERR_*`, undici `UND_ERR_*`), looking through `cause` chains (fetch wraps the socket error
 * in a TypeError), with abort/timeout DOMExceptions as `timeout`. Unknown errors are `other`.
 */
export function socketErrorCode(err: unknown): SocketErrorCode {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === "object" && e !== null; depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === "string") {
      const known = ERRNO[code];
      if (known !== undefined) return known;
      if (code.startsWith("HPE_") || code.startsWith("WS_ERR_")) return "parse";
    }
    if (name === "TimeoutError" || name === "AbortError") return "timeout";
    e = (e as { cause?: unknown }).cause;
  }
  return "other";
}
