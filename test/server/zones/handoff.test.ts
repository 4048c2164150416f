// Zones in a line on a real redis-server and a real PostgreSQL: travelling bots cross both
// boundaries keeping their session, a player is never live in two zones and never lost, a
// hand-off to a dead or full zone is refused within 1.5 s with the player kept, and with Redis
// down the zones keep ticking while hand-offs are refused until it returns.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../../src/server/app.ts";
import type { ServerHandle } from "../../../src/server/app.ts";
import { Bot } from "../../../src/server/bots/bot.ts";
import { Traveller } from "../../../src/server/bots/travel.ts";
import type { Heading } from "../../../src/server/bots/travel.ts";
import { CloseCode } from "../../../src/shared/protocol/index.ts";
import { startPostgres } from "../store/postgres.ts";
import type { TestPostgres } from "../store/postgres.ts";
import { startRedis } from "./redis.ts";
import type { TestRedis } from "./redis.ts";

/** 64x64x128 voxels: the spawn plaza (radius 44) spans the zone east-west, so a walk east is flat. */
const ZONE_WORLD = { chunksX: 2, chunksY: 2, chunksZ: 4 } as const;
const ZONES = ["zone-0", "zone-1", "zone-2"] as const;

function linksOf(i: number, n: number): string {
  const links: string[] = [];
  if (i > 0) links.push(`west=zone-${i - 1}`);
  if (i < n - 1) links.push(`east=zone-${i + 1}`);
  return links.join(",");
}

let redis: TestRedis;
let pg: TestPostgres;
const servers = new Map<string, ServerHandle>();

async function startZone(i: number, extra: Record<string, unknown> = {}): Promise<ServerHandle> {
  const h = await startServer({
    host: "127.0.0.1", port: 0, seed: 100 + i, ...ZONE_WORLD, npcCount: 0, spawnSpread: 0, meshWorkers: 1,
    zone: ZONES[i], coord: redis.url, zoneLinks: linksOf(i, ZONES.length), store: pg.url, directoryTtlMs: 1500,
    ...extra,
  });
  servers.set(ZONES[i], h);
  return h;
}

/** Zones in which the session is a live player right now. */
function zonesOf(sessionId: string): string[] {
  const out: string[] = [];
  for (const [zone, h] of servers) {
    if (!h.running()) continue;
    for (const e of h.game.entities.slots) if (e?.control?.sessionId === sessionId) out.push(zone);
  }
  return out;
}

/** Steps travellers at 30 Hz until `done` or the timeout; checks at every step that no session is live in two zones. */
async function travel(bots: Bot[], headings: Heading[], done: () => boolean, timeoutMs: number): Promise<void> {
  const walkers = bots.map((b, i) => new Traveller(b, headings[i], i + 1));
  const sessions = bots.map((b) => b.welcome!.sessionId);
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`travel timed out; bots in ${bots.map((b) => b.zone).join(", ")}`);
    for (const w of walkers) w.step();
    for (const s of sessions) expect(zonesOf(s).length).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 33));
  }
}

