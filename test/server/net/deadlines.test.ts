// Deadlines against the real server, with a normal bot playing beside the offenders: slowloris
// headers and a trickling body on the game port, slowloris on the metrics listener, an idle TCP
// connection, a WebSocket that never says hello, a joined player that goes silent, and a client
// that stops reading (its socket backs up in kernel buffers, so only the heartbeat can see it).
// Each is closed within its deadline (plus Node's 1 s deadline check and a little slack), and
// the bot keeps receiving its ~30 frames a second throughout. The game's deadlines are shortened
// here to keep the test quick; the metrics listener runs with its fixed production limits.
import { connect } from "node:net";
import type { Socket } from "node:net";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ByteWriter, encodeHello, PROTOCOL_VERSION } from "../../../src/shared/protocol/index.ts";
import { maskedFrame, upgradeRequest } from "../../../src/server/bots/hostile.ts";
import { METRICS_LISTENER_LIMITS } from "../../../src/server/telemetry/http.ts";
import { cleanup, connectBots, play, startAcceptanceGame, waitUntil } from "../acceptance/harness.ts";
import type { AcceptanceGame } from "../acceptance/harness.ts";

const LIMITS = {
  helloTimeoutMs: 1500,
  heartbeatIntervalMs: 250,
  heartbeatTimeoutMs: 1500,
  inputSilenceMs: 3000,
  httpHeadersTimeoutMs: 1500,
  httpRequestTimeoutMs: 3000,
  httpIdleTimeoutMs: 3000,
};
/** Node checks header/request deadlines once a second; ticks and the event loop add a little. */
const CHECK_MS = 1000;
const SLACK_MS = 1500;

/** A raw TCP client; `closedAt` is set when the server ends the connection. */
interface RawClient {
  readonly socket: Socket;
  readonly openedAt: number;
  closedAt: number | null;
  received: string;
}

function raw(port: number, opts: { read?: boolean } = {}): Promise<RawClient> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const c: RawClient = { socket, openedAt: performance.now(), closedAt: null, received: "" };
    socket.on("error", () => {});
    socket.once("close", () => {
      c.closedAt ??= performance.now();
    });
    if (opts.read !== false) {
      socket.on("data", (d: Buffer) => {
        c.received += d.toString("latin1");
      });
      socket.once("end", () => {
        c.closedAt ??= performance.now();
      });
    }
    socket.once("connect", () => resolve(c));
  });
}

/** Writes `chunks` one by one every `everyMs` until the socket closes. */
function trickle(c: RawClient, first: string, next: () => string, everyMs: number): void {
  c.socket.write(first);
  const t = setInterval(() => {
    if (c.closedAt !== null || c.socket.destroyed) clearInterval(t);
    else c.socket.write(next());
  }, everyMs);
}

