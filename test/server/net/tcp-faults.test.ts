// TCP-level faults against the real server (startGame: game port and metrics/debug listener on
// loopback). For every route of both listeners (the game page, /healthz, /ws, an unknown path
// with an upgrade, the ingest, the OTLP relay, the Sentry tunnel, /metrics and the debug pages)
// clients send a prefix of a request (1 byte, half, all of it) and then reset or half-close the
// connection after a short delay. Afterwards the server is still up, /healthz and /metrics answer
// 200, a bot joins and plays (its shots carve the wall it sees), and the socket error counters
// of both listeners have risen. The issue's own crash (a reset after the 404 of an upgrade to an
// unknown path, five times) is replayed first. Last, the relay's and the tunnel's upstream
// requests hit an upstream that resets every connection: answered 502, counted as "forward".
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upgradeRequest } from "../../../src/server/bots/hostile.ts";
import {
  cleanup,
  connectBots,
  parseExposition,
  play,
  startAcceptanceGame,
  total,
  waitUntil,
} from "../acceptance/harness.ts";
import type { AcceptanceGame } from "../acceptance/harness.ts";

const BODY = JSON.stringify({ padding: "x".repeat(600) });

function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n`;
}
function post(path: string, type: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`;
}

const ROUTES: { name: string; listener: "game" | "metrics"; request: string }[] = [
  { name: "the game page", listener: "game", request: get("/") },
  { name: "/healthz", listener: "game", request: get("/healthz") },
  { name: "/ws", listener: "game", request: upgradeRequest("/ws") },
  { name: "an unknown path with an upgrade", listener: "game", request: upgradeRequest("/") },
  { name: "the ingest config", listener: "game", request: get("/telemetry/v1/config") },
  { name: "the breadcrumb ingest", listener: "game", request: post("/telemetry/v1/breadcrumbs", "application/json") },
  { name: "the OTLP relay", listener: "game", request: post("/v1/traces", "application/json") },
  { name: "the Sentry tunnel", listener: "game", request: post("/telemetry/sentry", "application/x-sentry-envelope") },
  { name: "/metrics", listener: "metrics", request: get("/metrics") },
  { name: "/debug/tracez", listener: "metrics", request: get("/debug/tracez") },
  { name: "/debug/crashes", listener: "metrics", request: get("/debug/crashes") },
];
const PREFIXES = [["1 byte", () => 1], ["half", (n: number) => Math.floor(n / 2)], ["all", (n: number) => n]] as const;
const ENDINGS = ["reset", "half-close"] as const;

/** Connects, writes `bytes`, waits `delayMs`, then resets or half-closes; resolves when the socket is gone. */
function fault(port: number, bytes: Buffer, ending: (typeof ENDINGS)[number], delayMs = 30): Promise<void> {
  return new Promise((resolve) => {
    const s: Socket = connect(port, "127.0.0.1");
    s.on("error", () => {});
    s.resume();
    const giveUp = setTimeout(() => s.destroy(), 3000);
    s.once("close", () => {
      clearTimeout(giveUp);
      resolve();
    });
    s.once("connect", () => {
      s.write(bytes);
      setTimeout(() => {
        if (ending === "reset") s.resetAndDestroy();
        else s.end();
      }, delayMs);
    });
  });
}

/** Sends `request`, waits for the first bytes of the answer, then resets (the reproduction). */
function resetAfterAnswer(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => s.write(request));
    s.on("error", () => {});
    s.once("data", (d: Buffer) => {
      s.resetAndDestroy();
      resolve(d.toString("latin1").split("\r\n")[0]);
    });
  });
}

