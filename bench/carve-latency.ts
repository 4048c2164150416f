// Carve-to-screen benchmark in real Chromium: `npm run bench:carve [-- --carves N] [--json]`.
// For each terrain AO mode (`?ao=vertex`, then `?ao=shader`) an offline page shoots N craters
// into the plaza around the spawn, one at a time, and the page's automation hook reports, per
// carve, the ms from the carve applied to the world until every chunk it dirtied has been
// re-meshed in the workers, uploaded, and drawn in a frame the GPU has finished
// (src/client/game/carve-latency.ts). Prints p50/p95/max per mode; figures, never a verdict.
//
// WebGPU runs on SwiftShader here (no GPU): frames are CPU-rendered and slow, so the absolute
// times are mostly frame time; the two modes are compared in one run on the same machine.
import { quantileSorted } from "../src/shared/telemetry/percentiles.ts";
import { ensureBuilt, launchChromium, openPage, startServer } from "../test/e2e/harness.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");
const carvesArg = args.indexOf("--carves");
const CARVES = carvesArg >= 0 ? Math.max(1, Number(args[carvesArg + 1]) || 1) : 50;
const MODES = ["vertex", "shader"] as const;

interface ModeResult {
  mode: string;
  carves: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  /** Mesh time inside the workers over the run's jobs, p50. */
  worker_mesh_p50_ms: number;
  /** Mesh pages in use per resident chunk (allocated bytes). */
  gpu_mesh_bytes_per_chunk: number;
  /** Mean interval between frames over the carves (on SwiftShader mostly the GPU's rendering time). */
  frame_ms: number;
}

async function runMode(browser: Awaited<ReturnType<typeof launchChromium>>, url: string, mode: string): Promise<ModeResult> {
  const { page, errors } = await openPage(browser);
  await page.goto(`${url}?view=4&autotest=1&offline=1&ao=${mode}`);
  await page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: 180_000, polling: 250 });
  if ((await page.evaluate(() => document.body.dataset.state)) !== "playing") throw new Error(`page not playing: ${errors.join("\n")}`);
  await page.evaluate(() => window.__game!.settle());
  const start = await page.evaluate(() => [window.__game!.stats.render.frame, performance.now()]);
  for (let i = 0; i < CARVES; i++) {
    // Around the player, 5 to 10 voxels out on the plaza: each shot hits fresh ground, and no
    // crater (radius 3) reaches the player's feet.
    const yaw = (i * 2.399) % (2 * Math.PI); // golden angle: spread, no repeats
    const pitch = -0.17 - 0.15 * ((i * 7) % 5) / 4;
    const before = await page.evaluate(() => window.__game!.stats.carveLatency.count);
    await page.evaluate(([y, p]) => window.__game!.aim(y, p), [yaw, pitch]);
    await page.waitForFunction(() => window.__game!.fire() > 0, null, { timeout: 30_000, polling: 50 });
    await page.waitForFunction((n) => window.__game!.stats.carveLatency.count > n, before, { timeout: 60_000, polling: 20 });
  }
  const stats = await page.evaluate(() => {
    const s = window.__game!.stats;
    const c = s.carveLatency;
    const m = s.mesh;
    const n = Math.min(m.recentMeshMsCount, m.recentMeshMs.length);
    return {
      samples: Array.from(c.recentMs.subarray(0, Math.min(c.count, c.recentMs.length))),
      mesh: Array.from(m.recentMeshMs.subarray(0, n)),
      bytes: s.render.gpuMeshBytes,
      chunks: s.render.chunksTotal,
      end: [s.render.frame, performance.now()],
    };
  });
  await page.close();
  if (errors.length > 0) throw new Error(`page errors in ${mode} mode:\n${errors.join("\n")}`);
  const ms = stats.samples.sort((a, b) => a - b);
  const mesh = stats.mesh.sort((a, b) => a - b);
  const r2 = (v: number): number => Math.round(v * 100) / 100;
  return {
    mode,
    carves: ms.length,
    p50_ms: r2(quantileSorted(ms, ms.length, 0.5)),
    p95_ms: r2(quantileSorted(ms, ms.length, 0.95)),
    max_ms: r2(ms[ms.length - 1]),
    worker_mesh_p50_ms: r2(quantileSorted(mesh, mesh.length, 0.5)),
    gpu_mesh_bytes_per_chunk: Math.round(stats.bytes / Math.max(1, stats.chunks)),
    frame_ms: r2((stats.end[1] - start[1]) / Math.max(1, stats.end[0] - start[0])),
  };
}

ensureBuilt();
const server = await startServer({ NPC_COUNT: "0" });
const browser = await launchChromium();
const results: ModeResult[] = [];
try {
  for (const mode of MODES) results.push(await runMode(browser, server.url, mode));
} finally {
  await browser.close();
  await server.stop();
}
if (json) {
  for (const r of results) console.log(JSON.stringify(r));
} else {
  console.log("mode    carves  p50 ms  p95 ms  max ms  frame ms  worker mesh p50 ms  mesh B/chunk");
  for (const r of results) {
    console.log(
      `${r.mode.padEnd(6)}  ${String(r.carves).padStart(6)}  ${String(r.p50_ms).padStart(6)}  ${String(r.p95_ms).padStart(6)}  ` +
        `${String(r.max_ms).padStart(6)}  ${String(r.frame_ms).padStart(8)}  ${String(r.worker_mesh_p50_ms).padStart(18)}  ${String(r.gpu_mesh_bytes_per_chunk).padStart(12)}`,
    );
  }
  console.log(`carve applied -> re-meshed chunks drawn and the frame finished on the GPU; ${CARVES} carves per mode, offline pages, Chromium with WebGPU on SwiftShader`);
}
