// Start-time benchmark: figures, not assertions. Times from spawning the command to the first
// 200 from /healthz, on fresh copies of the project (test/scripts/project.ts) with the default
// world, as `npm install && npm start` gets it:
//   cold     `npm start` with nothing built: vite build and tsc, then the compiled server
//   warm     `npm start` again with nothing changed: no build
//   before   the previous `npm start`: vite build on every start, then tsx src/server/main.ts
// `npm run bench:start -- --runs N` repeats each (default 3); `--json` prints one JSON line.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { copyProject, startProject } from "../test/scripts/project.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");
const runsArg = args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Math.max(1, Number(args[runsArg + 1]) || 1) : 3;

/** Times one command in `dir` to /healthz 200, then stops it. */
async function timeStart(dir: string, argv?: readonly string[]): Promise<number> {
  const server = await startProject(dir, {}, argv ? { argv } : {});
  await server.stop();
  return server.msToHealthy;
}

/** The previous `npm start`: `vite build --logLevel warn && tsx src/server/main.ts`. */
async function timeBefore(dir: string): Promise<number> {
  const t0 = performance.now();
  const build = spawnSync(process.execPath, [join(dir, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: dir, stdio: "ignore" });
  if (build.status !== 0) throw new Error(`vite build failed (${build.status})`);
  const buildMs = performance.now() - t0;
  return buildMs + (await timeStart(dir, [join(dir, "node_modules/tsx/dist/cli.mjs"), "src/server/main.ts"]));
}

function summary(ms: number[]): { median_ms: number; min_ms: number; max_ms: number; runs: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return { median_ms: Math.round(sorted[Math.floor(sorted.length / 2)]), min_ms: Math.round(sorted[0]), max_ms: Math.round(sorted[sorted.length - 1]), runs: ms.length };
}

async function main(): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  const before: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const project = copyProject();
    try {
      cold.push(await timeStart(project.dir));
      warm.push(await timeStart(project.dir));
      before.push(await timeBefore(project.dir));
    } finally {
      project.cleanup();
    }
  }
  const result = { cold: summary(cold), warm: summary(warm), before: summary(before) };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log("command to /healthz 200 (ms)   median     min     max   runs");
  for (const [name, s] of Object.entries(result)) {
    console.log(`${name.padEnd(30)} ${String(s.median_ms).padStart(7)} ${String(s.min_ms).padStart(7)} ${String(s.max_ms).padStart(7)} ${String(s.runs).padStart(6)}`);
  }
  console.log(`warm / before: ${(result.warm.median_ms / result.before.median_ms).toFixed(2)}, cold / before: ${(result.cold.median_ms / result.before.median_ms).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