describe("TCP faults on every route", () => {
  let g: AcceptanceGame;
  let distDir: string;
  const socketErrors = async (listener: string): Promise<number> =>
    total(parseExposition(await g.scrape()), "game_net_socket_errors_total", { listener });

  beforeAll(async () => {
    distDir = mkdtempSync(join(tmpdir(), "voxel-dist-"));
    writeFileSync(join(distDir, "index.html"), `<!doctype html><title>voxel</title><p>${"x".repeat(2000)}</p>`);
    g = await startAcceptanceGame({ CLIENT_TELEMETRY: "true" }, { server: { distDir } });
  });

  afterAll(async () => {
    await cleanup();
    rmSync(distDir, { recursive: true, force: true });
  });

  it("survives resets after the 404 of an upgrade to an unknown path (the reported crash)", async () => {
    for (let i = 0; i < 5; i++) expect(await resetAfterAnswer(g.game.port, upgradeRequest("/"))).toBe("HTTP/1.1 404 Not Found");
    await g.game.waitForTicks(3);
    expect(g.game.running()).toBe(true);
    expect((await fetch(`${g.game.url}/healthz`)).status).toBe(200);
  });

  it("survives a prefix of every request, reset or half-closed, on both listeners", async () => {
    const before = { game: await socketErrors("game"), metrics: await socketErrors("metrics") };
    const metricsPort = Number(new URL(g.metricsUrl).port);
    for (const route of ROUTES) {
      const bytes = Buffer.from(route.request, "latin1");
      const port = route.listener === "game" ? g.game.port : metricsPort;
      const runs: Promise<void>[] = [];
      for (const [, cut] of PREFIXES) for (const ending of ENDINGS) runs.push(fault(port, bytes.subarray(0, cut(bytes.length)), ending));
      await Promise.all(runs);
      expect(g.game.running(), `after ${route.name}`).toBe(true);
    }

    // Still up, still answering, still playable.
    await g.game.waitForTicks(3);
    expect(g.game.running()).toBe(true);
    expect((await fetch(`${g.game.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${g.metricsUrl}/metrics`)).status).toBe(200);
    const [bot] = await connectBots(g.game.wsUrl, 1, { trackWorld: true });
    const loop = play([bot], { fireEveryMs: 250 });
    await waitUntil("the bot's shots to carve", 15_000, () => bot.carves.length > 0);
    loop.stop();
    const tick = bot.tick;
    await bot.waitFor(() => bot.tick > tick + 10);
    expect(bot.closed).toBeNull();
    expect(bot.decodeErrors).toBe(0);
    await g.game.waitForTicks(3);
    expect(bot.checksum()).toBe(g.game.checksum());

    // Every fault was counted on the listener it hit.
    expect(await socketErrors("game")).toBeGreaterThan(before.game);
    expect(await socketErrors("metrics")).toBeGreaterThan(before.metrics);
    const e = parseExposition(await g.scrape());
    expect(total(e, "game_net_socket_errors_total", { listener: "game", stage: "http", code: "econnreset" })).toBeGreaterThan(0);
    expect(total(e, "game_net_socket_errors_total", { listener: "game", stage: "http", code: "parse" })).toBeGreaterThan(0);
  });
});

describe("upstream faults", () => {
  let g: AcceptanceGame;
  let upstream: Server;

  beforeAll(async () => {
    // An upstream that accepts and resets every connection at once.
    upstream = createServer((s) => {
      s.on("error", () => {});
      s.resetAndDestroy();
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    g = await startAcceptanceGame({ CLIENT_TELEMETRY: "true", OTLP_ENDPOINT: url, SENTRY_DSN: `${url.replace("http://", "http://key@")}/7` });
  });

  afterAll(async () => {
    await cleanup();
    await new Promise((r) => upstream.close(r));
  });

  it("answers 502 when the relay's or the tunnel's upstream resets, and counts it at the forward stage", async () => {
    const forward = async (): Promise<number> => total(parseExposition(await g.scrape()), "game_net_socket_errors_total", { listener: "game", stage: "forward" });
    const before = await forward();
    const nowNs = (ms: number): string => String(BigInt(Date.now() + ms) * 1_000_000n);
    const spans = {
      resourceSpans: [{
        resource: { attributes: [{ key: "session.id", value: { stringValue: "tcpfaults0000000000000001" } }] },
        scopeSpans: [{ scope: { name: "c" }, spans: [{ traceId: "a".repeat(32), spanId: "b".repeat(16), name: "client.command", kind: 3, startTimeUnixNano: nowNs(-50), endTimeUnixNano: nowNs(-10) }] }],
      }],
    };
    const relay = await fetch(`${g.game.url}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(spans) });
    expect(relay.status).toBe(502);
    const dsn = `http://key@127.0.0.1:${(upstream.address() as AddressInfo).port}/7`;
    const envelope = `${JSON.stringify({ dsn, event_id: "0".repeat(32) })}\n${JSON.stringify({ type: "event" })}\n${JSON.stringify({ message: "x" })}\n`;
    const tunnel = await fetch(`${g.game.url}/telemetry/sentry`, { method: "POST", headers: { "content-type": "application/x-sentry-envelope" }, body: envelope });
    expect(tunnel.status).toBe(502);
    expect(await forward()).toBe(before + 2);
    expect(g.game.stats().socketErrors.forward).toBe(2);
    expect(total(parseExposition(await g.scrape()), "game_net_socket_errors_total", { listener: "game", stage: "forward", code: "econnreset" })).toBe(2);
    expect((await fetch(`${g.game.url}/healthz`)).status).toBe(200);
  });
});
