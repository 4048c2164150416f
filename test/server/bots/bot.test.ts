// The bot is the page's network client with an input script on top. What the bot adds itself:
// leaving (or not) when the connection is lost, cutting the socket like a failing network and
// then resuming through the client's own reconnect, and a world-less session for load bots that
// still sees every carve and closes its fire commands.
import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import type { ServerHandle } from "../../../src/server/app.ts";
import { Bot } from "../../../src/server/bots/bot.ts";
import { NetStatus } from "../../../src/client/net/connection.ts";
import { ClientMsg, CloseCode, decodeClientMessage } from "../../../src/shared/protocol/index.ts";
import { aimAtSpawnWall, startTestServer } from "../support.ts";

let server: ServerHandle;
const bots: Bot[] = [];

beforeAll(async () => {
  server = await startTestServer({ npcCount: 0 });
});

// Players stand where they spawn: leave before the next test fires from the same spot.
afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  await server?.stop();
});

async function connect(opts: Omit<Parameters<typeof Bot.connect>[0], "url"> = {}): Promise<Bot> {
  const bot = await Bot.connect({ url: server.wsUrl, ...opts });
  bots.push(bot);
  return bot;
}

describe("Bot", () => {
  it("with reconnect, resumes its player after a dropped socket and numbers its inputs on", async () => {
    const bot = await connect({ trackWorld: false, reconnect: true });
    const entityId = bot.welcome!.entityId;
    let seq = 0;
    for (let i = 0; i < 5; i++) seq = bot.input(0, 1, 0);
    await bot.waitFor(() => bot.ackSeq === seq);

    bot.drop();
    await bot.waitFor(() => bot.connection.status === NetStatus.Reconnecting, 2000);
    await bot.waitFor(() => bot.connection.stats.joins === 2, 10_000);
    expect(bot.welcome!.resumed).toBe(true);
    expect(bot.welcome!.entityId).toBe(entityId);
    // The drop was the bot's own: not a loss, and the bot is still in the game.
    expect(bot.losses).toEqual([]);
    expect(bot.closed).toBeNull();
    const next = bot.input(0, -1, 0);
    expect(next).toBe(seq + 1);
    await bot.waitFor(() => bot.ackSeq === next);
  });

  it("with reconnect, records a close it did not ask for as a loss and keeps playing", async () => {
    const bot = await connect({ trackWorld: false, reconnect: true });
    // A frame over the server's limit: the server closes with 1009 and evicts the player.
    bot.sendRaw(new Uint8Array(64 * 1024 + 1));
    await bot.waitFor(() => bot.losses.length > 0, 5000);
    expect(bot.losses).toEqual([CloseCode.TooBig]);
    await bot.waitFor(() => bot.connection.stats.joins === 2, 10_000);
    expect(bot.welcome!.resumed).toBe(false);
    expect(bot.closed).toBeNull();
  });

  it("without reconnect, leaves on the first loss and says why", async () => {
    const bot = await connect({ trackWorld: false });
    bot.sendRaw(new Uint8Array(64 * 1024 + 1));
    await bot.waitFor(() => bot.closed, 5000);
    expect(bot.closed).toEqual({ code: CloseCode.TooBig });
    expect(bot.connection.status).toBe(NetStatus.Closed);
    expect(bot.losses).toEqual([]);
  });

  it("without a world copy, still sees every carve and the server's answer to its shots", async () => {
    const light = await connect({ trackWorld: false });
    // Out of the spawn spot, where the tracker's shots would start inside its capsule.
    // Paced at the tick rate: the server refuses movement faster than real time.
    const x0 = light.self.x;
    for (let i = 0; i < 15; i++) {
      light.input(1, 0, Math.PI / 2);
      await new Promise((r) => setTimeout(r, 1000 / 30));
    }
    await light.waitFor(() => light.self.x < x0 - 2);
    const tracker = await connect();
    expect(light.session.sync.world).toBeNull();
    expect(() => light.checksum()).toThrow(/does not track/);
    const before = light.carveCount;
    let commandId = -1;
    for (let attempt = 0; attempt < 10 && tracker.carves.every((c) => c.commandId !== commandId); attempt++) {
      commandId = tracker.fire(...aimAtSpawnWall(tracker));
      await tracker.waitFor(() => tracker.session.authority.pendingCount === 0, 5000);
      await new Promise((r) => setTimeout(r, 300));
    }
    await light.waitFor(() => light.carveCount > before, 5000);
    // The world-less session counted the carve without applying it; the tracker applied it.
    expect(light.session.sync.stats.editSets).toBeGreaterThan(0);
    expect(light.session.authority.carvesApplied).toBe(light.carveCount);
    expect(tracker.checksum()).toBe(server.checksum());
    // Its own shot, straight up into open sky, is closed by its projectile's end.
    const own = light.fire(0, 1, 0);
    expect(own).toBeGreaterThan(0);
    await light.waitFor(() => light.session.authority.commands.confirmed === 1, 5000);
    expect(light.session.authority.pendingCount).toBe(0);
  });

  it("sends the handshake headers and the first resume token it is given", async () => {
    // A bare WebSocket server that records the upgrade request and the first frame.
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    const seen = new Promise<{ headers: IncomingHttpHeaders; first: Uint8Array }>((resolve) => {
      wss.once("connection", (ws, req) => ws.once("message", (data: Buffer) => resolve({ headers: req.headers, first: new Uint8Array(data) })));
    });
    const token = "c0ffee00c0ffee00c0ffee00c0ffee00";
    const bot = Bot.open({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`, headers: { "X-Player-Name": "bot_7" }, resumeToken: token });
    try {
      const { headers, first } = await seen;
      expect(headers["x-player-name"]).toBe("bot_7");
      const hello = decodeClientMessage(first);
      expect(hello.ok && hello.msg.type === ClientMsg.Hello ? hello.msg.resumeToken : null).toBe(token);
    } finally {
      await bot.close();
      for (const c of wss.clients) c.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
