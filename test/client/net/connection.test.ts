// The client connection against an in-memory socket and a manual clock: handshake, byte
// counts, RTT, the silence and join watchdogs, and reconnection with backoff and resume.
import { describe, expect, it } from "vitest";
import { ClientCloseCode, Connection, CONNECTION, NetStatus, RECONNECT_BACKOFF } from "../../../src/client/net/connection.ts";
import type { ConnectionListener, ServerEvent } from "../../../src/client/net/connection.ts";
import {
  ByteWriter,
  ClientMsg,
  CloseCode,
  createSelfState,
  encodeDelta,
  encodeError,
  encodePong,
  EntityFrame,
  IdList,
  ProjectileFrame,
  PROTOCOL_VERSION,
  RejectReason,
  ServerMsg,
} from "../../../src/shared/protocol/index.ts";
import { fakeTransport, ManualTimers, snapshotBytes, welcomeBytes } from "./fakes.ts";
import type { FakeSocket } from "./fakes.ts";

function setup(random = () => 0) {
  const timers = new ManualTimers();
  const t = fakeTransport();
  const conn = new Connection({ url: "ws://game.test/ws", transport: t.factory, timers, random });
  const statuses: NetStatus[] = [];
  const messages: ServerEvent["type"][] = [];
  const listener: ConnectionListener = { message: (m) => messages.push(m.type), status: (s) => statuses.push(s) };
  conn.start(listener);
  return { conn, timers, sockets: t.sockets, statuses, messages };
}

/** Opens `s` and completes a join on it. */
function join(s: FakeSocket): void {
  s.events.open();
  s.receive(welcomeBytes());
  s.receive(snapshotBytes());
}

const w = new ByteWriter(256);

function deltaBytes(opts: { tick: number; hasStats?: boolean; tickMsAvg?: number }): Uint8Array {
  return encodeDelta(w, {
    tick: opts.tick, ackSeq: 0, hasStats: opts.hasStats ?? false, tickMsAvg: opts.tickMsAvg ?? 0, tickMsMax: (opts.tickMsAvg ?? 0) * 2,
    hasSelf: false, self: createSelfState(), entities: new EntityFrame(), removed: new IdList(),
    projectileSpawns: new ProjectileFrame(), projectileDespawns: new IdList(),
  }).slice();
}