describe("zones in a line (real Redis and PostgreSQL)", () => {
  beforeAll(async () => {
    [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
    for (let i = 0; i < ZONES.length; i++) await startZone(i);
    // Every zone is in the directory before anyone travels.
    const z0 = servers.get("zone-0")!.zones!;
    const deadline = Date.now() + 10_000;
    while ((await z0.coord.listZones()).length < ZONES.length) {
      if (Date.now() > deadline) throw new Error("zones never all appeared in the directory");
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...servers.values()].map((h) => h.stop()));
    await Promise.all([redis?.stop(), pg?.stop()]);
  }, 30_000);

  it("travel bots cross both boundaries with the same session, never in two zones, none lost", async () => {
    const bots = await Promise.all([0, 1, 2].map(() => Bot.connect({ url: servers.get("zone-0")!.wsUrl, trackWorld: true })));
    const ids = bots.map((b) => b.welcome!.sessionId);
    try {
      await travel(bots, ["east", "east", "east"], () => bots.every((b) => b.zone === "zone-2" && b.joined), 60_000);
      for (let i = 0; i < bots.length; i++) {
        const b = bots[i];
        expect(b.transfers).toBe(2);
        expect(b.welcome!.sessionId).toBe(ids[i]);
        expect(b.welcome!.zone).toBe("zone-2");
        expect(zonesOf(ids[i])).toEqual(["zone-2"]);
        // The world is zone-2's own (another seed), rebuilt on arrival and in step with the server.
        expect(b.welcome!.seed).toBe(102);
        expect(b.checksum()).toBe(servers.get("zone-2")!.checksum());
        expect(b.connection.stats.lastTransferMs).toBeLessThan(5000);
      }
      expect(servers.get("zone-0")!.zones!.attempts.filter((a) => a.result === "ok").length).toBe(3);
      expect(servers.get("zone-1")!.zones!.attempts.filter((a) => a.result === "ok").length).toBe(3);
      expect(servers.get("zone-2")!.zones!.admitted).toBe(3);
      // A page served by any zone may follow a Transfer to every zone in the directory (its CSP connect-src).
      const origins = [...servers.values()].map((h) => new URL(h.wsUrl).origin).sort();
      expect(servers.get("zone-0")!.zones!.origins).toEqual(origins);
    } finally {
      await Promise.all(bots.map((b) => b.close()));
    }
  }, 90_000);

  /** Walks a fresh zone-0 bot east until zone-0 records a finished attempt for it; returns that attempt and the bot. */
  async function pushEastUntilAttempt(): Promise<{ bot: Bot; attempt: { result: string; ms: number } }> {
    const z0 = servers.get("zone-0")!;
    const bot = await Bot.connect({ url: z0.wsUrl, trackWorld: true });
    const sid = bot.welcome!.sessionId;
    const before = z0.zones!.attempts.length;
    let found: { result: string; ms: number } | undefined;
    await travel([bot], ["east"], () => (found = z0.zones!.attempts.slice(before).find((a) => a.sessionId === sid)) !== undefined, 30_000);
    return { bot, attempt: found! };
  }

  /** After a refusal: the player is still zone-0's, playing, and was pushed back from the east edge. */
  async function expectStayed(bot: Bot): Promise<void> {
    const sid = bot.welcome!.sessionId;
    expect(zonesOf(sid)).toEqual(["zone-0"]);
    expect(bot.zone).toBe("zone-0");
    expect(bot.closed).toBeNull();
    const maxX = ZONE_WORLD.chunksX * 32;
    const e = servers.get("zone-0")!.game.entities.slots.find((x) => x?.control?.sessionId === sid)!;
    expect(e.control!.frozen).toBe(false);
    // Pushed back 1.5 voxels from the edge (inputs still queued may walk it a little further
    // east again): the client's own state follows the server's.
    await bot.waitFor(() => bot.self.x <= maxX - 1.2, 3000);
  }

  it("a hand-off to a full zone is refused within 1.5 s and the player stays", async () => {
    await servers.get("zone-1")!.stop();
    await startZone(1, { maxPlayers: 1 });
    const occupant = await Bot.connect({ url: servers.get("zone-1")!.wsUrl, trackWorld: false });
    try {
      const { bot, attempt } = await pushEastUntilAttempt();
      try {
        expect(attempt.result).toBe("refused_full");
        expect(attempt.ms).toBeLessThanOrEqual(1500);
        await expectStayed(bot);
      } finally {
        await bot.close();
      }
    } finally {
      await occupant.close();
    }
  }, 60_000);

  it("a hand-off to a dead zone is refused within 1.5 s and the player stays", async () => {
    // Killed a moment ago: its directory entry has not expired yet, so the seat request is sent and never answered.
    await servers.get("zone-1")!.stop();
    const { bot, attempt } = await pushEastUntilAttempt();
    try {
      expect(["timeout", "refused_no_zone"]).toContain(attempt.result);
      expect(attempt.ms).toBeLessThanOrEqual(1500);
      await expectStayed(bot);
    } finally {
      await bot.close();
    }
    await startZone(1);
  }, 60_000);

  it("with Redis down the zones keep ticking and hand-offs are refused; they resume when it returns", async () => {
    const z0 = servers.get("zone-0")!;
    await redis.pause();
    try {
      const ticks = z0.game.tick;
      await z0.waitForTicks(15);
      expect(z0.game.tick).toBeGreaterThanOrEqual(ticks + 15);
      const { bot, attempt } = await pushEastUntilAttempt();
      try {
        expect(attempt.result).toBe("refused_coord_down");
        await expectStayed(bot);
      } finally {
        await bot.close();
      }
    } finally {
      await redis.resume();
    }
    const deadline = Date.now() + 10_000;
    while (!(z0.zones!.coord.up() && (await z0.zones!.coord.listZones()).length === ZONES.length)) {
      if (Date.now() > deadline) throw new Error("zones did not come back to the directory after Redis returned");
      await new Promise((r) => setTimeout(r, 100));
    }
    const bot = await Bot.connect({ url: z0.wsUrl, trackWorld: false });
    try {
      await travel([bot], ["east"], () => bot.zone === "zone-1" && bot.joined, 30_000);
      expect(bot.transfers).toBe(1);
    } finally {
      await bot.close();
    }
  }, 90_000);

  it("carries another zone's downs to this zone's kill feed once, de-duplicating a retried publish", async () => {
    const z1 = servers.get("zone-1")!;
    const bot = await Bot.connect({ url: z1.wsUrl, trackWorld: false });
    const c = redis.client();
    c.on("error", () => {});
    try {
      const fields = ["topic", "kill_feed", "from", "zone-x", "pub", "publisher-x", "seq", "1", "ts", String(Date.now()),
        "p.shooter", "Brisk Heron 7", "p.shooter_kind", "1", "p.shooter_team", "1", "p.target", "Calm Lynx 3", "p.target_kind", "2", "p.target_team", "0"];
      // The same event twice (a publish retried after a timeout), then a later one.
      await c.xadd("voxel:bus", "*", ...fields);
      await c.xadd("voxel:bus", "*", ...fields);
      await c.xadd("voxel:bus", "*", ...fields.map((f, i, a) => (a[i - 1] === "seq" ? "2" : a[i - 1] === "p.target" ? "Keen Wolf 9" : f)));
      await bot.waitFor(() => bot.downs.length >= 2, 5000);
      await new Promise((r) => setTimeout(r, 300));
      expect(bot.downs.map((d) => [d.shooterCallsign, d.targetCallsign, d.shooterId, d.targetId])).toEqual([
        ["Brisk Heron 7", "Calm Lynx 3", 0, 0],
        ["Brisk Heron 7", "Keen Wolf 9", 0, 0],
      ]);
    } finally {
      c.disconnect();
      await bot.close();
    }
  }, 30_000);

  it("admits a ticket once: a made-up or reused ticket is refused (4008) and the zone keeps running", async () => {
    const z0 = servers.get("zone-0")!;
    const z1 = servers.get("zone-1")!;
    const madeUp = await Bot.connect({ url: z1.wsUrl, ticket: "0123456789abcdef0123456789abcdef", timeoutMs: 5000 }).catch((e: unknown) => e as Error);
    expect(madeUp).toBeInstanceOf(Error);
    expect((madeUp as Error).message).toContain(String(CloseCode.BadTicket));
    // A real ticket, taken by its bot, cannot be used again by anyone.
    const bot = await Bot.connect({ url: z0.wsUrl, trackWorld: false });
    try {
      await travel([bot], ["east"], () => bot.zone === "zone-1" && bot.joined, 30_000);
      const ticket = bot.transferMsgs[0]?.ticket ?? "";
      expect(bot.transferMs).toHaveLength(1);
      expect(ticket).toMatch(/^[0-9a-f]{32}$/);
      const reuse = await Bot.connect({ url: z1.wsUrl, ticket, timeoutMs: 5000 }).catch((e: unknown) => e as Error);
      expect(reuse).toBeInstanceOf(Error);
      expect((reuse as Error).message).toContain(String(CloseCode.BadTicket));
      expect(zonesOf(bot.welcome!.sessionId)).toEqual(["zone-1"]);
      expect(z1.running()).toBe(true);
    } finally {
      await bot.close();
    }
  }, 60_000);
});
