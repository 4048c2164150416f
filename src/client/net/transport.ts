// The game socket behind a three-call interface, so the connection logic (handshake, backoff,
// byte counting) is unit-tested with an in-memory fake and runs on a real WebSocket in the page.

/** What a transport reports; called at most once for `open` and `close`. */
export interface TransportEvents {
  open(): void;
  /** One binary frame. The view is only valid during the call. */
  message(bytes: Uint8Array): void;
  /** A text frame, which the game protocol never uses (counted as a bad frame). */
  invalid(): void;
  /** The socket is gone, whoever closed it (1006 when the network dropped it). */
  close(code: number, reason: string): void;
}

/** One connection attempt. */
export interface NetTransport {
  /** Sends one binary frame. Copies or consumes `bytes` before returning (callers reuse the buffer). */
  send(bytes: Uint8Array): void;
  /** Closes the socket; `close` is still reported through the events. */
  close(code: number, reason: string): void;
}

/** Opens a transport to `url`. */
export type TransportFactory = (url: string, events: TransportEvents) => NetTransport;

/** The game socket URL for a page location: same origin, ws:// or wss:// to match http/https, path /ws. */
export function gameSocketUrl(loc: { readonly protocol: string; readonly host: string }): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws`;
}

/** Browser WebSocket transport (binary frames as ArrayBuffer, no Blob round trip). */
export const webSocketTransport: TransportFactory = (url, events) => {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => events.open();
  ws.onmessage = (e: MessageEvent<unknown>) => {
    if (e.data instanceof ArrayBuffer) events.message(new Uint8Array(e.data));
    else events.invalid();
  };
  // An error is always followed by a close event, which carries the code: nothing to do here.
  ws.onerror = null;
  ws.onclose = (e) => events.close(e.code, e.reason);
  return {
    // WebSocket.send copies an ArrayBufferView's bytes synchronously (WHATWG WebSockets). The
    // protocol writer's buffers are plain ArrayBuffers, never shared memory.
    send: (bytes) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(bytes as Uint8Array<ArrayBuffer>);
    },
    close: (code, reason) => {
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    },
  };
};
