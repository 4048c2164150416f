// Who may come back after a close, and how every close is counted. Only network-style drops keep
// the resume grace: a reset or a vanished client (1006), going away (1001), the client's own
// reconnect codes (4400-4499), and the server's closes for a stalled link (no pong, silence, a
// send queue over its bound). Abuse closes evict: an oversized frame (1009) like repeated garbage
// (4002), broken framing, a flood. Deadlines (hello, input silence) and the send-queue bound,
// which is measured in seconds of the client's own stream, are driven by a fake clock here.
import { describe, expect, it } from "vitest";
import { netSystem } from "../../../src/server/systems/net.ts";
import {
  ByteWriter,
  CloseCode,
  encodeHello,
  encodeInput,
  PROTOCOL_VERSION,
  ServerDecoder,
  ServerMsg,
} from "../../../src/shared/protocol/index.ts";
import type { WelcomeMsg } from "../../../src/shared/protocol/index.ts";
import { MemoryTransport } from "../../../src/server/net/memory-transport.ts";
import type { MemoryClient } from "../../../src/server/net/memory-transport.ts";
import { SessionManager } from "../../../src/server/net/sessions.ts";
import type { MutableTickContext } from "../../../src/server/loop/scheduler.ts";
import { MeshPool } from "../../../src/server/mesh/pool.ts";
import type { ServerConfig } from "../../../src/server/config.ts";
import { testGame } from "../support.ts";

const w = new ByteWriter();

function setup(extra: Partial<ServerConfig> = {}) {
  let now = 1000;
  const game = testGame({ npcCount: 0, resumeGraceMs: 5000, ...extra });
  const transport = new MemoryTransport();
  const sessions = new SessionManager(game, transport, () => now);
  sessions.start();
  const ctx: MutableTickContext = {
    tick: 0, dt: 1 / 30, nowMs: 0, elapsed: 1 / 30, zone: "z0", shard: "s0", net: sessions, mesher: new MeshPool(0),
  };
  const tick = (): void => {
    ctx.tick++;
    netSystem.run(game, ctx);
  };
  return { game, transport, sessions, tick, advance: (ms: number) => (now += ms) };
}

function welcomeOf(c: MemoryClient): WelcomeMsg {
  for (const bytes of c.received) {
    let found: WelcomeMsg | null = null;
    new ServerDecoder().decodeFrame(bytes, (m) => {
      if (m.type === ServerMsg.Welcome) found = { ...m };
    });
    if (found !== null) return found;
  }
  throw new Error("no welcome");
}

function join(transport: MemoryTransport, resumeToken: string | null = null): { c: MemoryClient; welcome: WelcomeMsg } {
  const c = transport.connect();
  c.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken }).slice());
  return { c, welcome: welcomeOf(c) };
}

type Harness = ReturnType<typeof setup>;

/** Each way a joined session can end, and whether its player waits for a resume afterwards. */
const CASES: { name: string; resumable: boolean; reason: string; end: (h: Harness, c: MemoryClient) => void }[] = [
  { name: "no close frame (1006: reset, dead link)", resumable: true, reason: "network", end: (_h, c) => c.close(1006) },
  { name: "client going away (1001)", resumable: true, reason: "going_away", end: (_h, c) => c.close(1001) },
  { name: "client reconnect code (4408 silent server)", resumable: true, reason: "client_other", end: (_h, c) => c.close(4408) },
  { name: "client goodbye (1000)", resumable: false, reason: "normal", end: (_h, c) => c.close(1000) },
  { name: "client application code outside the reconnect range (4000)", resumable: false, reason: "client_other", end: (_h, c) => c.close(4000) },
  { name: "client protocol error code (1002)", resumable: false, reason: "client_other", end: (_h, c) => c.close(1002) },
  {
    name: "no pong within the heartbeat deadline (4006)", resumable: true, reason: "heartbeat_timeout",
    end: (h, c) => h.sessions.unresponsive(c.conn),
  },
  {
    name: "oversized frame, closed by the WebSocket layer (1009)", resumable: false, reason: "oversized_frame",
    end: (h, c) => {
      h.sessions.rejected(c.conn, "oversized_frame", "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH", true);
      c.close(CloseCode.TooBig);
    },
  },
  {
    name: "broken framing, closed by the WebSocket layer (1002)", resumable: false, reason: "protocol_violation",
    end: (h, c) => {
      h.sessions.rejected(c.conn, "malformed_frame", "WS_ERR_INVALID_OPCODE", true);
      c.close(1002);
    },
  },
  {
    name: "repeated garbage (4002)", resumable: false, reason: "protocol_violation",
    end: (_h, c) => {
      for (let i = 0; i < 25 && c.closed === null; i++) c.send(new Uint8Array([0x7e, 1, 2]));
    },
  },
];

