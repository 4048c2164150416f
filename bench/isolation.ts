// Browser mesh-time resolution, cross-origin isolation off vs on: figures, not assertions.
// Loads the built client from the real server (in-process, src/server/bootstrap.ts) in
// Debian's Chromium twice: once with the COOP/COEP/CORP headers left out of every response
// (a route in front of the static one drops them; the page is then not isolated and Chrome
// coarsens performance.now() to 100 us), once with them, as served. It reads
// every mesh job time the page's worker pool records (window.__game.stats.mesh, ?autotest=1)
// while the world loads and the player shoots, and prints the two distributions.
// `npm run bench:isolation -- --view N` (default 6) `--json`.
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startGame } from "../src/server/bootstrap.ts";
import type { HttpRoute } from "../src/server/http/routes.ts";
import { quantileSorted } from "../src/shared/telemetry/percentiles.ts";
import { ensureBuilt, launchChromium, ROOT } from "../test/e2e/harness.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");
const viewArg = args.indexOf("--view");
const VIEW = viewArg >= 0 ? Math.max(2, Number(args[viewArg + 1]) || 4) : 6;
const PLAY_MS = 20_000;
const ISOLATION_HEADERS = ["cross-origin-opener-policy", "cross-origin-embedder-policy", "cross-origin-resource-policy"];
/** False while the "off" run loads: the route below then drops the isolation headers. */
let isolation = true;

/** Passes every request on, after making the response ignore the isolation headers while `isolation` is off. */
const isolationSwitch: HttpRoute = (_req, res) => {
  if (isolation) return false;
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => (ISOLATION_HEADERS.includes(name.toLowerCase()) ? res : setHeader(name, value));
  return false;
};

/** Loads the game, plays, and returns { isolated, workersIsolated, meshMs[] }. */
async function sample(browser: Browser, url: string, isolated: boolean) {
  isolation = isolated;
  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`page error: ${e.message}`));
  const samples: number[] = [];
  let seen = 0;
  const poll = async (): Promise<void> => {
    const got = await page.evaluate((from) => {
      const s = window.__game?.stats.mesh;
      if (!s) return null;
      const len = s.recentMeshMs.length;
      const start = Math.max(from, s.recentMeshMsCount - len);
      const out: number[] = [];
      for (let i = start; i < s.recentMeshMsCount; i++) out.push(s.recentMeshMs[i % len]);
      return { count: s.recentMeshMsCount, out, lost: start - from };
    }, seen);
    if (got === null) return;
    samples.push(...got.out);
    seen = got.count;
  };
  await page.goto(`${url}?view=${VIEW}&autotest=1`);
  for (let i = 0; i < 3000 && (await page.evaluate(() => document.body.dataset.state)) === "loading"; i++) {
    if (i === 600) throw new Error(`the page stayed "loading" (isolation ${isolated ? "on" : "off"}):\n${consoleLines.join("\n")}`);
    await poll();
    await page.waitForTimeout(50);
  }
  const end = Date.now() + PLAY_MS;
  let yaw = 0;
  while (Date.now() < end) {
    await page.evaluate((y) => {
      window.__game?.aim(y, -0.3);
      window.__game?.fire();
    }, (yaw += 0.5));
    await poll();
    await page.waitForTimeout(100);
  }
  await poll();
  const pageIsolated = await page.evaluate(() => self.crossOriginIsolated);
  const workersIsolated = await Promise.all(page.workers().map((w) => w.evaluate(() => self.crossOriginIsolated)));
  await context.close();
  return { pageIsolated, workersIsolated, meshMs: samples };
}

/** Distribution figures of mesh times (ms). */
function describe(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  // Differences of coarsened timestamps carry float noise: compare values to the nanosecond.
  const distinct = [...new Set(sorted.map((x) => Math.round(x * 1e6) / 1e6))];
  let step = Infinity;
  for (let i = 1; i < distinct.length; i++) step = Math.min(step, distinct[i] - distinct[i - 1]);
  const onGrid = ms.filter((x) => Math.abs(x * 10 - Math.round(x * 10)) < 1e-6).length;
  const q = (p: number): number => Number(quantileSorted(sorted, sorted.length, p).toFixed(4));
  return {
    n: ms.length,
    distinct: distinct.length,
    on_0_1ms_grid: Number((onGrid / Math.max(1, ms.length)).toFixed(3)),
    zero: ms.filter((x) => x === 0).length,
    smallest_step_ms: Number.isFinite(step) ? Number(step.toFixed(4)) : null,
    p10: q(0.1), p50: q(0.5), p90: q(0.9), p99: q(0.99),
    /** The most common values, to show the grid (or its absence). */
    top: Object.entries(ms.reduce<Record<string, number>>((acc, x) => ((acc[x.toFixed(4)] = (acc[x.toFixed(4)] ?? 0) + 1), acc), {}))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([v, n]) => `${v}x${n}`),
  };
}

async function main(): Promise<void> {
  ensureBuilt();
  const running = await startGame(
    { METRICS_ADDR: "off", LOG_LEVEL: "warn", STORE: "memory" },
    { server: { host: "127.0.0.1", port: 0, distDir: join(ROOT, "dist"), routes: [isolationSwitch] } },
  );
  const url = `${running.game.url}/`;
  const browser = await launchChromium();
  try {
    const off = await sample(browser, url, false);
    const on = await sample(browser, url, true);
    const result = {
      view: VIEW,
      off: { page_isolated: off.pageIsolated, workers_isolated: off.workersIsolated, ...describe(off.meshMs) },
      on: { page_isolated: on.pageIsolated, workers_isolated: on.workersIsolated, ...describe(on.meshMs) },
    };
    if (json) console.log(JSON.stringify(result));
    else console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    await running.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
