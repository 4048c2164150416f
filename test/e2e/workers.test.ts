// End-to-end: a mesher worker terminated behind the pool's back while the world loads (as the
// browser may do to a worker: out of memory, a crash). Nothing tells the pool; its job deadline
// finds the worker, the chunks it held are requeued, a new worker takes its place, and the page
// still reaches "playing" with every chunk around the spawn meshed, uploaded and drawn. The
// failure shows in the game stats and the dev overlay.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { ensureBuilt, launchChromium, openPage, saveArtifact, startServer } from "./harness.ts";
import type { GameServer } from "./harness.ts";
import { colourStats } from "./image.ts";
import { decodePng } from "./png.ts";

const PAGE_PATH = "?view=4&autotest=1";
const LOAD_TIMEOUT = 150_000;

let server: GameServer;
let browser: Browser;

beforeAll(async () => {
  ensureBuilt();
  server = await startServer({ NPC_COUNT: "0", SPAWN_SPREAD: "0" });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("mesher workers in Chromium", () => {
  test("a worker terminated mid-load is replaced and the page still reaches playing with the spawn drawn", async () => {
    const { page, console: messages } = await openPage(browser);
    await page.goto(server.url + PAGE_PATH);
    // The hook appears once the pool exists, before the first frame meshes anything.
    await page.waitForFunction(() => window.__game !== undefined, null, { timeout: LOAD_TIMEOUT, polling: 20 });
    const killed = await page.evaluate(() => ({ state: window.__game!.state, terminated: window.__game!.terminateMeshWorker(0) }));
    expect(killed).toEqual({ state: "loading", terminated: true });
    const t0 = Date.now();
    try {
      await page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: LOAD_TIMEOUT, polling: 250 });
    } catch (err) {
      throw new Error(`page stayed "loading"\nconsole:\n${messages.join("\n")}`, { cause: err });
    }
    expect(await page.evaluate(() => document.body.dataset.state), `console:\n${messages.join("\n")}`).toBe("playing");
    console.log(`e2e: "playing" ${Date.now() - t0} ms after the worker was terminated`);

    await page.evaluate(() => window.__game?.settle());
    const stats = await page.evaluate(() => {
      const s = window.__game!.stats;
      return { workers: { ...s.workers }, queue: s.mesh.queueLength, inFlight: s.mesh.inFlight, jobs: s.mesh.jobsDone, drawn: s.render.chunksDrawn };
    });
    console.log(`e2e: after the forced termination ${JSON.stringify(stats)}`);
    expect(stats.workers).toMatchObject({ failures: 1, hangs: 1, crashes: 0, restarts: 1 });
    expect(stats.queue).toBe(0);
    expect(stats.inFlight).toBe(0);
    expect(stats.jobs).toBeGreaterThan(0);
    expect(stats.drawn).toBeGreaterThan(0);
    expect(messages.some((m) => /mesher worker 0 hung/.test(m))).toBe(true);

    // The terrain around the spawn is on screen.
    const png = await page.screenshot({ type: "png" });
    console.log(`e2e: screenshot ${saveArtifact("workers-after-termination.png", png)}`);
    expect(colourStats(decodePng(png)).nonSkyFraction).toBeGreaterThanOrEqual(0.2);

    // And the dev overlay says so.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("F3");
    await page.waitForFunction(() => document.querySelector("[data-testid=dev-overlay] [data-stat=worker_failures]")?.textContent === "1", null, { timeout: 10_000 });
    await page.close();
  });
});
