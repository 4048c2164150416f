// The browser client's transport interface over the `ws` package, so the client's connection
// and session logic can be exercised against the real server from Node.
import WebSocket from "ws";
import type { TransportFactory } from "../../../src/client/net/transport.ts";

/** A TransportFactory on Node WebSockets (binary frames only, as in the page). */
export const nodeWsTransport: TransportFactory = (url, events) => {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.binaryType = "nodebuffer";
  ws.on("open", () => events.open());
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) events.message(new Uint8Array(data.buffer, data.byteOffset, data.length));
    else events.invalid();
  });
  ws.on("close", (code: number, reason: Buffer) => events.close(code, reason.toString()));
  // Errors are followed by a close event, which is what the connection acts on.
  ws.on("error", () => {});
  return {
    send: (bytes) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(bytes.slice());
    },
    close: (code, reason) => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    },
  };
};