describe("Connection", () => {
  it("says hello with the protocol version, joins, and counts bytes both ways", () => {
    const { conn, sockets, statuses, messages } = setup();
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toBe("ws://game.test/ws");
    expect(conn.status).toBe(NetStatus.Connecting);
    sockets[0].events.open();
    expect(sockets[0].messages()).toEqual([{ type: ClientMsg.Hello, version: PROTOCOL_VERSION, resumeToken: null, logBase: 0, lastSeq: 0, ticket: null }]);
    expect(conn.status).toBe(NetStatus.Joining);

    const welcome = welcomeBytes();
    const snapshot = snapshotBytes();
    sockets[0].receive(welcome);
    sockets[0].receive(snapshot);
    expect(conn.status).toBe(NetStatus.Playing);
    expect(statuses).toEqual([NetStatus.Connecting, NetStatus.Joining, NetStatus.Playing]);
    expect(messages).toEqual([ServerMsg.Welcome, ServerMsg.Snapshot]);
    expect(conn.welcome?.entityId).toBe(7);
    expect(conn.stats.joins).toBe(1);
    expect(conn.stats.bytesIn).toBe(welcome.length + snapshot.length);
    expect(conn.stats.framesIn).toBe(2);
    // Hello, plus the first ping sent on joining.
    const sent = sockets[0].sent;
    expect(sent.map((b) => b[0])).toEqual([ClientMsg.Hello, ClientMsg.Ping]);
    expect(conn.stats.bytesOut).toBe(sent[0].length + sent[1].length);
  });

  it("says hello with the version and resume token it was given, and resumes with the server's token after that", () => {
    const t = fakeTransport();
    const timers = new ManualTimers();
    const token = "0123456789abcdef0123456789abcdef";
    const conn = new Connection({ url: "ws://game.test/ws", transport: t.factory, timers, random: () => 0, resumeToken: token });
    conn.start({ message: () => {}, status: () => {} });
    t.sockets[0].events.open();
    expect(t.sockets[0].messages()).toEqual([{ type: ClientMsg.Hello, version: PROTOCOL_VERSION, resumeToken: token, logBase: 0, lastSeq: 0, ticket: null }]);
    t.sockets[0].receive(welcomeBytes());
    t.sockets[0].receive(snapshotBytes());
    expect(conn.status).toBe(NetStatus.Playing);
    t.sockets[0].events.close(1006, "");
    timers.advance(RECONNECT_BACKOFF.baseMs);
    t.sockets[1].events.open();
    expect(t.sockets[1].messages()[0]).toEqual({ type: ClientMsg.Hello, version: PROTOCOL_VERSION, resumeToken: "fedcba9876543210fedcba9876543210", logBase: 0, lastSeq: 0, ticket: null });

    // Another version (tests of the server's refusal): the hello carries it; the rest of such a hello is not decoded.
    const other = fakeTransport();
    new Connection({ url: "ws://game.test/ws", transport: other.factory, timers, random: () => 0, protocolVersion: 99 }).start({ message: () => {}, status: () => {} });
    other.sockets[0].events.open();
    expect(other.sockets[0].messages()).toMatchObject([{ type: ClientMsg.Hello, version: 99 }]);
  });

  it("sends commands only while joined", () => {
    const { conn, sockets } = setup();
    const input = { seq: 1, dt: 1 / 30, forward: 1, right: 0, yaw: 0, pitch: 0, buttons: 0 };
    expect(conn.sendInput(input)).toBe(false);
    sockets[0].events.open();
    expect(conn.sendInput(input)).toBe(false);
    sockets[0].receive(welcomeBytes());
    sockets[0].receive(snapshotBytes());
    expect(conn.sendInput(input)).toBe(true);
    expect(conn.sendFire({ commandId: 3, ox: 1, oy: 2, oz: 3, dx: 0, dy: 0, dz: -1, traceparent: null })).toBe(true);
    const msgs = sockets[0].messages();
    expect(msgs.at(-2)).toMatchObject({ type: ClientMsg.Input, seq: 1, forward: 1 });
    expect(msgs.at(-1)).toMatchObject({ type: ClientMsg.Fire, commandId: 3, dz: -1, traceparent: null });
  });

  it("measures the round trip from pongs and reads the server's tick time from deltas", () => {
    const { conn, sockets, timers } = setup();
    join(sockets[0]);
    const ping = sockets[0].messages().find((m) => m.type === ClientMsg.Ping);
    expect(ping).toBeDefined();
    expect(Number.isNaN(conn.stats.rttMs)).toBe(true);
    timers.advance(37);
    sockets[0].receive(encodePong(w, { clientTime: ping!.type === ClientMsg.Ping ? ping!.clientTime : 0, serverTime: Date.now(), tick: 5 }).slice());
    expect(conn.stats.rttMs).toBe(37);
    // Pings repeat while joined.
    timers.advance(CONNECTION.pingIntervalMs + CONNECTION.heartbeatMs);
    expect(sockets[0].messages().filter((m) => m.type === ClientMsg.Ping).length).toBe(2);

    sockets[0].receive(deltaBytes({ tick: 101, hasStats: true, tickMsAvg: 2.5 }));
    expect(conn.stats.serverTickMs).toBeCloseTo(2.5, 6);
    expect(conn.stats.serverTickMaxMs).toBeCloseTo(5, 6);
  });

  it("reconnects after a drop with backoff and resumes with the welcome's token", () => {
    const { conn, sockets, timers, statuses } = setup(() => 0);
    join(sockets[0]);
    sockets[0].events.close(1006, "");
    expect(conn.status).toBe(NetStatus.Reconnecting);
    expect(conn.stats.drops).toBe(1);
    expect(conn.retryAt).toBe(timers.now() + RECONNECT_BACKOFF.baseMs);
    timers.advance(RECONNECT_BACKOFF.baseMs - 1);
    expect(sockets).toHaveLength(1);
    timers.advance(1);
    expect(sockets).toHaveLength(2);
    sockets[1].events.open();
    expect(sockets[1].messages()[0]).toEqual({ type: ClientMsg.Hello, version: PROTOCOL_VERSION, resumeToken: "fedcba9876543210fedcba9876543210", logBase: 0, lastSeq: 0, ticket: null });
    sockets[1].receive(welcomeBytes({ resumed: true }));
    sockets[1].receive(snapshotBytes());
    expect(conn.status).toBe(NetStatus.Playing);
    expect(conn.stats.joins).toBe(2);
    expect(statuses.slice(-3)).toEqual([NetStatus.Reconnecting, NetStatus.Joining, NetStatus.Playing]);
  });

  it("backs off exponentially while attempts fail, up to the cap, and starts over after a join", () => {
    const { conn, sockets, timers } = setup(() => 0);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      sockets.at(-1)!.events.close(1006, "");
      delays.push(conn.retryAt - timers.now());
      timers.advance(conn.retryAt - timers.now());
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    join(sockets.at(-1)!);
    sockets.at(-1)!.events.close(1006, "");
    expect(conn.retryAt - timers.now()).toBe(RECONNECT_BACKOFF.baseMs);
  });

  it("jitters each delay within (1 - jitter, 1] of the nominal one", () => {
    const { conn, sockets, timers } = setup(() => 0.999999);
    sockets[0].events.close(1006, "");
    const d = conn.retryAt - timers.now();
    expect(d).toBeGreaterThan(RECONNECT_BACKOFF.baseMs * (1 - RECONNECT_BACKOFF.jitter));
    expect(d).toBeLessThan(RECONNECT_BACKOFF.baseMs * (1 - RECONNECT_BACKOFF.jitter) + 0.01);
  });

  it("gives up for good when the server refuses the protocol version", () => {
    const { conn, sockets, timers } = setup();
    sockets[0].events.open();
    sockets[0].receive(encodeError(w, { reason: RejectReason.BadVersion, commandId: null, fatal: true }).slice());
    sockets[0].events.close(CloseCode.BadVersion, "unsupported protocol version");
    expect(conn.status).toBe(NetStatus.Failed);
    timers.advance(60_000);
    expect(sockets).toHaveLength(1);
  });

  it("drops the socket and rejoins when a server frame does not decode", () => {
    const { conn, sockets, timers } = setup();
    join(sockets[0]);
    sockets[0].receive(new Uint8Array([0x7f, 1, 2, 3]));
    expect(conn.stats.decodeErrors).toBe(1);
    expect(sockets[0].closedWith?.code).toBe(ClientCloseCode.BadFrame);
    expect(conn.status).toBe(NetStatus.Reconnecting);
    // The abandoned socket's own close event changes nothing.
    sockets[0].events.close(ClientCloseCode.BadFrame, "");
    expect(conn.stats.drops).toBe(1);
    timers.advance(RECONNECT_BACKOFF.baseMs);
    expect(sockets).toHaveLength(2);
  });

  it("treats a silent socket as dead, and a join that never completes as failed", () => {
    const { sockets, timers } = setup();
    join(sockets[0]);
    timers.advance(CONNECTION.silenceMs - CONNECTION.heartbeatMs);
    expect(sockets[0].closedWith).toBeNull();
    timers.advance(2 * CONNECTION.heartbeatMs);
    expect(sockets[0].closedWith?.code).toBe(ClientCloseCode.Silent);

    timers.advance(RECONNECT_BACKOFF.baseMs);
    sockets[1].events.open();
    timers.advance(CONNECTION.joinTimeoutMs + CONNECTION.heartbeatMs);
    expect(sockets[1].closedWith?.code).toBe(ClientCloseCode.JoinTimeout);
  });

  it("simulateDrop holds the reconnect for the requested outage", () => {
    const { conn, sockets, timers } = setup();
    join(sockets[0]);
    conn.simulateDrop(3000);
    expect(sockets[0].closedWith?.code).toBe(ClientCloseCode.Simulated);
    timers.advance(2999);
    expect(sockets).toHaveLength(1);
    timers.advance(1);
    expect(sockets).toHaveLength(2);
  });

  it("close() ends it: no reconnect, commands refused", () => {
    const { conn, sockets, timers } = setup();
    join(sockets[0]);
    conn.close();
    expect(conn.status).toBe(NetStatus.Closed);
    expect(sockets[0].closedWith?.code).toBe(ClientCloseCode.Normal);
    timers.advance(60_000);
    expect(sockets).toHaveLength(1);
    expect(conn.sendFire({ commandId: 1, ox: 0, oy: 0, oz: 0, dx: 1, dy: 0, dz: 0, traceparent: null })).toBe(false);
  });

  it("counts non-fatal rejections", () => {
    const { conn, sockets } = setup();
    join(sockets[0]);
    sockets[0].receive(encodeError(w, { reason: RejectReason.FireRate, commandId: 4, fatal: false }).slice());
    expect(conn.stats.rejections).toBe(1);
    expect(conn.status).toBe(NetStatus.Playing);
  });
});

describe("Connection without a socket", () => {
  it("a transport that throws on creation counts as a failed attempt and is retried", () => {
    const timers = new ManualTimers();
    let calls = 0;
    const conn = new Connection({
      url: "ws://game.test/ws",
      timers,
      random: () => 0,
      transport: () => {
        calls++;
        throw new Error("SecurityError");
      },
    });
    conn.start({ message: () => {}, status: () => {} });
    expect(conn.status).toBe(NetStatus.Reconnecting);
    expect(conn.lastCloseCode).toBe(1006);
    timers.advance(RECONNECT_BACKOFF.baseMs);
    expect(calls).toBe(2);
    conn.close();
    timers.advance(60_000);
    expect(calls).toBe(2);
  });
});
