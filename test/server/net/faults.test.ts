// The errno class of a network error (the `code` label of game_net_socket_errors_total): Node
// errnos, HTTP parser and WebSocket framing codes, fetch's wrapped causes and abort/timeout
// exceptions map onto the closed set; anything else is "other", never a new label value.
import { describe, expect, it } from "vitest";
import { socketErrorCode } from "../../../src/server/net/faults.ts";
import { SOCKET_ERROR_CODES } from "../../../src/shared/telemetry/names.ts";

const withCode = (code: string): Error => Object.assign(new Error(code), { code });

describe("socketErrorCode", () => {
  it.each([
    ["ECONNRESET", "econnreset"], ["EPIPE", "epipe"], ["ETIMEDOUT", "etimedout"], ["ECONNREFUSED", "econnrefused"],
    ["ECONNABORTED", "econnaborted"], ["EHOSTUNREACH", "unreachable"], ["ENETUNREACH", "unreachable"], ["ENOTFOUND", "dns"],
    ["EAI_AGAIN", "dns"], ["EMFILE", "fd_limit"], ["ENFILE", "fd_limit"], ["HPE_INVALID_METHOD", "parse"],
    ["HPE_HEADER_OVERFLOW", "parse"], ["WS_ERR_INVALID_OPCODE", "parse"], ["ERR_HTTP_REQUEST_TIMEOUT", "timeout"],
    ["UND_ERR_SOCKET", "econnreset"], ["UND_ERR_CONNECT_TIMEOUT", "timeout"], ["EWHATEVER", "other"],
  ])("%s is %s", (code, cls) => {
    expect(socketErrorCode(withCode(code))).toBe(cls);
  });

  it("looks through fetch's TypeError to the socket error", () => {
    expect(socketErrorCode(new TypeError("fetch failed", { cause: withCode("ECONNREFUSED") }))).toBe("econnrefused");
    expect(socketErrorCode(new TypeError("fetch failed", { cause: new TypeError("x", { cause: withCode("ECONNRESET") }) }))).toBe("econnreset");
  });

  it("treats abort and timeout exceptions as timeout", () => {
    expect(socketErrorCode(new DOMException("timed out", "TimeoutError"))).toBe("timeout");
    expect(socketErrorCode(new DOMException("aborted", "AbortError"))).toBe("timeout");
  });

  it("answers other for anything unknown, and only ever a member of the closed set", () => {
    for (const v of [undefined, null, 42, "ECONNRESET", {}, new Error("plain"), { code: 7 }]) {
      const c = socketErrorCode(v);
      expect(SOCKET_ERROR_CODES).toContain(c);
    }
    expect(socketErrorCode("ECONNRESET")).toBe("other");
    expect(socketErrorCode(new Error("plain"))).toBe("other");
  });
});
