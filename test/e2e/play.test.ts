// End-to-end: the real server serves the built client to Debian's Chromium, which renders
// with WebGPU on SwiftShader (no GPU here). Slow, so timeouts are generous, the viewport is
// small and the view distance moderate. Screenshots stay in test-output/ for a person.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { DEFAULT_WORLD_GEN, generateWorld, SPAWN_WALL_DID } from "../../src/shared/voxel/worldgen.ts";
import { ensureBuilt, launchChromium, openPage, saveArtifact, startServer } from "./harness.ts";
import type { GameServer, WatchedPage } from "./harness.ts";
import { changedFraction, colourStats } from "./image.ts";
import type { Rect } from "./image.ts";
import { decodePng } from "./png.ts";

const VIEW_CHUNKS = 4;
const PAGE_PATH = `?view=${VIEW_CHUNKS}&autotest=1`;
const LOAD_TIMEOUT = 150_000;

let server: GameServer;
let browser: Browser;

beforeAll(async () => {
  ensureBuilt();
  // The page plays through the server by default. No NPCs: one wandering into view would
  // change the screenshots these tests compare.
  server = await startServer({ NPC_COUNT: "0", SPAWN_SPREAD: "0" });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens the game and waits for "playing" (or fails with the page's state and console). */
async function openGame(): Promise<WatchedPage> {
  const watched = await openPage(browser);
  const { page } = watched;
  const t0 = Date.now();
  await page.goto(server.url + PAGE_PATH);
  try {
    await page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: LOAD_TIMEOUT, polling: 250 });
  } catch (err) {
    throw new Error(`page stayed "loading"\nconsole:\n${watched.console.join("\n")}`, { cause: err });
  }
  const state = await page.evaluate(() => document.body.dataset.state);
  expect(state, `console:\n${watched.console.join("\n")}`).toBe("playing");
  console.log(`e2e: "playing" after ${Date.now() - t0} ms`);
  return watched;
}

/** Waits until nothing is in flight and a frame drawn after that has finished on the GPU. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => window.__game?.settle());
}

async function screenshot(page: Page, name: string) {
  const png = await page.screenshot({ type: "png" });
  const path = saveArtifact(name, png);
  console.log(`e2e: screenshot ${path}`);
  return decodePng(png);
}

/** Mesh times measured inside the workers, as the page reports them. */
async function logMeshTimes(page: Page): Promise<void> {
  const { samples, jobs, workers } = await page.evaluate(() => {
    const m = window.__game!.stats.mesh;
    const n = Math.min(m.recentMeshMsCount, m.recentMeshMs.length);
    return { samples: Array.from(m.recentMeshMs.subarray(0, n)), jobs: m.jobsDone, workers: m.workers };
  });
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]?.toFixed(2);
  console.log(`e2e: worker mesh ms over the last ${samples.length} of ${jobs} jobs (${workers} worker(s)): p50 ${q(0.5)}, p95 ${q(0.95)}, max ${q(1)}`);
}

