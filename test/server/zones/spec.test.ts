// The zone settings and edge geometry: pure logic.
import { describe, expect, it } from "vitest";
import { ConfigError, loadServerConfig, resolveServerConfig } from "../../../src/server/config.ts";
import { arrivalPoint, pushBack, pushedEdge } from "../../../src/server/zones/edges.ts";
import { describeCoord, parseCoordSpec, parseZoneLinks } from "../../../src/server/zones/spec.ts";
import { startTestServer } from "../support.ts";
import { Bot } from "../../../src/server/bots/bot.ts";
import { CloseCode } from "../../../src/shared/protocol/index.ts";

describe("zone settings", () => {
  it("parses COORD and ZONE_LINKS, and names what is wrong", () => {
    expect(parseCoordSpec("local")).toEqual({ kind: "local" });
    expect(parseCoordSpec(" redis://127.0.0.1:6379 ")).toEqual({ kind: "redis", url: "redis://127.0.0.1:6379" });
    expect(parseCoordSpec("redis://")).toMatch(/not a valid/);
    expect(parseCoordSpec("etcd://x")).toMatch(/expected local or redis/);
    expect(describeCoord({ kind: "redis", url: "redis://user:secret@h:1" })).toBe("redis://h:1");
    expect(parseZoneLinks("")).toEqual({});
    expect(parseZoneLinks("east=zone-1, west=zone-0")).toEqual({ east: "zone-1", west: "zone-0" });
    expect(parseZoneLinks("up=zone-1")).toMatch(/edge one of east, west, north, south/);
    expect(parseZoneLinks("east=Zone 1")).toMatch(/must match/);
    expect(parseZoneLinks("east=a,east=b")).toMatch(/linked twice/);
    expect(parseZoneLinks("east=z0", "z0")).toMatch(/itself/);
  });

  it("refuses links without a coordinator, links to itself, and a bad COORD at start", () => {
    expect(() => resolveServerConfig({ zoneLinks: "east=zone-1" })).toThrow(/COORD=redis/);
    expect(() => resolveServerConfig({ zone: "zone-1", coord: "redis://127.0.0.1:1", zoneLinks: "east=zone-1" })).toThrow(/itself/);
    expect(() => loadServerConfig({ COORD: "zookeeper" })).toThrow(ConfigError);
    expect(() => loadServerConfig({ PUBLIC_URL: "http://x" })).toThrow(/PUBLIC_URL/);
    expect(loadServerConfig({ COORD: "redis://127.0.0.1:6379", ZONE_LINKS: "west=z0", ZONE: "z1" }).zoneLinks).toBe("west=z0");
  });
});

describe("zone edges", () => {
  const MAX = 64;
  it("tells which edge a player pushes against, only when at it and pushing out", () => {
    const east = -Math.PI / 2;
    expect(pushedEdge(MAX - 0.3, 10, MAX, MAX, 1, 0, east)).toBe("east");
    expect(pushedEdge(MAX - 3, 10, MAX, MAX, 1, 0, east)).toBeNull();
    expect(pushedEdge(MAX - 0.3, 10, MAX, MAX, -1, 0, east)).toBeNull();
    expect(pushedEdge(0.3, 10, MAX, MAX, 1, 0, Math.PI / 2)).toBe("west");
    expect(pushedEdge(10, 0.3, MAX, MAX, 1, 0, 0)).toBe("north");
    expect(pushedEdge(10, MAX - 0.3, MAX, MAX, 1, 0, Math.PI)).toBe("south");
    // Strafing along the wall is not pushing through it; no input is not either.
    expect(pushedEdge(MAX - 0.3, 10, MAX, MAX, 0, 1, 0)).toBe("east");
    expect(pushedEdge(MAX - 0.3, 10, MAX, MAX, 1, 0, 0)).toBeNull();
    expect(pushedEdge(MAX - 0.3, 10, MAX, MAX, 0, 0, east)).toBeNull();
    expect(pushedEdge(MAX - 0.3, 10, MAX, MAX, Number.NaN, 0, east)).toBeNull();
  });

  it("places an arrival just inside the opposite edge, and a refused player back inside its own", () => {
    expect(arrivalPoint("east", MAX - 0.3, 20, MAX, MAX)).toEqual({ x: 1.5, z: 20 });
    expect(arrivalPoint("west", 0.3, 20, MAX, MAX)).toEqual({ x: MAX - 1.5, z: 20 });
    expect(arrivalPoint("north", 7, 0.3, MAX, MAX)).toEqual({ x: 7, z: MAX - 1.5 });
    expect(arrivalPoint("south", 7, MAX - 0.3, MAX, MAX)).toEqual({ x: 7, z: 1.5 });
    expect(pushBack("east", MAX - 0.3, 20, MAX, MAX)).toEqual({ x: MAX - 1.5, z: 20 });
    expect(pushBack("north", 7, 0.3, MAX, MAX)).toEqual({ x: 7, z: 1.5 });
  });
});

describe("a ticket where there are no zones (COORD=local)", () => {
  it("is refused with the bad-ticket close code; the server keeps serving", async () => {
    const server = await startTestServer();
    try {
      const bot = await Bot.connect({ url: server.wsUrl, ticket: "0123456789abcdef0123456789abcdef", timeoutMs: 5000 }).catch((e: unknown) => e as Error);
      expect(bot).toBeInstanceOf(Error);
      expect((bot as Error).message).toContain(String(CloseCode.BadTicket));
      const ok = await Bot.connect({ url: server.wsUrl, trackWorld: false });
      expect(ok.joined).toBe(true);
      await ok.close();
      expect(server.running()).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
