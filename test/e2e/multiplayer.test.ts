// End-to-end multiplayer: the real game server runs in this process (so the test can read its
// world and stats), serves the built client to Chromium (WebGPU on SwiftShader), and headless
// bots join the same zone. The player clicks, the shot goes through the server, the crater
// shows up on screen, and the page, the server and the bots hold the same world. Then the
// page's connection is cut while a bot carves, and the page rejoins and catches up.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startServer as startGameServer } from "../../src/server/app.ts";
import type { ServerHandle } from "../../src/server/app.ts";
import { Bot } from "../../src/server/bots/bot.ts";
import { PLAYER_MODEL } from "../../src/client/render/entity-models.ts";
import type { CarveMsg } from "../../src/shared/protocol/index.ts";
import { SPAWN_WALL_DID } from "../../src/shared/voxel/worldgen.ts";
import { ensureBuilt, launchChromium, openPage, ROOT, saveArtifact } from "./harness.ts";
import type { WatchedPage } from "./harness.ts";
import { changedFraction, colourStats } from "./image.ts";
import type { Rect } from "./image.ts";
import { decodePng } from "./png.ts";

const LOAD_TIMEOUT = 150_000;
const PAGE_PATH = "/?view=4&autotest=1";
/** The server tests' small world (its spawn wall is in front of the spawn), no NPCs to walk into view, every player on the spawn point. */
const WORLD = { seed: 4242, chunksX: 8, chunksY: 4, chunksZ: 8 } as const;

let server: ServerHandle;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
const bots: Bot[] = [];

beforeAll(async () => {
  ensureBuilt();
  server = await startGameServer({ host: "127.0.0.1", port: 0, ...WORLD, npcCount: 0, spawnSpread: 0, meshWorkers: 1, store: "memory", distDir: join(ROOT, "dist") });
  browser = await launchChromium();
  watched = await openPage(browser);
  page = watched.page;
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await Promise.all(bots.map((b) => b.close()));
  await server?.stop();
});

async function connectBot(): Promise<Bot> {
  const bot = await Bot.connect({ url: server.wsUrl });
  bots.push(bot);
  return bot;
}

/** Sends `n` movement inputs at the tick rate (the server refuses movement faster than real time). */
async function walk(bot: Bot, forward: number, yaw: number, n: number): Promise<void> {
  let seq = 0;
  for (let i = 0; i < n; i++) {
    seq = bot.input(forward, 0, yaw);
    await new Promise((r) => setTimeout(r, 1000 / 30));
  }
  await bot.waitFor(() => bot.ackSeq >= seq);
}

async function settle(): Promise<void> {
  await page.evaluate(() => window.__game?.settle());
}

async function screenshot(name: string) {
  const png = await page.screenshot({ type: "png" });
  console.log(`e2e: screenshot ${saveArtifact(name, png)}`);
  return decodePng(png);
}

/** The page's network report (throws when the page is offline-only). */
async function net() {
  const report = await page.evaluate(() => window.__game!.net());
  if (report === null) throw new Error("the page is not networked");
  return report;
}

