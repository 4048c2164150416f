// Raw-socket clients that misbehave on purpose, for the fault tests and the soak: they speak
// just enough HTTP and WebSocket framing by hand to do what a well-behaved library never would
// (stop half-way through a request, never read, reset at the worst moment).
import { connect } from "node:net";
import type { Socket } from "node:net";

/** Any valid Sec-WebSocket-Key (the RFC 6455 example). */
const WS_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** The bytes of a WebSocket upgrade request for `path`. */
export function upgradeRequest(path: string, host = "127.0.0.1"): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

/** A masked client-to-server binary WebSocket frame (payload under 126 bytes), as RFC 6455 requires of clients. */
export function maskedFrame(payload: Uint8Array): Buffer {
  if (payload.length >= 126) throw new RangeError("maskedFrame: payload must be under 126 bytes");
  const mask = [0x12, 0x34, 0x56, 0x78];
  const out = Buffer.alloc(6 + payload.length);
  out[0] = 0x82;
  out[1] = 0x80 | payload.length;
  for (let i = 0; i < 4; i++) out[2 + i] = mask[i];
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i & 3];
  return out;
}

/** Connects a raw TCP socket (errors swallowed: resets are the point) and resolves once connected. */
export function rawConnect(port: number, opts: { host?: string; localAddress?: string } = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: opts.host ?? "127.0.0.1", localAddress: opts.localAddress });
    s.on("error", () => {});
    s.once("connect", () => resolve(s));
    s.once("close", () => reject(new Error("connection closed before it was established")));
  });
}

/** Resolves when `s` closes, or after `ms` (then destroys it); true when the peer closed it first. */
export function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, ms);
    s.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
