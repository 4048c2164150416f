// Connection caps on both listeners: past the per-address cap, and past the total cap, new
// connections are answered 503 (HTTP, and the WebSocket upgrade too) instead of being accepted
// without bound; other addresses are not affected by one address's cap; the refusals are
// counted by reason; and once connections close, new ones are served again. Distinct client
// addresses come from the 127.0.0.0/8 loopback range.
import { get } from "node:http";
import { connect } from "node:net";
import type { Socket } from "node:net";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRICS_LISTENER_LIMITS } from "../../../src/server/telemetry/http.ts";
import { cleanup, parseExposition, startAcceptanceGame, total, waitUntil } from "../acceptance/harness.ts";
import type { AcceptanceGame } from "../acceptance/harness.ts";

const CAPS = { maxConnections: 6, maxConnectionsPerAddress: 3 };

/** Opens `n` idle TCP connections from `from` and resolves once they are connected. */
async function hold(port: number, from: string, n: number): Promise<Socket[]> {
  return Promise.all(Array.from({ length: n }, () => new Promise<Socket>((resolve) => {
    const s = connect({ port, host: "127.0.0.1", localAddress: from }, () => resolve(s));
    s.on("error", () => {});
  })));
}

/** GET `path` on a fresh connection from `from`; resolves with the status and Retry-After. */
function status(port: number, path: string, from: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port, path, localAddress: from, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined });
    });
    req.on("error", reject);
  });
}

/** Opens a WebSocket from `from`; resolves with "open" or the HTTP status that refused it. */
function wsOutcome(url: string, from: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress: from });
    ws.on("open", () => {
      ws.terminate();
      resolve("open");
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(String(res.statusCode));
      res.resume();
      ws.terminate();
    });
    ws.on("error", () => {});
  });
}

describe("connection caps", () => {
  let g: AcceptanceGame;
  const held: Socket[] = [];

  beforeAll(async () => {
    g = await startAcceptanceGame({}, { server: CAPS });
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await cleanup();
  });

  it("answers 503 past the per-address cap, for that address only", async () => {
    const port = g.game.port;
    held.push(...await hold(port, "127.0.0.1", CAPS.maxConnectionsPerAddress));
    await waitUntil("the held connections", 2000, () => g.game.openConnections() === CAPS.maxConnectionsPerAddress);

    const refused = await status(port, "/healthz", "127.0.0.1");
    expect(refused).toEqual({ status: 503, retryAfter: "5" });
    expect(await wsOutcome(g.game.wsUrl, "127.0.0.1")).toBe("503");
    expect((await status(port, "/healthz", "127.0.0.2")).status).toBe(200);
    expect(await wsOutcome(g.game.wsUrl, "127.0.0.2")).toBe("open");
    expect(g.game.stats().refused.address_limit).toBe(2);
  });

  it("answers 503 past the total cap, whatever the address", async () => {
    const port = g.game.port;
    await waitUntil("the refused connections to close", 3000, () => g.game.openConnections() === CAPS.maxConnectionsPerAddress);
    held.push(...await hold(port, "127.0.0.2", CAPS.maxConnections - CAPS.maxConnectionsPerAddress));
    await waitUntil("a full server", 2000, () => g.game.openConnections() === CAPS.maxConnections);
    expect((await status(port, "/healthz", "127.0.0.3")).status).toBe(503);
    expect(await wsOutcome(g.game.wsUrl, "127.0.0.4")).toBe("503");
    expect(g.game.stats().refused.total_limit).toBe(2);
    const e = parseExposition(await g.scrape());
    expect(total(e, "game_net_connections_refused_total", { listener: "game", reason: "total_limit" })).toBe(2);
    expect(total(e, "game_net_connections_refused_total", { listener: "game", reason: "address_limit" })).toBe(2);
    expect(total(e, "game_net_connections_open", { listener: "game" })).toBeGreaterThanOrEqual(CAPS.maxConnections);
  });

  it("serves again once connections close", async () => {
    for (const s of held.splice(0)) s.destroy();
    await waitUntil("the held connections to close", 3000, () => g.game.openConnections() === 0);
    expect((await status(g.game.port, "/healthz", "127.0.0.1")).status).toBe(200);
    expect(await wsOutcome(g.game.wsUrl, "127.0.0.1")).toBe("open");
  });

  it("caps the metrics listener per address too", async () => {
    const port = Number(new URL(g.metricsUrl).port);
    held.push(...await hold(port, "127.0.0.5", METRICS_LISTENER_LIMITS.maxConnectionsPerAddress));
    await new Promise((r) => setTimeout(r, 100));
    expect((await status(port, "/metrics", "127.0.0.5")).status).toBe(503);
    expect((await status(port, "/metrics", "127.0.0.1")).status).toBe(200);
    const e = parseExposition(await g.scrape());
    expect(total(e, "game_net_connections_refused_total", { listener: "metrics", reason: "address_limit" })).toBe(1);
  });
});