describe("multiplayer in Chromium", () => {
  test("a click fires through the server: a projectile flies, the crater shows, and every world agrees", async () => {
    const t0 = Date.now();
    await page.goto(server.url + PAGE_PATH);
    try {
      await page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: LOAD_TIMEOUT, polling: 250 });
    } catch (err) {
      throw new Error(`page stayed "loading"\nconsole:\n${watched.console.join("\n")}`, { cause: err });
    }
    expect(await page.evaluate(() => document.body.dataset.state), `console:\n${watched.console.join("\n")}`).toBe("playing");
    console.log(`e2e: "playing" after ${Date.now() - t0} ms`);
    const joined = await net();
    expect(joined.status).toBe("playing");
    expect(joined.entityId).toBeGreaterThan(0);
    expect(await page.evaluate(() => window.__game!.checksum())).toBe(server.checksum());

    // Another player joins on the same spot and walks backwards (+Z), out of the view; the page
    // draws it where the server has it (interpolated, 100 ms behind).
    const other = await connectBot();
    await walk(other, -1, 0, 30);
    await page.waitForFunction((id) => window.__game!.entity(id) !== null, other.welcome!.entityId, { timeout: 10_000 });
    await page.waitForTimeout(300);
    const seen = await page.evaluate((id) => window.__game!.entity(id), other.welcome!.entityId);
    expect(seen).not.toBeNull();
    expect(Math.hypot(seen![0] - other.self.x, seen![2] - other.self.z)).toBeLessThan(0.1);
    expect(other.self.z).toBeGreaterThan(joined.entityId > 0 ? (await page.evaluate(() => window.__game!.eye()))[2] + 4 : 0);

    // Aim at the middle of the spawn wall's face towards the spawn.
    const wall = other.gen!.destructibles[SPAWN_WALL_DID - 1];
    expect(wall.kind).toBe("wall");
    const target = [(wall.min[0] + wall.max[0] + 1) / 2, (wall.min[1] + wall.max[1] + 1) / 2, wall.max[2] + 1];
    const eye = await page.evaluate(() => window.__game!.eye());
    const dx = target[0] - eye[0], dy = target[1] - eye[1], dz = target[2] - eye[2];
    await page.evaluate(([y, p]) => window.__game!.aim(y, p), [Math.atan2(-dx, -dz), Math.atan2(dy, Math.hypot(dx, dz))]);
    // The first click only captures the mouse (it never fires); the hint disappears with it.
    await page.mouse.click(400, 300);
    await page.waitForFunction(() => document.pointerLockElement !== null, null, { timeout: 10_000 });
    await settle();
    const before = await screenshot("multiplayer-wall-before.png");
    const centre: Rect = { x: 300, y: 200, w: 200, h: 200 };
    expect(colourStats(before, centre).materials.brick ?? 0, "the wall fills the middle of the view").toBeGreaterThan(0.5);

    const carvesBefore = server.stats().carves;
    const shotsBefore = server.stats().shots;
    await page.mouse.down();
    await page.mouse.up();
    // The shot is drawn at once, before any answer from the server.
    const inFlight = await page.evaluate(() => ({ shots: window.__game!.stats.world.shotsFired, pending: window.__game!.net()!.pendingCommands }));
    expect(inFlight.shots).toBe(1);
    await page.waitForFunction(() => window.__game!.stats.world.carves >= 1, null, { timeout: 30_000, polling: 50 });
    const report = await net();
    expect(report.commands).toMatchObject({ sent: 1, confirmed: 1, rejected: 0 });
    // The server made a projectile for the command, and the carve names both.
    const own = report.ownProjectiles.at(-1)!;
    expect(own).toBeDefined();
    const carve = report.recentCarves.find((c) => c.commandId === own.commandId)!;
    expect(carve, JSON.stringify(report.recentCarves)).toBeDefined();
    expect(carve.shooterId).toBe(report.entityId);
    expect(carve.projectileId).toBe(own.projectileId);
    expect(carve.did).toBe(SPAWN_WALL_DID);
    expect(carve.voxels).toBeGreaterThan(20);
    expect(server.stats().shots).toBe(shotsBefore + 1);
    expect(server.stats().carves).toBe(carvesBefore + 1);
    // The other player got the same event.
    const atOther = await other.waitFor(() => other.carves.find((c: CarveMsg) => c.impactId === carve.impactId));
    expect(atOther.commandId).toBe(own.commandId);
    expect(atOther.shooterId).toBe(report.entityId);

    await settle();
    const after = await screenshot("multiplayer-wall-after.png");
    const inside = changedFraction(before, after, centre);
    const outside = changedFraction(before, after, { x: 0, y: 0, w: 800, h: 150 });
    console.log(`e2e: carve removed ${carve.voxels} voxels; changed pixels ${(inside * 100).toFixed(1)}% around the crosshair, ${(outside * 100).toFixed(2)}% in the top band`);
    expect(inside).toBeGreaterThan(0.1);
    expect(outside).toBeLessThan(0.02);

    // Page, server, the other player and a player joining now all hold the same world.
    const checksum = server.checksum();
    expect(await page.evaluate(() => window.__game!.checksum())).toBe(checksum);
    expect(other.checksum()).toBe(checksum);
    const late = await Bot.connect({ url: server.wsUrl });
    expect(late.session.sync.stats.editSets).toBeGreaterThanOrEqual(1);
    expect(late.checksum()).toBe(checksum);
    // It spawned inside the page's player (no spread): gone again, it cannot block the next views.
    await late.close();
    console.log(`e2e: net ${JSON.stringify({ rtt: report.stats.rttMs, in: report.stats.bytesIn, out: report.stats.bytesOut, rewinds: report.rewinds })}`);

    // Turn round to the other player: its model, and nothing else, is drawn (picture kept for a person).
    await page.evaluate(() => window.__game!.aim(Math.PI, -0.1));
    await settle();
    await screenshot("multiplayer-other-player.png");
    expect(await page.evaluate(() => window.__game!.stats.render.boxesDrawn)).toBe(PLAYER_MODEL.length);
    expect(watched.errors).toEqual([]);
  });

  test("a dropped connection says so, rejoins, and catches up with a carve made meanwhile", async () => {
    const other = bots[0];
    await page.evaluate(() => window.__game!.dropConnection(2500));
    const panel = page.locator(".message-panel");
    await expect.poll(async () => (await panel.isVisible()) ? await panel.innerText() : "", { timeout: 5000 }).toMatch(/Reconnecting/);
    expect((await net()).status).not.toBe("playing");

    // The other player carves the ground at its feet while the page is away.
    const carvesBefore = server.stats().carves;
    other.fire(0, -1, 0.1);
    await other.waitFor(() => server.stats().carves > carvesBefore, 10_000);
    expect(await page.evaluate(() => window.__game!.checksum())).not.toBe(server.checksum());

    await page.waitForFunction(() => window.__game!.net()!.status === "playing" && window.__game!.net()!.world.tailJoins === 1, null, { timeout: 30_000, polling: 100 });
    await settle();
    const report = await net();
    expect(report.stats.joins).toBe(2);
    expect(report.stats.drops).toBe(1);
    expect(await panel.isVisible()).toBe(false);
    expect(await page.evaluate(() => window.__game!.checksum())).toBe(server.checksum());
    expect(other.checksum()).toBe(server.checksum());
    await screenshot("multiplayer-after-rejoin.png");
    expect(watched.errors).toEqual([]);
  });
});