describe("deadlines", () => {
  let g: AcceptanceGame;

  beforeAll(async () => {
    g = await startAcceptanceGame({}, { server: LIMITS });
  });
  afterAll(() => cleanup());

  it("closes every kind of stalling client in time while a bot beside them keeps its 30 frames/s", async () => {
    const [bot] = await connectBots(g.game.wsUrl, 1);
    const loop = play([bot], { fireEveryMs: 1000 });
    await bot.waitFor(() => bot.framesIn > 30);
    const frames0 = bot.framesIn;
    const t0 = performance.now();
    const metricsPort = Number(new URL(g.metricsUrl).port);
    const w = new ByteWriter();

    // Slowloris: one more header line every 200 ms, never the blank line.
    const slowHeaders = await raw(g.game.port);
    trickle(slowHeaders, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", () => "X-Slow: 1\r\n", 200);
    const slowMetrics = await raw(metricsPort);
    trickle(slowMetrics, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n", () => "X-Slow: 1\r\n", 200);
    // A body promised at 1000 bytes and sent a byte every 200 ms.
    const slowBody = await raw(g.game.port);
    trickle(slowBody, "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", () => " ", 200);
    // Connected, and not a byte.
    const idle = await raw(g.game.port);
    // A WebSocket that never says hello.
    const silentWs = new WebSocket(g.game.wsUrl);
    let silentWsClose: { code: number; at: number } | null = null;
    silentWs.on("close", (code) => (silentWsClose = { code, at: performance.now() }));
    silentWs.on("error", () => {});
    await new Promise((r) => silentWs.once("open", r));
    const silentWsOpened = performance.now();
    // A player that joins, then sends nothing (its WebSocket library still answers pings).
    const quiet = new WebSocket(g.game.wsUrl);
    let quietClose: { code: number; at: number } | null = null;
    quiet.on("close", (code) => (quietClose = { code, at: performance.now() }));
    quiet.on("error", () => {});
    await new Promise((r) => quiet.once("open", r));
    quiet.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }).slice());
    const quietJoined = performance.now();
    // A client that upgrades, says hello, and never reads a byte after that.
    const heartbeatCloses = g.game.stats().closes.heartbeat_timeout;
    const deaf = await raw(g.game.port, { read: false });
    deaf.socket.pause();
    deaf.socket.write(upgradeRequest("/ws"));
    deaf.socket.write(maskedFrame(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null })));
    let deafClosedAt = 0;

    const headers = LIMITS.httpHeadersTimeoutMs + CHECK_MS + SLACK_MS;
    await waitUntil("every stalling client to be closed", METRICS_LISTENER_LIMITS.headersTimeoutMs + CHECK_MS + 3 * SLACK_MS, () => {
      if (deafClosedAt === 0 && g.game.stats().closes.heartbeat_timeout > heartbeatCloses) deafClosedAt = performance.now();
      return slowHeaders.closedAt !== null && slowMetrics.closedAt !== null && slowBody.closedAt !== null && idle.closedAt !== null
        && silentWsClose !== null && quietClose !== null && deafClosedAt !== 0;
    });

    expect(slowHeaders.closedAt! - slowHeaders.openedAt).toBeLessThan(headers);
    expect(slowHeaders.received).toMatch(/^HTTP\/1\.1 408/);
    expect(idle.closedAt! - idle.openedAt).toBeLessThan(headers);
    expect(slowBody.closedAt! - slowBody.openedAt).toBeLessThan(LIMITS.httpRequestTimeoutMs + CHECK_MS + SLACK_MS);
    expect(slowMetrics.closedAt! - slowMetrics.openedAt).toBeLessThan(METRICS_LISTENER_LIMITS.headersTimeoutMs + CHECK_MS + SLACK_MS);
    expect(slowMetrics.received).toMatch(/^HTTP\/1\.1 408/);
    expect(silentWsClose).toMatchObject({ code: 4003 });
    expect(silentWsClose!.at - silentWsOpened).toBeLessThan(LIMITS.helloTimeoutMs + SLACK_MS);
    expect(quietClose).toMatchObject({ code: 4007 });
    expect(quietClose!.at - quietJoined).toBeLessThan(LIMITS.inputSilenceMs + SLACK_MS);
    expect(quietClose!.at - quietJoined).toBeGreaterThanOrEqual(LIMITS.inputSilenceMs);
    expect(deafClosedAt - deaf.openedAt).toBeLessThan(LIMITS.heartbeatTimeoutMs + LIMITS.heartbeatIntervalMs + SLACK_MS);
    deaf.socket.destroy();

    // The bot beside them never missed a beat.
    const seconds = (performance.now() - t0) / 1000;
    const rate = (bot.framesIn - frames0) / seconds;
    console.log(`bystander: ${rate.toFixed(1)} frames/s over ${seconds.toFixed(1)} s`);
    expect(rate).toBeGreaterThan(25);
    expect(bot.closed).toBeNull();
    loop.stop();

    const closes = g.game.stats().closes;
    expect(closes).toMatchObject({ hello_timeout: 1, input_silence: 1 });
    expect(closes.heartbeat_timeout).toBeGreaterThanOrEqual(1);
    expect(g.game.stats().socketErrors.http).toBeGreaterThanOrEqual(3);
  });
});
