import { describe, expect, it } from "vitest";
import { netStatusText } from "../../../src/client/net/status-text.ts";
import { NetStatus } from "../../../src/client/net/connection.ts";
import { gameSocketUrl } from "../../../src/client/net/transport.ts";

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
