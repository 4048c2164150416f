// `npm start` (scripts/start.mjs) on a copy of the project whose node_modules lacks tsx: a
// cold start builds the client and the server, then plain node serves the page and meshes in
// worker threads; a second start builds nothing; a changed source rebuilds its part only; a
// failed build leaves no stamp, so the next start builds again. The world is kept in the default
// store (a SQLite file under ./data), so the warm start finds the cold start's crater.
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bot } from "../../src/server/bots/bot.ts";
import type { CarveMsg } from "../../src/shared/protocol/index.ts";
import { metricSample } from "../e2e/harness.ts";
import { aimAtSpawnWall } from "../server/support.ts";
import { copyProject, runStartToExit, startProject } from "./project.ts";
import type { ProjectCopy, StartedServer } from "./project.ts";

const TIMEOUT = 240_000;
/** A small world so each start spends its time on what is tested, not on world generation. */
const ENV = { NPC_COUNT: "0", WORLD_SEED: "4242" };

let project: ProjectCopy;
/** GET /debug/world after the cold start's carve. */
let worldAfterCarve: { committed_seq: number; checksum: number } | null = null;

async function debugWorld(server: StartedServer): Promise<{ committed_seq: number; checksum: number }> {
  return (await fetch(`${server.metricsUrl}/debug/world`)).json() as Promise<{ committed_seq: number; checksum: number }>;
}

beforeAll(() => {
  project = copyProject(["tsx"]);
});

afterAll(() => project?.cleanup());

function built(server: StartedServer, part: "client" | "server"): boolean {
  const out = server.output();
  if (out.includes(`build: ${part} building`)) return true;
  if (out.includes(`build: ${part} up to date`)) return false;
  throw new Error(`no build line for ${part}:\n${out}`);
}

/** Fires at the spawn wall until a shot carves; returns the carve. */
async function carveOnce(bot: Bot): Promise<CarveMsg> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const [dx, dy, dz] = aimAtSpawnWall(bot);
    const commandId = bot.fire(dx, dy, dz);
    const carve = await bot.waitFor(() => bot.carves.find((c) => c.commandId === commandId), 5000).catch(() => undefined);
    if (carve) return carve;
  }
  throw new Error("no carve after 10 shots");
}

describe("npm start", () => {
  it("cold: builds both parts, then plain node serves the page and meshes in worker threads", async () => {
    const server = await startProject(project.dir, ENV);
    try {
      expect(built(server, "client")).toBe(true);
      expect(built(server, "server")).toBe(true);
      const page = await fetch(`${server.url}/`, { headers: { "accept-encoding": "br" } });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(page.headers.get("content-encoding")).toBe("br");
      expect(await page.text()).toContain('<link rel="manifest"');

      // A carve dirties chunks; the compiled mesh worker (no tsx anywhere) remeshes them.
      const bot = await Bot.connect({ url: server.wsUrl });
      try {
        await carveOnce(bot);
      } finally {
        bot.close();
      }
      worldAfterCarve = await debugWorld(server);
      expect(worldAfterCarve.committed_seq).toBeGreaterThan(0);
      const meshed = async (): Promise<string> => (await fetch(`${server.metricsUrl}/metrics`)).text();
      let text = await meshed();
      for (let i = 0; i < 100 && !((metricSample(text, "game_voxel_chunks_meshed_total") ?? 0) > 0); i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await meshed();
      }
      expect(metricSample(text, "game_voxel_chunks_meshed_total")).toBeGreaterThan(0);
      expect(metricSample(text, "game_errors_total", { class: "mesh_worker" })).toBe(0);
      expect(server.output()).not.toMatch(/mesh worker failed|ERR_MODULE_NOT_FOUND|Cannot find package/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, TIMEOUT);

  it("warm: builds nothing and reuses the previous outputs", async () => {
    const page = join(project.dir, "dist", "index.html");
    const serverMain = join(project.dir, "dist-server", "server", "main.js");
    const before = [statSync(page).mtimeMs, statSync(serverMain).mtimeMs];
    const server = await startProject(project.dir, ENV);
    try {
      expect(built(server, "client")).toBe(false);
      expect(built(server, "server")).toBe(false);
      expect([statSync(page).mtimeMs, statSync(serverMain).mtimeMs]).toEqual(before);
      // The cold start's world, from the default store.
      expect(existsSync(join(project.dir, "data", "z0.sqlite"))).toBe(true);
      expect(await debugWorld(server)).toMatchObject(worldAfterCarve!);
      console.log(`start: warm start to /healthz 200 in ${Math.round(server.msToHealthy)} ms`);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, TIMEOUT);

  it("rebuilds only the part whose sources changed", async () => {
    appendFileSync(join(project.dir, "src", "client", "style.css"), "\n/* changed by start.test.ts */\n");
    let server = await startProject(project.dir, ENV);
    expect([built(server, "client"), built(server, "server")]).toEqual([true, false]);
    expect(await server.stop()).toBe(0);

    appendFileSync(join(project.dir, "src", "server", "http", "health.ts"), "\n// changed by start.test.ts\n");
    server = await startProject(project.dir, ENV);
    expect([built(server, "client"), built(server, "server")]).toEqual([false, true]);
    expect(await server.stop()).toBe(0);

    // A file touched without a change in content is not a change.
    const shared = join(project.dir, "src", "shared", "voxel", "constants.ts");
    writeFileSync(shared, readFileSync(shared));
    server = await startProject(project.dir, ENV);
    expect([built(server, "client"), built(server, "server")]).toEqual([false, false]);
    expect(await server.stop()).toBe(0);
  }, TIMEOUT);

  it("a failed build stops the start with the error and is retried by the next start", async () => {
    const main = join(project.dir, "src", "client", "main.ts");
    const good = readFileSync(main, "utf8");
    writeFileSync(main, `${good}\nconst broken = ;\n`);
    const failed = await runStartToExit(project.dir);
    expect(failed.code).not.toBe(0);
    expect(failed.output).toMatch(/vite.*failed|Unexpected token|Expression expected/i);

    writeFileSync(main, good);
    const server = await startProject(project.dir, ENV);
    try {
      expect(built(server, "client")).toBe(true);
      expect((await fetch(`${server.url}/`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, TIMEOUT);
});
