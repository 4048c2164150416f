// Bad input gets a clear answer, never a crash: each kind of abuse is rejected and counted by
// class (and closes the socket with a specific code where continuing makes no sense), and
// afterwards the server still ticks, the world is unchanged and a bystander bot is unaffected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerHandle } from "../../src/server/app.ts";
import { Bot } from "../../src/server/bots/bot.ts";
import {
  ByteWriter,
  encodeHello,
  ClientMsg,
  CloseCode,
  encodeInput,
  PROTOCOL_VERSION,
  RejectReason,
} from "../../src/shared/protocol/index.ts";
import { MOVE } from "../../src/shared/physics/movement.ts";
import type { ErrorClass } from "../../src/server/telemetry/facade.ts";
import { startTestServer } from "./support.ts";

describe("bad input", () => {
  let server: ServerHandle;
  let bystander: Bot;
  let checksum = 0;
  const w = new ByteWriter();

  beforeAll(async () => {
    server = await startTestServer();
    bystander = await Bot.connect({ url: server.wsUrl });
    checksum = server.checksum();
    expect(bystander.checksum()).toBe(checksum);
  });

  afterAll(async () => {
    await bystander.close();
    await server.stop();
  });

  /** Runs `abuse` and checks the class counter rose, the loop ticks, the world and the bystander are fine. */
  async function expectContained(cls: ErrorClass, abuse: () => Promise<void>): Promise<void> {
    const errorsBefore = server.stats().errors[cls];
    const tickBefore = server.game.tick;
    const bystanderTick = bystander.tick;
    await abuse();
    await server.waitForTicks(3);
    expect(server.stats().errors[cls]).toBeGreaterThan(errorsBefore);
    expect(server.running()).toBe(true);
    expect(server.game.tick).toBeGreaterThan(tickBefore);
    expect(server.checksum()).toBe(checksum);
    await bystander.waitFor(() => bystander.tick > bystanderTick);
    expect(bystander.closed).toBeNull();
    expect(bystander.checksum()).toBe(checksum);
    expect(bystander.decodeErrors).toBe(0);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  }

  it("malformed frame: truncated input is rejected as malformed_frame", async () => {
    const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
    await expectContained("malformed_frame", async () => {
      const frame = encodeInput(w, { seq: 1, dt: 1 / 30, forward: 1, right: 0, yaw: 0, pitch: 0, buttons: 0 });
      bot.sendRaw(frame.slice(0, 7));
      await bot.waitFor(() => bot.errors.find((e) => e.reason === RejectReason.MalformedFrame));
    });
    expect(bot.closed).toBeNull();
    await bot.close();
  });

  it("unknown message type is rejected as unknown_message", async () => {
    const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
    await expectContained("unknown_message", async () => {
      bot.sendRaw(new Uint8Array([0x7e, 1, 2, 3]));
      await bot.waitFor(() => bot.errors.find((e) => e.reason === RejectReason.UnknownMessage));
    });
    await bot.close();
  });

  it("a frame over 64 KiB closes the socket with 1009", async () => {
    const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
    await expectContained("oversized_frame", async () => {
      const big = new Uint8Array(64 * 1024 + 1);
      big[0] = ClientMsg.Input;
      bot.sendRaw(big);
      await bot.waitFor(() => bot.closed);
    });
    expect(bot.closed?.code).toBe(CloseCode.TooBig);
  });

  it("NaN and Infinity in an input are rejected as non_finite and never move the player", async () => {
    const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
    const entity = server.game.entities.byId(bot.welcome!.entityId)!;
    const x0 = entity.move.x;
    const z0 = entity.move.z;
    await expectContained("non_finite", async () => {
      bot.sendRaw(encodeInput(w, { seq: 1, dt: 1 / 30, forward: NaN, right: 0, yaw: 0, pitch: 0, buttons: 0 }).slice());
      bot.sendRaw(encodeInput(w, { seq: 2, dt: Infinity, forward: 1, right: 0, yaw: 0, pitch: 0, buttons: 0 }).slice());
      bot.sendRaw(encodeInput(w, { seq: 3, dt: 1 / 30, forward: 1, right: 0, yaw: -Infinity, pitch: 0, buttons: 0 }).slice());
      await bot.waitFor(() => bot.errors.find((e) => e.reason === RejectReason.NonFinite));
    });
    expect(server.stats().errors.non_finite).toBeGreaterThanOrEqual(3);
    expect(entity.move.x).toBe(x0);
    expect(entity.move.z).toBe(z0);
    expect(bot.ackSeq).toBe(0);
    await bot.close();
  });

  it("movement faster than allowed is rejected (time budget) and clamped (axes), and counted", async () => {
    const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
    const entity = server.game.entities.byId(bot.welcome!.entityId)!;
    const x0 = entity.move.x;
    const z0 = entity.move.z;
    const t0 = performance.now();
    let seq = 0;
    await expectContained("speed_violation", async () => {
      // 40 inputs of 0.1 s at once = 4 s of running in a burst, plus one huge dt and one 10x axis.
      for (let i = 0; i < 40; i++) seq = bot.input(1, 0, Math.PI / 2, { dt: 0.1 });
      seq = bot.input(1, 0, Math.PI / 2, { dt: 5 });
      seq = bot.input(10, 0, Math.PI / 2);
      await bot.waitFor(() => bot.ackSeq === seq);
      await bot.waitFor(() => bot.errors.find((e) => e.reason === RejectReason.SpeedViolation));
    });
    const elapsed = (performance.now() - t0) / 1000;
    const moved = Math.hypot(entity.move.x - x0, entity.move.z - z0);
    // The budget refills with the server's clock: at most the elapsed time plus the bankable 0.25 s.
    expect(moved).toBeLessThanOrEqual(MOVE.walkSpeed * (elapsed + 0.25) + 0.01);
    expect(moved).toBeLessThan(MOVE.walkSpeed * 4 * 0.5);
    expect(server.stats().errors.speed_violation).toBeGreaterThanOrEqual(2);
    await bot.close();
  });

  it("fire faster than the weapon allows is rejected per command and counted", async () => {
    const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
    const shots = server.stats().shots;
    const ids: number[] = [];
    await expectContained("fire_rate", async () => {
      // Straight up into open sky, so the one accepted shot carves nothing.
      for (let i = 0; i < 10; i++) ids.push(bot.fire(0, 1, 0));
      await bot.waitFor(() => bot.errors.filter((e) => e.reason === RejectReason.FireRate).length === 9);
    });
    expect(server.stats().shots).toBe(shots + 1);
    const rejected = bot.errors.filter((e) => e.reason === RejectReason.FireRate).map((e) => e.commandId);
    expect(rejected).toEqual(ids.slice(1));
    await bot.close();
  });

  it("a command flood is rate limited, counted, then closed with 4029", async () => {
    const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
    await expectContained("rate_limited", async () => {
      for (let i = 0; i < 3000 && bot.closed === null; i++) bot.ping();
      await bot.waitFor(() => bot.closed, 10000);
    });
    expect(bot.closed?.code).toBe(CloseCode.RateLimited);
    expect(bot.errors.some((e) => e.reason === RejectReason.RateLimited)).toBe(true);
  });

  it("a hello with another protocol version is refused with 4001", async () => {
    await expect(Bot.connect({ url: server.wsUrl, trackWorld: false, protocolVersion: PROTOCOL_VERSION + 1 })).rejects.toThrow(/4001/);
    expect(server.stats().errors.bad_version).toBeGreaterThanOrEqual(1);
  });

  it("a client of the previous protocol version (1) is told so and closed with 4001", async () => {
    expect(PROTOCOL_VERSION).toBeGreaterThan(1);
    const old = await Bot.raw(server.wsUrl);
    old.sendRaw(encodeHello(new ByteWriter(), { version: 1, resumeToken: null }).slice());
    await old.waitFor(() => old.closed, 5000);
    expect(old.closed?.code).toBe(CloseCode.BadVersion);
    expect(old.errors.map((e) => [e.reason, e.fatal])).toEqual([[RejectReason.BadVersion, true]]);
  });

  it("repeated garbage closes the session with 4002 after the strike limit", async () => {
    const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
    await expectContained("malformed_frame", async () => {
      for (let i = 0; i < server.config.maxProtocolStrikes; i++) bot.sendRaw(new Uint8Array([ClientMsg.Fire, 1]));
      await bot.waitFor(() => bot.closed);
    });
    expect(bot.closed?.code).toBe(CloseCode.ProtocolViolation);
  });
});
