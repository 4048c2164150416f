// End-to-end: the game a player sees, in Chromium (WebGPU on SwiftShader) against the real
// server running in this process, with a headless bot on the other team. The bot shoots the
// page's player until it is downed (health falls, the damage indicator and the downed screen
// show, the respawn brings full health back); the player shoots the bot (hit marker, the
// kill feed names both callsigns); Tab shows the scoreboard; the bot stands out from the
// terrain by colour in a screenshot; Escape pauses into the settings, a click resumes, and
// the view distance changes from the keyboard and re-streams chunks without a reload.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startServer as startGameServer } from "../../src/server/app.ts";
import type { ServerHandle } from "../../src/server/app.ts";
import { Bot } from "../../src/server/bots/bot.ts";
import { PALETTES } from "../../src/client/render/entity-models.ts";
import { MOVE } from "../../src/shared/physics/movement.ts";
import { SelfFlag } from "../../src/shared/protocol/index.ts";
import { ensureBuilt, launchChromium, openPage, ROOT, saveArtifact } from "./harness.ts";
import type { WatchedPage } from "./harness.ts";
import { entityPixels } from "./image.ts";
import { decodePng } from "./png.ts";

const LOAD_TIMEOUT = 150_000;
const VIEW_CHUNKS = 3;
const PAGE_PATH = `/?view=${VIEW_CHUNKS}&autotest=1`;
/** The server tests' small world; no NPCs (they would wander into the lines of fire), every player on the spawn point. */
const WORLD = { seed: 4242, chunksX: 8, chunksY: 4, chunksZ: 8 } as const;
const RESPAWN_MS = 3000;

let server: ServerHandle;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let bot: Bot;
/** The page's player as the server knows it. */
let me = 0;

beforeAll(async () => {
  ensureBuilt();
  server = await startGameServer({
    host: "127.0.0.1", port: 0, ...WORLD, npcCount: 0, spawnSpread: 0, meshWorkers: 1, respawnMs: RESPAWN_MS, store: "memory", distDir: join(ROOT, "dist"),
  });
  browser = await launchChromium();
  watched = await openPage(browser);
  page = watched.page;
  await page.goto(server.url + PAGE_PATH);
  try {
    await page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: LOAD_TIMEOUT, polling: 250 });
  } catch (err) {
    throw new Error(`page stayed "loading"\nconsole:\n${watched.console.join("\n")}`, { cause: err });
  }
  expect(await page.evaluate(() => document.body.dataset.state), `console:\n${watched.console.join("\n")}`).toBe("playing");
  me = (await page.evaluate(() => window.__game!.net()!.entityId));
  bot = await Bot.connect({ url: server.wsUrl });
  // The bot backs off along +Z, behind the page's player (who faces -Z, the spawn wall).
  let seq = 0;
  for (let i = 0; i < 24; i++) {
    seq = bot.input(-1, 0, 0);
    await new Promise((r) => setTimeout(r, 1000 / 30));
  }
  await bot.waitFor(() => bot.ackSeq >= seq);
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await bot?.close();
  await server?.stop();
});

async function screenshot(name: string) {
  const png = await page.screenshot({ type: "png" });
  console.log(`e2e: screenshot ${saveArtifact(name, png)}`);
  return decodePng(png);
}

async function settle(): Promise<void> {
  await page.evaluate(() => window.__game?.settle());
}

/** The server's entity for `id` (throws when it is gone). */
function entity(id: number) {
  const e = server.game.entities.byId(id);
  if (e === null) throw new Error(`entity ${id} is not in the zone`);
  return e;
}

/** The bot fires at the page player's chest from its eye. */
function botShootsPage(): number {
  const target = entity(me).move;
  const [ex, ey, ez] = bot.eye();
  return bot.fire(target.x - ex, target.y + 1.0 - ey, target.z - ez);
}

/** Aims the page's camera at a point. */
async function aimAt(x: number, y: number, z: number): Promise<void> {
  const eye = await page.evaluate(() => window.__game!.eye());
  const dx = x - eye[0], dy = y - eye[1], dz = z - eye[2];
  await page.evaluate(([yaw, pitch]) => window.__game!.aim(yaw, pitch), [Math.atan2(-dx, -dz), Math.atan2(dy, Math.hypot(dx, dz))]);
}