describe("close policy", () => {
  for (const k of CASES) {
    it(`${k.resumable ? "keeps" : "ends"} the player after: ${k.name}, counted as ${k.reason}`, () => {
      const h = setup();
      const { c, welcome } = join(h.transport);
      k.end(h, c);
      expect(c.closed).not.toBeNull();
      expect(h.game.stats.closes[k.reason as keyof typeof h.game.stats.closes]).toBe(1);
      expect(h.sessions.detachedCount()).toBe(k.resumable ? 1 : 0);
      expect(h.game.entities.count).toBe(k.resumable ? 1 : 0);
      const again = join(h.transport, welcome.resumeToken).welcome;
      expect(again.resumed).toBe(k.resumable);
      if (k.resumable) expect(again.entityId).toBe(welcome.entityId);
    });
  }

  it("closes a socket without a hello by the deadline (4003), counted as hello_timeout", () => {
    const h = setup({ helloTimeoutMs: 10_000 });
    const c = h.transport.connect();
    h.advance(9_000);
    h.sessions.maintain();
    expect(c.closed).toBeNull();
    h.advance(1_500);
    h.sessions.maintain();
    expect(c.closed?.code).toBe(CloseCode.HelloTimeout);
    expect(h.game.stats.closes.hello_timeout).toBe(1);
  });

  it("closes a joined player that sends nothing at all (4007), but not one that keeps sending", () => {
    const h = setup({ inputSilenceMs: 20_000 });
    const quiet = join(h.transport).c;
    const busy = join(h.transport).c;
    for (let t = 0; t < 25; t++) {
      h.advance(1000);
      busy.send(encodeInput(w, { seq: t + 1, dt: 1 / 30, forward: 0, right: 0, yaw: 0, pitch: 0, buttons: 0 }).slice());
      h.sessions.maintain();
    }
    expect(quiet.closed?.code).toBe(CloseCode.InputSilence);
    expect(busy.closed).toBeNull();
    expect(h.game.stats.closes.input_silence).toBe(1);
    // A silent link is a network-style drop: the player waits for a resume.
    expect(h.sessions.detachedCount()).toBe(1);
  });
});

describe("send queue bound", () => {
  const cfg = { sendQueueSeconds: 2, sendQueueFloorBytes: 64 * 1024, sendQueueCeilingBytes: 1024 * 1024 };

  it("is seconds of the client's own stream, within the floor and the ceiling", () => {
    const h = setup(cfg);
    const { c } = join(h.transport);
    const s = h.sessions.playing[0];
    // The join snapshot counts as at least one second of stream.
    expect(h.sessions.queueLimit(s)).toBe(Math.max(cfg.sendQueueFloorBytes, 2 * s.sentBytes));
    s.sentBytes = 0;
    s.streamBps = 10_000;
    expect(h.sessions.queueLimit(s)).toBe(cfg.sendQueueFloorBytes);
    s.streamBps = 100_000;
    expect(h.sessions.queueLimit(s)).toBe(200_000);
    s.streamBps = 10_000_000;
    expect(h.sessions.queueLimit(s)).toBe(cfg.sendQueueCeilingBytes);
    expect(c.closed).toBeNull();
  });

  it("measures the stream rate from what was sent each second", () => {
    const h = setup(cfg);
    const { c } = join(h.transport);
    const s = h.sessions.playing[0];
    for (let t = 0; t < 8; t++) {
      h.advance(1000);
      h.sessions.send(s, new Uint8Array(50_000), true);
      c.send(encodeInput(w, { seq: t + 1, dt: 1 / 30, forward: 0, right: 0, yaw: 0, pitch: 0, buttons: 0 }).slice());
      h.sessions.maintain();
    }
    expect(s.streamBps).toBeGreaterThan(45_000);
    expect(s.streamBps).toBeLessThan(60_000);
  });

  it("closes a client whose queued bytes pass its bound (4005) and keeps one below it", () => {
    const h = setup(cfg);
    const slow = join(h.transport).c;
    const fine = join(h.transport).c;
    h.advance(1000);
    h.tick();
    const limit = h.sessions.queueLimit(h.sessions.playing[0]);
    fine.backlog = limit - 1;
    slow.backlog = limit + 1;
    h.tick();
    expect(slow.closed?.code).toBe(CloseCode.SlowConsumer);
    expect(fine.closed).toBeNull();
    expect(h.game.stats.closes.slow_consumer).toBe(1);
  });
});
