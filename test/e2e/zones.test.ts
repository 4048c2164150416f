// End-to-end: the real page in Debian's Chromium walks from one zone into the next. Two zone
// servers (real processes) coordinate over a real redis-server; the page, served by zone-0 and
// held walking east, is handed to zone-1: it follows the Transfer to zone-1's own origin (which
// the page's CSP allows, from the zone directory), shows "Entering zone", rebuilds zone-1's world
// from its seed, and plays on with the same session.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { worldChecksum } from "../../src/shared/voxel/checksum.ts";
import { generateWorld } from "../../src/shared/voxel/worldgen.ts";
import { startRedis } from "../server/zones/redis.ts";
import type { TestRedis } from "../server/zones/redis.ts";
import { ensureBuilt, launchChromium, openPage, startServer } from "./harness.ts";
import type { GameServer } from "./harness.ts";

/** 64x64x128 voxels: the spawn plaza spans the zone east-west, so the walk east is flat and short. */
const WORLD = { chunksX: 2, chunksY: 2, chunksZ: 4 } as const;
const SEEDS = [501, 502] as const;

let redis: TestRedis;
let dir: string;
const zones: GameServer[] = [];
let browser: Browser;

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "voxel-e2e-zones-"));
  const cfg = join(dir, "world.json");
  writeFileSync(cfg, JSON.stringify(WORLD));
  const common = { COORD: redis.url, TELEMETRY_CONFIG: cfg, NPC_COUNT: "0", SPAWN_SPREAD: "0", DIRECTORY_TTL_MS: "1500" };
  zones.push(await startServer({ ...common, ZONE: "zone-0", ZONE_LINKS: "east=zone-1", WORLD_SEED: String(SEEDS[0]) }));
  zones.push(await startServer({ ...common, ZONE: "zone-1", ZONE_LINKS: "west=zone-0", WORLD_SEED: String(SEEDS[1]) }));
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(zones.map((z) => z.stop()));
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("zones in the browser", () => {
  test("the page walks east out of zone-0 and plays on in zone-1, with zone-1's world and the same session", async () => {
    // Both zones in the directory, so zone-0's page is allowed to connect to zone-1.
    const c = redis.client();
    c.on("error", () => {});
    const deadline = Date.now() + 20_000;
    while ((await c.keys("voxel:zone:*")).length < 2) {
      if (Date.now() > deadline) throw new Error("zones never appeared in the directory");
      await new Promise((r) => setTimeout(r, 200));
    }
    c.disconnect();
    // The directory is read once a second by each zone (its origins go into the page's CSP).
    await new Promise((r) => setTimeout(r, 1500));

    const { page, console: lines } = await openPage(browser);
    await page.goto(`${zones[0].url}?view=2&autotest=1`);
    await page.waitForFunction(() => document.body.dataset.state === "playing", null, { timeout: 150_000, polling: 250 });
    const csp = (await page.evaluate(async () => (await fetch(location.href)).headers.get("content-security-policy"))) ?? "";
    expect(csp).toContain(new URL(zones[1].url).host);
    const before = await page.evaluate(() => window.__game!.net()!);
    expect(before.zone).toBe("zone-0");

    // Face east (yaw -pi/2: forward is +x) and hold W until zone-1 has taken the player.
    await page.evaluate(() => window.__game!.aim(-Math.PI / 2, 0));
    await page.keyboard.down("KeyW");
    const seen = new Set<string>();
    try {
      await page.waitForFunction(
        () => {
          const n = window.__game!.net();
          return n !== null && n.zone === "zone-1" && n.status === "playing" && n.world.rebuilds >= 1;
        },
        null,
        { timeout: 120_000, polling: 100 },
      );
    } catch (err) {
      throw new Error(`page never played in zone-1: ${JSON.stringify(await page.evaluate(() => window.__game!.net()))}\nconsole:\n${lines.join("\n")}`, { cause: err });
    } finally {
      await page.keyboard.up("KeyW");
    }
    for (const l of lines) seen.add(l);
    const after = await page.evaluate(() => window.__game!.net()!);
    expect(after.sessionId).toBe(before.sessionId);
    expect(after.stats.transfers).toBe(1);
    expect(after.stats.lastTransferMs).toBeGreaterThan(0);
    // zone-1's own world (its seed), rebuilt on the page and in step with the server's (nothing carved).
    await page.evaluate(() => window.__game!.settle());
    const expected = worldChecksum(generateWorld({ seed: SEEDS[1], ...WORLD }).world);
    expect(await page.evaluate(() => window.__game!.checksum())).toBe(expected);
    expect([...seen].filter((l) => /Content Security Policy|Refused to connect/i.test(l))).toEqual([]);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe("playing");
  }, 300_000);
});
