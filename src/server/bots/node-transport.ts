// The browser client's transport interface (client/net/transport.ts) over the `ws` package, so
// the page's own Connection runs in Node: in the load-test bots and the integration tests.
import WebSocket from "ws";
import type { NetTransport, TransportEvents } from "../../client/net/transport.ts";

/** How to open Node client sockets. */
export interface NodeTransportOptions {
  /** Local address to connect from (a 127.x.y.z per bot makes loopback bots look like distinct hosts). */
  readonly localAddress?: string;
  /** Extra HTTP headers of the WebSocket handshake (tests that a client's claims about itself go nowhere). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A NetTransport on a Node WebSocket, which can also be cut the way a failing network cuts it. */
export interface NodeTransport extends NetTransport {
  /** Destroys the TCP connection without a close handshake (the server sees 1006). */
  terminate(): void;
}

/** A transport factory on Node WebSockets (binary frames only, as in the page). */
export function nodeTransport(options: NodeTransportOptions = {}): (url: string, events: TransportEvents) => NodeTransport {
  return (url, events) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, localAddress: options.localAddress, headers: { ...options.headers } });
    ws.binaryType = "nodebuffer";
    ws.on("open", () => events.open());
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) events.message(new Uint8Array(data.buffer, data.byteOffset, data.length));
      else events.invalid();
    });
    ws.on("close", (code: number, reason: Buffer) => events.close(code, reason.toString()));
    // Errors (refused, reset) are followed by a close event, which is what the connection acts on.
    ws.on("error", () => {});
    return {
      // ws.send may queue the buffer until the socket drains: hand it a copy, the caller reuses its own.
      send: (bytes) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(bytes.slice());
      },
      close: (code, reason) => {
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
      },
      terminate: () => ws.terminate(),
    };
  };
}