const visible = (testid: string) => page.getByTestId(testid).isVisible();
const text = (testid: string) => page.getByTestId(testid).innerText();

describe("the HUD in Chromium against the real server", () => {
  test("a bot shoots the player until it is downed: health falls, damage shows, the downed screen counts down, then full health", async () => {
    expect(await text("hud-health")).toBe("100");
    expect(await visible("damage-indicator")).toBe(false);
    expect(await visible("downed-screen")).toBe(false);
    // No click or key press yet: sound is still locked, whatever happens.
    expect((await page.evaluate(() => window.__game!.hud())).sound.unlocked).toBe(false);

    const weapon = server.config.weaponCooldownMs + 60;
    botShootsPage();
    await page.waitForFunction(() => document.querySelector("[data-testid=hud-health]")?.textContent === "75", null, { timeout: 10_000, polling: 50 });
    expect(await visible("damage-indicator")).toBe(true);
    await screenshot("hud-hit-by-bot.png");
    for (const hp of ["50", "25"]) {
      await new Promise((r) => setTimeout(r, weapon));
      botShootsPage();
      await page.waitForFunction((v) => document.querySelector("[data-testid=hud-health]")?.textContent === v, hp, { timeout: 10_000, polling: 50 });
    }
    await new Promise((r) => setTimeout(r, weapon));
    botShootsPage();
    await page.getByTestId("downed-screen").waitFor({ state: "visible", timeout: 10_000 });
    const downedText = await text("downed-screen");
    expect(downedText).toContain(`by ${bot.welcome!.callsign}`);
    expect(downedText).toMatch(/Respawning in [1-3]/);
    expect(await text("hud-health")).toBe("0");
    expect(entity(me).deaths).toBe(1);
    await screenshot("hud-downed.png");
    // The countdown counts down.
    await page.waitForFunction(() => /Respawning in 1\b/.test(document.querySelector("[data-testid=downed-screen]")?.textContent ?? ""), null, { timeout: RESPAWN_MS + 2000, polling: 100 });

    await page.getByTestId("downed-screen").waitFor({ state: "hidden", timeout: RESPAWN_MS + 5000 });
    await page.waitForFunction(() => document.querySelector("[data-testid=hud-health]")?.textContent === "100", null, { timeout: 5000 });
    const hud = await page.evaluate(() => window.__game!.hud());
    expect(hud.downed).toBe(false);
    expect(hud.feed[0]).toBe(`${bot.welcome!.callsign} > ${hud.callsign}`);
    expect(hud.sound).toMatchObject({ unlocked: false, played: { hurt: 0, downed: 0, respawn: 0 } });
    expect(watched.errors).toEqual([]);
  });

  test("the player shoots the bot: a hit marker, a down marker, and the kill feed names both callsigns", async () => {
    // A click captures the mouse (and is the gesture that lets sound start).
    await page.mouse.click(400, 300);
    await page.waitForFunction(() => document.pointerLockElement !== null, null, { timeout: 10_000 });
    const mine = (await page.evaluate(() => window.__game!.hud())).callsign;
    expect(mine).toBe(entity(me).callsign);
    const weapon = server.config.weaponCooldownMs + 60;
    const shootBot = async (marker: "hit" | "down") => {
      // Aim from where the server has the player (after the respawn the page's predicted eye
      // must have caught up with it) at where the server has the bot.
      const at = entity(me).move;
      await page.waitForFunction(([x, y, z]) => {
        const e = window.__game!.eye();
        return Math.hypot(e[0] - x, e[1] - y, e[2] - z) < 0.3;
      }, [at.x, at.y + MOVE.eyeHeight, at.z], { timeout: 10_000, polling: 50 });
      const target = entity(bot.welcome!.entityId).move;
      await aimAt(target.x, target.y + 1.0, target.z);
      // The previous shot's marker must be gone first (it lasts 250 ms, to the first frame after
      // that): a hit landing while it still shows keeps it up with no change to observe, and
      // on slow frames the next shot can land that soon.
      await page.waitForFunction(() => document.querySelector<HTMLElement>("[data-testid=hit-marker]")!.hidden, null, { timeout: 5000, polling: 20 });
      // Watch the marker's attributes as they change: it shows only for a moment.
      const shown = page.evaluate((kind) => new Promise<void>((resolve, reject) => {
        const el = document.querySelector<HTMLElement>("[data-testid=hit-marker]")!;
        const observer = new MutationObserver(() => {
          if (el.hidden || el.dataset.kind !== kind) return;
          observer.disconnect();
          resolve();
        });
        observer.observe(el, { attributes: true });
        setTimeout(() => {
          observer.disconnect();
          reject(new Error(`no ${kind} marker within 10 s`));
        }, 10_000);
      }), marker);
      expect(await page.evaluate(() => window.__game!.fire())).toBeGreaterThan(0);
      await shown;
      await new Promise((r) => setTimeout(r, weapon));
    };
    await shootBot("hit");
    await screenshot("hud-hit-marker.png");
    await shootBot("hit");
    await shootBot("hit");
    await shootBot("down");
    await screenshot("hud-down-marker.png");
    const feed = await text("kill-feed");
    expect(feed).toContain(mine);
    expect(feed).toContain(bot.welcome!.callsign);
    expect(feed.split("\n")[0]).toMatch(new RegExp(`^${mine}\\s*downed\\s*${bot.welcome!.callsign}$`));
    expect(entity(bot.welcome!.entityId).deaths).toBe(1);
    expect(entity(me).downs).toBe(1);
    const hud = await page.evaluate(() => window.__game!.hud());
    expect(hud.sound.unlocked).toBe(true);
    expect(hud.sound.played.shot).toBeGreaterThanOrEqual(4);
    expect(hud.sound.played.hit).toBeGreaterThanOrEqual(3);
    expect(hud.sound.played.down).toBeGreaterThanOrEqual(1);
    expect(watched.errors).toEqual([]);
  });

  test("Tab shows the scoreboard with both players, their downs, deaths and ping", async () => {
    // Give the page a ping cycle so its measured round trip reaches the server.
    await page.waitForTimeout(2500);
    await page.keyboard.down("Tab");
    const board = page.getByTestId("scoreboard");
    await board.waitFor({ state: "visible", timeout: 10_000 });
    const mine = (await page.evaluate(() => window.__game!.hud())).callsign;
    await page.waitForFunction(([a, b]) => {
      const t = document.querySelector("[data-testid=scoreboard]")?.textContent ?? "";
      return t.includes(a) && t.includes(b);
    }, [mine, bot.welcome!.callsign], { timeout: 10_000, polling: 100 });
    const rows = await board.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    console.log(`e2e: scoreboard ${JSON.stringify(rows)}`);
    expect(rows).toHaveLength(2);
    const row = (name: string) => rows.find((r) => r[0] === name)!;
    expect(row(mine).slice(1, 4)).toEqual(["Alpha", "1", "1"]);
    expect(row(bot.welcome!.callsign).slice(1, 4)).toEqual(["Bravo", "1", "1"]);
    expect(row(mine)[4]).toMatch(/^\d+ ms$/);
    await screenshot("hud-scoreboard.png");
    await page.keyboard.up("Tab");
    await board.waitFor({ state: "hidden", timeout: 5000 });
  });

  test("the bot stands out from the terrain by colour in a screenshot", async () => {
    // The bot is up again (respawned at the spawn area) and stands still.
    await bot.waitFor(() => bot.self.health === 100 && (bot.self.flags & SelfFlag.Downed) === 0, RESPAWN_MS + 5000);
    const target = [bot.self.x, bot.self.y + MOVE.height / 2, bot.self.z] as const;
    await page.waitForFunction(([id, x, z]) => {
      const p = window.__game!.entity(id);
      return p !== null && Math.hypot(p[0] - x, p[2] - z) < 0.2;
    }, [bot.welcome!.entityId, target[0], target[2]], { timeout: 10_000, polling: 100 });
    await aimAt(target[0], target[1], target[2]);
    await settle();
    const withBot = await screenshot("hud-entity-in-view.png");
    // Around the screen centre, where the bot is: pixels in the enemy palette, far from every terrain material and the sky.
    const around = { x: 320, y: 180, w: 160, h: 240 };
    const seen = entityPixels(withBot, around, [PALETTES.enemy.body, PALETTES.enemy.dark, PALETTES.enemy.light]);
    console.log(`e2e: enemy-coloured pixels around the bot ${seen.matching}, nearest terrain material chroma distance of those ${seen.minMaterialDistance.toFixed(3)}`);
    expect(seen.matching).toBeGreaterThan(400);
    expect(seen.minMaterialDistance).toBeGreaterThan(0.06);

    // The same view turned away from the bot: the terrain there has none of those colours.
    const eye = await page.evaluate(() => window.__game!.eye());
    await aimAt(eye[0] - (target[0] - eye[0]), target[1], eye[2] - (target[2] - eye[2]));
    await settle();
    const without = await screenshot("hud-entity-out-of-view.png");
    const none = entityPixels(without, around, [PALETTES.enemy.body, PALETTES.enemy.dark, PALETTES.enemy.light]);
    expect(none.matching).toBeLessThan(20);
  });

  test("Escape pauses into the settings, a click resumes, and the view distance re-streams from the keyboard without a reload", async () => {
    await page.evaluate(() => {
      (window as unknown as { __noReload: number }).__noReload = 1;
    });
    const panel = page.getByTestId("settings-panel");
    // Capture the mouse, then Escape: the lock goes and the settings open (paused).
    if (!(await page.evaluate(() => document.pointerLockElement !== null))) await page.mouse.click(400, 300);
    await page.waitForFunction(() => document.pointerLockElement !== null, null, { timeout: 10_000 });
    await page.keyboard.press("Escape");
    await panel.waitFor({ state: "visible", timeout: 5000 });
    expect(await page.evaluate(() => document.pointerLockElement)).toBeNull();
    expect((await page.evaluate(() => window.__game!.hud())).paused).toBe(true);
    // Focus is in the panel on the first game setting; every control has a label.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe("setting-sensitivity");
    for (const id of ["setting-sensitivity", "setting-fov", "setting-view-distance", "setting-volume", "setting-invert-y", "setting-fps-cap"]) {
      const labels = await page.getByTestId(id).evaluate((el) => (el as HTMLInputElement).labels?.length ?? 0);
      expect(labels, id).toBeGreaterThan(0);
    }
    await screenshot("hud-settings.png");

    // Keyboard only: Tab to the view distance slider (sensitivity, FOV, then it) and raise it by two.
    const slider = page.getByTestId("setting-view-distance");
    expect(await slider.inputValue()).toBe(String(VIEW_CHUNKS));
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe("setting-view-distance");
    const before = await page.evaluate(() => ({ total: window.__game!.stats.render.chunksTotal, jobs: window.__game!.stats.mesh.jobsDone }));
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    expect(await slider.inputValue()).toBe(String(VIEW_CHUNKS + 2));
    await page.waitForFunction((n) => window.__game!.stats.render.chunksTotal > n, before.total, { timeout: 120_000, polling: 250 });
    await settle();
    const after = await page.evaluate(() => ({ total: window.__game!.stats.render.chunksTotal, jobs: window.__game!.stats.mesh.jobsDone }));
    console.log(`e2e: view distance ${VIEW_CHUNKS} -> ${VIEW_CHUNKS + 2} chunks: ${before.total} -> ${after.total} chunk meshes, ${after.jobs - before.jobs} mesh jobs`);
    expect(after.jobs).toBeGreaterThan(before.jobs);
    // Same page: no navigation happened, and the choice is stored for the next visit.
    expect(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload)).toBe(1);
    expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("voxel-shooter.game-settings.v1") ?? "{}") as { viewDistance?: number });
    expect(stored.viewDistance).toBe(VIEW_CHUNKS + 2);

    // A click on the game resumes: the panel closes and the mouse is captured again.
    await page.mouse.click(200, 400);
    await panel.waitFor({ state: "hidden", timeout: 5000 });
    await page.waitForFunction(() => document.pointerLockElement !== null, null, { timeout: 10_000 });
    expect((await page.evaluate(() => window.__game!.hud())).paused).toBe(false);
    await screenshot("hud-view-distance-after.png");
    expect(watched.errors).toEqual([]);
  });
});
