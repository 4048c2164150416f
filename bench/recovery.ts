// Recovery benchmark: figures, not assertions. `npm run bench:recovery -- [--store sqlite|postgres|both] [--runs N]`.
// On a fresh copy of the project (test/scripts/project.ts), the compiled server as `npm start`
// runs it, on the default world with its world in a real store (a SQLite directory; a
// PostgreSQL cluster started on loopback for the run). Each run: bots carve for a moment, the
// server is killed with SIGKILL, and a new one is started on the same store; it times kill to
// the first /healthz 200 (the port opens only after the zone is recovered) and to a bot's
// completed join, and reads the server's own recovery (`zone recovered` ms: claim, load,
// replay). The goals: kill to accepting joins within 2 s (SQLite) and 5 s (PostgreSQL).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bot } from "../src/server/bots/bot.ts";
import { copyProject, startProject } from "../test/scripts/project.ts";
import type { StartedServer } from "../test/scripts/project.ts";
import { startPostgres } from "../test/server/store/postgres.ts";

const args = process.argv.slice(2);
const at = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const RUNS = Math.max(1, Math.min(20, Number(at("--runs") ?? 3) || 3));
const storeArg = at("--store") ?? "both";
const STORES = storeArg === "both" ? ["sqlite", "postgres"] : [storeArg];
if (!STORES.every((s) => s === "sqlite" || s === "postgres")) throw new Error("--store must be sqlite, postgres or both");

/** Fires a few shots at the ground so the store holds edits, then returns. */
async function carve(server: StartedServer): Promise<void> {
  const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
  for (let i = 0; i < 6; i++) {
    bot.fire(Math.sin(i), -2, Math.cos(i));
    await new Promise((r) => setTimeout(r, 260));
  }
  await bot.close();
}

/** The `zone recovered` line's ms from the server's output. */
function recoveredMs(server: StartedServer): number {
  const line = server.output().split("\n").find((l) => l.includes('"zone recovered"'));
  return line === undefined ? NaN : Number((JSON.parse(line) as { ms: number }).ms);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const project = copyProject(["tsx"]);
  try {
    for (const store of STORES) {
      const dir = mkdtempSync(join(tmpdir(), "voxel-recovery-"));
      const pg = store === "postgres" ? await startPostgres() : null;
      const env = { NPC_COUNT: "0", JSON_LOGS: "true", STORE: pg !== null ? pg.url : `sqlite:${dir}`, STORE_LEASE_MS: "1000" };
      const toHealthy: number[] = [];
      const toJoin: number[] = [];
      const own: number[] = [];
      try {
        let server = await startProject(project.dir, env);
        for (let run = 0; run < RUNS; run++) {
          await carve(server);
          const killedAt = await server.kill();
          server = await startProject(project.dir, env);
          toHealthy.push(performance.now() - killedAt);
          const bot = await Bot.connect({ url: server.wsUrl, trackWorld: false });
          toJoin.push(performance.now() - killedAt);
          await bot.close();
          own.push(recoveredMs(server));
        }
        await server.stop();
      } finally {
        await pg?.stop();
        rmSync(dir, { recursive: true, force: true });
      }
      const f = (xs: number[]): string => `median ${Math.round(median(xs))} (${xs.map(Math.round).join(", ")}) ms`;
      console.log(`recovery [${store}], ${RUNS} kills of the compiled server: kill to /healthz 200 ${f(toHealthy)}; to a completed join ${f(toJoin)}; zone recovered in ${f(own)}`);
    }
  } finally {
    project.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
