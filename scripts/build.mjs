// Builds what `npm start` runs, each part only when its inputs changed since that part's last
// build (plain Node, no TypeScript runtime: it runs before anything is compiled).
//
//   client  vite build                      -> dist/          (with .br and .gz copies)
//   server  tsc -p tsconfig.server.json     -> dist-server/   (run by `node`)
//
// A part's inputs are hashed with SHA-256 over every input file's path and bytes (a rename or
// a deleted file changes the hash too), plus the environment the build reads. The hash is
// written to <out>/.build-hash after a successful build and compared on the next run; a build
// that fails or is interrupted leaves no hash, so the next run builds again. The client's build
// version (vite.config.ts) names the git commit of its last build: a commit that leaves the
// client's inputs unchanged does not rebuild it.
//
// Usage: node scripts/build.mjs [client|server ...] [--force]   (default: both)
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);

/** Inputs shared by both parts. */
const COMMON = ["src/shared", "tsconfig.json", "package.json", "package-lock.json"];

/**
 * The two parts. `inputs` are files or directories (walked recursively) relative to the root;
 * `env` names the environment variables the build reads; `sentinel` must exist in `out` for a
 * matching hash to count (a half-deleted output is rebuilt).
 */
export const PARTS = {
  client: {
    out: "dist",
    sentinel: "index.html",
    inputs: [...COMMON, "index.html", "public", "src/client", "vite.config.ts", "src/server/http/security-headers.ts"],
    env: ["VITE_BUILD_VERSION", "GAME_PORT"],
    tool: { pkg: "vite", bin: "vite", args: ["build", "--logLevel", "warn"] },
  },
  server: {
    out: "dist-server",
    sentinel: "server/main.js",
    inputs: [...COMMON, "src/server", "tsconfig.server.json"],
    env: [],
    tool: { pkg: "typescript", bin: "tsc", args: ["-p", "tsconfig.server.json"] },
  },
};

/** Every file under `path` (sorted, relative to the root); a missing input counts as empty. */
function listFiles(path) {
  const abs = join(ROOT, path);
  if (!existsSync(abs)) return [];
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(relative(ROOT, full));
    }
  };
  if (statSync(abs).isDirectory()) walk(abs);
  else out.push(path);
  return out;
}

/** Hex SHA-256 of a part's inputs: each file's path and bytes, then the named environment values. */
export function inputHash(part) {
  const hash = createHash("sha256");
  for (const input of part.inputs) {
    for (const file of listFiles(input)) {
      const bytes = readFileSync(join(ROOT, file));
      hash.update(`${file}\0${bytes.length}\0`).update(bytes);
    }
  }
  for (const name of part.env) hash.update(`env ${name}=${process.env[name] ?? ""}\0`);
  return hash.digest("hex");
}

function stampPath(part) {
  return join(ROOT, part.out, ".build-hash");
}

/** True when `part`'s output exists and was built from inputs with hash `hash`. */
export function upToDate(part, hash) {
  if (!existsSync(join(ROOT, part.out, part.sentinel))) return false;
  try {
    return readFileSync(stampPath(part), "utf8").trim() === hash;
  } catch {
    return false;
  }
}

/** The JS entry of a package's command, or an Error saying how to get it. */
function toolPath(tool) {
  try {
    const pkgFile = require.resolve(`${tool.pkg}/package.json`);
    const { bin } = JSON.parse(readFileSync(pkgFile, "utf8"));
    return join(dirname(pkgFile), typeof bin === "string" ? bin : bin[tool.bin]);
  } catch (err) {
    return new Error(`${tool.pkg} is not installed (run npm install; an install with --omit=dev cannot rebuild): ${err.message}`);
  }
}

function run(file, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`))));
  });
}

/** Builds one part from scratch and stamps it with `hash`. */
async function buildPart(name, hash) {
  const part = PARTS[name];
  const tool = toolPath(part.tool);
  if (tool instanceof Error) throw tool;
  // No stale stamp survives a failed build; dist-server/ is emptied so a deleted source leaves no .js.
  rmSync(stampPath(part), { force: true });
  if (name === "server") rmSync(join(ROOT, part.out), { recursive: true, force: true });
  await run(tool, part.tool.args);
  writeFileSync(stampPath(part), `${hash}\n`);
}

/**
 * Builds the named parts whose inputs changed (all of them with `force`), in parallel.
 * Resolves to what happened to each part; rejects when a build fails.
 */
export async function ensureBuilt(names = ["client", "server"], { force = false, log = (line) => console.error(line) } = {}) {
  const t0 = performance.now();
  const plan = names.map((name) => {
    const hash = inputHash(PARTS[name]);
    return { name, hash, fresh: !force && upToDate(PARTS[name], hash) };
  });
  const hashMs = Math.round(performance.now() - t0);
  for (const p of plan) log(`build: ${p.name} ${p.fresh ? "up to date" : "building"} (inputs ${p.hash.slice(0, 12)}, hashed in ${hashMs} ms)`);
  await Promise.all(plan.filter((p) => !p.fresh).map((p) => buildPart(p.name, p.hash)));
  const built = plan.filter((p) => !p.fresh).map((p) => p.name);
  if (built.length > 0) log(`build: ${built.join(" and ")} built in ${Math.round(performance.now() - t0)} ms`);
  return Object.fromEntries(plan.map((p) => [p.name, p.fresh ? "fresh" : "built"]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((n) => !(n in PARTS));
  if (unknown.length > 0) {
    console.error(`unknown part: ${unknown.join(", ")} (parts: ${Object.keys(PARTS).join(", ")})`);
    process.exit(2);
  }
  ensureBuilt(names.length > 0 ? names : undefined, { force: args.includes("--force") }).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
