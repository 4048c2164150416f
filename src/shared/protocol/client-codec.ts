// Encoders and the decoder for client-to-server messages. The decoder validates every field
// and returns a typed rejection instead of throwing.
import { ClientMsg, PROTOCOL_VERSION, RTT_UNKNOWN, TRACEPARENT_MAX } from "./messages.ts";
import type { ClientMessage, FireMsg, HelloMsg, InputMsg, PingMsg } from "./messages.ts";
import { ByteReader, DecodeErrorCode } from "./reader.ts";
import type { DecodeError } from "./reader.ts";
import type { ByteWriter } from "./writer.ts";

/** Outcome of decoding one frame. */
export type DecodeResult<T> = { readonly ok: true; readonly msg: T } | { readonly ok: false; readonly error: DecodeError };

const HEX = "0123456789abcdef";

/** Writes 32 hex chars as 16 bytes (callers pass validated tokens). */
export function writeHex16(w: ByteWriter, hex: string): void {
  for (let i = 0; i < 16; i++) w.u8((HEX.indexOf(hex[2 * i]) << 4) | HEX.indexOf(hex[2 * i + 1]));
}

/** Reads 16 bytes as 32 lowercase hex chars. */
export function readHex16(r: ByteReader, what: string): string {
  const b = r.bytesView(16, what);
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

/** Hello flag bits: a resume token follows, a hand-off ticket follows (in that order). */
const HELLO_RESUME = 1;
const HELLO_TICKET = 2;

/** True for 32 lowercase hex chars. */
export function isHex32(s: string): boolean {
  return /^[0-9a-f]{32}$/.test(s);
}

/** Encodes a hello (without logBase/lastSeq: a client with no world yet). Returns a view into `w`. */
export function encodeHello(
  w: ByteWriter,
  m: Omit<HelloMsg, "type" | "logBase" | "lastSeq" | "ticket"> & Partial<Pick<HelloMsg, "logBase" | "lastSeq" | "ticket">>,
): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ClientMsg.Hello);
  w.u16(m.version);
  const resume = m.resumeToken !== null && isHex32(m.resumeToken);
  const ticket = m.ticket != null && isHex32(m.ticket);
  w.u8((resume ? HELLO_RESUME : 0) | (ticket ? HELLO_TICKET : 0));
  if (resume) writeHex16(w, m.resumeToken!);
  if (ticket) writeHex16(w, m.ticket!);
  w.u32((m.logBase ?? 0) >>> 0);
  w.varU53(m.lastSeq ?? 0);
  return w.view();
}

/** Encodes one movement input. Returns a view into `w`. */
export function encodeInput(w: ByteWriter, m: Omit<InputMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ClientMsg.Input);
  w.varU(m.seq);
  w.f32(m.dt);
  w.f32(m.forward);
  w.f32(m.right);
  w.f32(m.yaw);
  w.f32(m.pitch);
  w.u8(m.buttons);
  return w.view();
}

/** Encodes a fire command (traceparent longer than 55 chars is dropped). Returns a view into `w`. */
export function encodeFire(w: ByteWriter, m: Omit<FireMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ClientMsg.Fire);
  w.u32(m.commandId);
  w.f32(m.ox);
  w.f32(m.oy);
  w.f32(m.oz);
  w.f32(m.dx);
  w.f32(m.dy);
  w.f32(m.dz);
  const tp = m.traceparent !== null && m.traceparent.length <= TRACEPARENT_MAX ? m.traceparent : null;
  if (tp !== null) {
    w.u8(1);
    w.ascii(tp);
  } else {
    w.u8(0);
  }
  return w.view();
}

/** Encodes a ping (rttMs rounded and capped to 0..65534; absent or not finite = unknown). Returns a view into `w`. */
export function encodePing(w: ByteWriter, m: Omit<PingMsg, "type">): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ClientMsg.Ping);
  w.f64(m.clientTime);
  const rtt = m.rttMs;
  w.u16(rtt !== undefined && Number.isFinite(rtt) ? Math.min(RTT_UNKNOWN - 1, Math.max(0, Math.round(rtt))) : RTT_UNKNOWN);
  return w.view();
}