describe("playing in Chromium", () => {
  test("the world loads and terrain is drawn", async () => {
    const { page, errors } = await openGame();
    await settle(page);
    const img = await screenshot(page, "play-spawn.png");
    const stats = colourStats(img);
    console.log(`e2e: non-sky ${(stats.nonSkyFraction * 100).toFixed(1)}%, materials ${JSON.stringify(stats.materials)}`);
    expect(stats.nonSkyFraction).toBeGreaterThanOrEqual(0.2);
    // At least three terrain materials each cover 1% of the terrain pixels (grass, brick, stone at the spawn).
    expect(Object.values(stats.materials).filter((share) => share >= 0.01).length).toBeGreaterThanOrEqual(3);
    const render = await page.evaluate(() => window.__game!.stats.render);
    console.log(`e2e: ${render.chunksDrawn} of ${render.chunksTotal} chunks drawn, ${render.quads} quads, ${render.drawCalls} draws, ${(render.gpuBufferBytes / 1048576).toFixed(1)} MiB of GPU buffers`);
    expect(render.chunksDrawn).toBeGreaterThan(0);
    // Frustum culling: looking one way, chunks behind the camera are skipped.
    expect(render.chunksDrawn).toBeLessThan(render.chunksTotal);
    expect(render.quads).toBeGreaterThan(0);
    await logMeshTimes(page);

    // Walking: W moves the player forward (yaw 0 faces -Z), with collision and gravity keeping it on the ground.
    const start = await page.evaluate(() => window.__game!.eye());
    await page.keyboard.down("KeyW");
    await page.waitForFunction((z0) => window.__game!.eye()[2] < z0 - 1, start[2], { timeout: 30_000, polling: 100 });
    await page.keyboard.up("KeyW");
    const moved = await page.evaluate(() => window.__game!.eye());
    expect(Math.abs(moved[0] - start[0])).toBeLessThan(0.01);
    expect(moved[1]).toBeCloseTo(start[1], 3);

    // Resizing the window resizes the drawing buffer (ResizeObserver), and rendering goes on.
    await page.setViewportSize({ width: 640, height: 400 });
    await page.waitForFunction(() => window.__game!.stats.render.canvasWidth === 640 && window.__game!.stats.render.canvasHeight === 400, null, { timeout: 30_000 });
    await settle(page);
    const small = decodePng(await page.screenshot({ type: "png" }));
    expect(small.width).toBe(640);
    expect(colourStats(small).nonSkyFraction).toBeGreaterThanOrEqual(0.2);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("without WebGPU the page says so and reports the error state", async () => {
    const { page, errors } = await openPage(browser);
    // Hide WebGPU before any page script runs, as in a browser without it.
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined }));
    await page.goto(server.url + PAGE_PATH);
    await page.waitForFunction(() => document.body.dataset.state === "error", null, { timeout: 60_000 });
    const text = await page.locator("[role=alert]").innerText();
    expect(text).toMatch(/WebGPU/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a shot at the wall in front of the spawn carves a visible crater", async () => {
    const { page, errors } = await openGame();
    // Aim at the middle of the wall's front face (the face towards the spawn, +Z).
    const wall = generateWorld(DEFAULT_WORLD_GEN).destructibles[SPAWN_WALL_DID - 1];
    expect(wall.kind).toBe("wall");
    const target = [(wall.min[0] + wall.max[0] + 1) / 2, (wall.min[1] + wall.max[1] + 1) / 2, wall.max[2] + 1];
    const eye = await page.evaluate(() => window.__game!.eye());
    const dx = target[0] - eye[0], dy = target[1] - eye[1], dz = target[2] - eye[2];
    const yaw = Math.atan2(-dx, -dz); // forward = (-sin yaw, 0, -cos yaw)
    const pitch = Math.atan2(dy, Math.hypot(dx, dz));
    await page.evaluate(([y, p]) => window.__game!.aim(y, p), [yaw, pitch]);
    await settle(page);
    const before = await screenshot(page, "play-wall-before.png");

    // The crater is centred where the crosshair points; compare that region and the rest.
    const centre: Rect = { x: 300, y: 200, w: 200, h: 200 };
    expect(colourStats(before, centre).materials.brick ?? 0, "the wall fills the middle of the view").toBeGreaterThan(0.5);

    await page.evaluate(() => window.__game!.fire());
    await page.waitForFunction(() => window.__game!.stats.world.carves >= 1, null, { timeout: 60_000, polling: 100 });
    await settle(page);
    const after = await screenshot(page, "play-wall-after.png");
    const world = await page.evaluate(() => window.__game!.stats.world);
    console.log(`e2e: carve removed ${world.voxelsCarved} voxels`);
    expect(world.voxelsCarved).toBeGreaterThan(20);

    const inside = changedFraction(before, after, centre);
    const top: Rect = { x: 0, y: 0, w: 800, h: 150 };
    const outside = changedFraction(before, after, top);
    console.log(`e2e: changed pixels: ${(inside * 100).toFixed(1)}% around the crosshair, ${(outside * 100).toFixed(2)}% in the top band`);
    expect(inside).toBeGreaterThan(0.1);
    expect(outside).toBeLessThan(0.02);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a lost GPU device is recreated and the terrain drawn again", async () => {
    const { page, errors } = await openGame();
    await page.evaluate(() => window.__game!.loseDevice());
    await page.waitForFunction(() => window.__game!.stats.render.deviceLosses >= 1, null, { timeout: 60_000, polling: 100 });
    await settle(page);
    const img = await screenshot(page, "play-after-device-loss.png");
    const render = await page.evaluate(() => window.__game!.stats.render);
    // Drawn from meshes re-uploaded into the new device's buffers.
    expect(render.chunksDrawn).toBeGreaterThan(0);
    expect(render.gpuMeshBytes).toBeGreaterThan(0);
    expect(colourStats(img).nonSkyFraction).toBeGreaterThanOrEqual(0.2);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe("playing");
    expect(errors).toEqual([]);
    await page.close();
  });
});
