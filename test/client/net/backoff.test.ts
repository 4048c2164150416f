import { describe, expect, it } from "vitest";
import { BACKOFF, backoffDelay } from "../../../src/client/net/backoff.ts";
import { netStatusText } from "../../../src/client/net/status-text.ts";
import { NetStatus } from "../../../src/client/net/connection.ts";
import { gameSocketUrl } from "../../../src/client/net/transport.ts";

describe("backoffDelay", () => {
  it("doubles from the base up to the cap without jitter", () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((a) => backoffDelay(a, none))).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it("scales each delay into (1 - jitter, 1] of the nominal delay", () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let attempt = 0; attempt < 10; attempt++) {
      const nominal = backoffDelay(attempt, () => 0);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, random);
        expect(d).toBeGreaterThan(nominal * (1 - BACKOFF.jitter));
        expect(d).toBeLessThanOrEqual(nominal);
      }
    }
  });

  it("treats negative or fractional attempts as the first ones", () => {
    expect(backoffDelay(-3, () => 0)).toBe(BACKOFF.baseMs);
    expect(backoffDelay(1.7, () => 0)).toBe(BACKOFF.baseMs * 2);
  });
});

describe("gameSocketUrl", () => {
  it("uses the page's host and a matching scheme", () => {
    expect(gameSocketUrl({ protocol: "http:", host: "127.0.0.1:8080" })).toBe("ws://127.0.0.1:8080/ws");
    expect(gameSocketUrl({ protocol: "https:", host: "game.example" })).toBe("wss://game.example/ws");
  });
});

describe("netStatusText", () => {
  it("has nothing to say while playing and a final error when the client is out of date", () => {
    expect(netStatusText(NetStatus.Playing, true, 0, Number.NaN)).toBeNull();
    expect(netStatusText(NetStatus.Failed, true, 0, Number.NaN)?.error).toBe(true);
  });

  it("tells a reconnection from a first connection and says when the next try is", () => {
    const again = netStatusText(NetStatus.Reconnecting, true, 3, 1200);
    expect(again?.title).toMatch(/Reconnecting/);
    expect(again?.body).toMatch(/attempt 3, next try in 2 s/);
    const never = netStatusText(NetStatus.Reconnecting, false, 1, Number.NaN);
    expect(never?.title).toMatch(/Cannot reach/);
    expect(never?.body).toMatch(/trying now/);
    expect(never?.error).toBe(false);
  });
});