/** Encodes a scoreboard request. Returns a view into `w`. */
export function encodeScores(w: ByteWriter): Uint8Array<ArrayBuffer> {
  w.reset();
  w.u8(ClientMsg.Scores);
  return w.view();
}

const sharedReader = new ByteReader();

/**
 * Decodes one client frame. Never throws: truncation, bad counts, NaN/Infinity, unknown types
 * and trailing bytes come back as `{ ok: false, error }`. Range policy (speeds, dt) is the
 * server's; the decoder only guarantees well-formed, finite values.
 */
export function decodeClientMessage(bytes: Uint8Array, r: ByteReader = sharedReader): DecodeResult<ClientMessage> {
  if (bytes.length === 0) return { ok: false, error: { code: DecodeErrorCode.Empty, detail: "empty frame" } };
  r.reset(bytes);
  const type = r.u8("type");
  let msg: ClientMessage;
  switch (type) {
    case ClientMsg.Hello: {
      const version = r.u16("version");
      if (version !== PROTOCOL_VERSION) {
        // Another version's hello is laid out differently: only its version is read, so the
        // server can refuse it with the version close code rather than as a malformed frame.
        r.bytesView(r.remaining);
        msg = { type: ClientMsg.Hello, version, resumeToken: null, logBase: 0, lastSeq: 0, ticket: null };
        break;
      }
      const flags = r.u8("hello.flags");
      if (flags > (HELLO_RESUME | HELLO_TICKET)) r.fail(DecodeErrorCode.OutOfRange, "hello.flags");
      const resumeToken = flags & HELLO_RESUME ? readHex16(r, "hello.resume") : null;
      const ticket = flags & HELLO_TICKET ? readHex16(r, "hello.ticket") : null;
      const logBase = r.u32("hello.log_base");
      const lastSeq = r.varU53("hello.last_seq");
      msg = { type: ClientMsg.Hello, version, resumeToken, logBase, lastSeq, ticket };
      break;
    }
    case ClientMsg.Input: {
      msg = {
        type: ClientMsg.Input,
        seq: r.varU("input.seq"),
        dt: r.f32("input.dt"),
        forward: r.f32("input.forward"),
        right: r.f32("input.right"),
        yaw: r.f32("input.yaw"),
        pitch: r.f32("input.pitch"),
        buttons: r.u8("input.buttons"),
      };
      break;
    }
    case ClientMsg.Fire: {
      const commandId = r.u32("fire.command_id");
      const ox = r.f32("fire.ox");
      const oy = r.f32("fire.oy");
      const oz = r.f32("fire.oz");
      const dx = r.f32("fire.dx");
      const dy = r.f32("fire.dy");
      const dz = r.f32("fire.dz");
      const len2 = dx * dx + dy * dy + dz * dz;
      if (r.ok && !(len2 > 1e-12 && Number.isFinite(len2))) r.fail(DecodeErrorCode.OutOfRange, "fire.aim: zero or overflowing vector");
      const flags = r.u8("fire.flags");
      if (flags > 1) r.fail(DecodeErrorCode.OutOfRange, "fire.flags");
      const traceparent = flags === 1 ? r.ascii(TRACEPARENT_MAX, "fire.traceparent") : null;
      msg = { type: ClientMsg.Fire, commandId, ox, oy, oz, dx, dy, dz, traceparent };
      break;
    }
    case ClientMsg.Ping: {
      const clientTime = r.f64("ping.client_time");
      const rtt = r.u16("ping.rtt_ms");
      msg = rtt === RTT_UNKNOWN ? { type: ClientMsg.Ping, clientTime } : { type: ClientMsg.Ping, clientTime, rttMs: rtt };
      break;
    }
    case ClientMsg.Scores:
      msg = { type: ClientMsg.Scores };
      break;
    default:
      return { ok: false, error: { code: DecodeErrorCode.UnknownType, detail: `client message type ${type}` } };
  }
  r.end();
  if (r.error !== null) return { ok: false, error: r.error };
  return { ok: true, msg };
}
