// Telemetry overhead, counted in instructions: `npm run bench:telemetry [-- --json]`.
//
// Wall-clock A/B runs on a shared machine differ by more than the 2% being measured, so this
// counts executed instructions instead: bench/telemetry-workload.ts (the real game and systems
// over the memory transport, ~100 scripted bots, a fixed tick count; see its header for what
// makes it repeatable) runs once per variant under `valgrind --tool=callgrind`, and only the
// measured window is counted (callgrind --dump-before=uv_loadavg; the workload marks the
// window with os.loadavg()). V8 keeps its JIT (counts reflect optimised code after a fixed
// warm-up of ticks) but runs --single-threaded, so compilation and GC happen at the same
// points in every run.
//
// Variants: off (the facade's no-ops), full telemetry at trace ratio 0.05 and 1.0, and each
// component alone (logger, metrics, the OpenTelemetry context manager, tracing at 0.05).
// Shares of the 0.05 overhead: logger, metrics and context are (alone - off); tracing is
// (tracing alone - context alone), since the tracing backend installs the context manager.
// Warm-up, fixed: 7200 ticks (four minutes of game time at 30 Hz) before a window of 300, so
// the window counts a server that has been running, not one still compiling. After 3600
// warm-up ticks, V8's compilers still took 2.1% (off) to 2.6% (ratio 0.05) of the window; after
// 7200, 0.8-0.9% in every variant, the same in all, and ratio 0.05 counted x1.0201 instead of
// x1.0241 while its ratio without the compilers hardly moved (x1.0197, x1.0189). The rare
// telemetry paths (a scrape every 150 ticks, an export every 30, a sampled tick about every
// 20) reach V8's optimising tier only after many ticks; with 600 warm-up ticks V8 (--trace-opt)
// was still optimising the sampled-span path (startSpan, withSpan, the processors' onEnd, the
// OTLP transform) inside the window, and the 0.05 variant counted x1.11, 6.5 points of it in
// V8's compilers and 4.2 in IC misses of code not yet optimised. Half of that compiling was
// caused by the bench itself: the full collection it forced right before the window (to start
// it on a clean heap) discarded optimised code that embeds objects it freed ("weak objects"
// in --trace-deopt), the telemetry paths above most of all, so they were compiled again in the
// window. The collection now runs halfway through the warm-up (300 ticks before the window still
// left the rare export and scrape paths re-compiling inside it).
// To keep a long warm-up affordable, valgrind runs it uninstrumented (--instr-atstart=no, ~10x
// faster): when the warm-up is done the workload prints a line and waits; the driver turns
// instrumentation on with callgrind_control and lets it go on, and the window starts at the
// next os.loadavg() dump as before (a gated and an ungated run of the same size counted within
// 0.2%). Each run also reports the window's instructions spent in V8's compilers
// (compile_share), which shows whether the warm-up reached that steady state, and the ratios
// with those instructions taken out of both counts (steady_ratio_*).
// Counts do not depend on scheduling, so --parallel N runs N variants at once.
// Options: --json, --bots N, --warmup N, --ticks N, --parallel N, --no-components (off/0.05/1 only),
// --keep DIR (keep each window's callgrind file there, for callgrind_annotate),
// --attribute (name V8's JIT code through its perf map and split each window by kind of work:
// game code, scrape, export, SDK, compilers, GC... (bench/callgrind-attribution.ts); it adds
// --perf-basic-prof and --no-short-builtin-calls, which move the counts a little, so read its
// ratios beside a run without it).
import { execFile, fork, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { attribute, CATEGORIES, COMPILER_FN, largestDifferences, zeroByCategory } from "./callgrind-attribution.ts";
import type { Attribution, Category, FunctionCost } from "./callgrind-attribution.ts";
import { WINDOW_READY } from "./telemetry-workload.ts";
import type { Variant, WorkloadReport } from "./telemetry-workload.ts";

const ROOT = resolve(import.meta.dirname, "..");
/** Beside node_modules, so the bundle's bare imports (pino, prom-client, ...) resolve. */
const BUNDLE = join(ROOT, "node_modules", ".cache", "telemetry-cost", "workload.mjs");
/**
 * V8 settings that make the count repeatable (within ~0.1%) without turning the JIT off: no
 * background compiler or GC threads, a GC schedule that does not follow wall-clock time
 * (no incremental marking or memory reducer, sweeping on the main thread), seeded
 * Math.random and hashing. --expose-gc lets the workload start the window on a clean heap.
 */
export const V8_FLAGS = [
  "--single-threaded", "--predictable-gc-schedule", "--no-incremental-marking", "--no-memory-reducer",
  "--no-concurrent-sweeping", "--no-concurrent-array-buffer-sweeping", "--no-minor-gc-task", "--no-parallel-scavenge",
  "--expose-gc", "--random-seed=1", "--hash-seed=1",
];

/** One run of the workload. */
export interface RunSpec {
  readonly variant: Variant;
  readonly ratio: number;
}

/** Workload size. */
export interface BenchSize {
  readonly bots: number;
  readonly warmupTicks: number;
  readonly ticks: number;
}

/** Four minutes of game time at 30 Hz before the window (see the header for why that long). */
export const DEFAULT_SIZE: BenchSize = { bots: 100, warmupTicks: 7200, ticks: 300 };

/** A counted run: instructions in the measured window, and what the workload reported. */
export interface RunResult {
  readonly spec: RunSpec;
  readonly instructions: number;
  /** Of those, instructions in V8's optimising compilers (TurboFan, Maglev): warm-up left in the window. */
  readonly compileInstructions: number;
  readonly report: WorkloadReport;
  /** The window split by kind of work (with --attribute). */
  readonly attribution?: Attribution;
}

/**
 * With --attribute: V8 writes its code objects to /tmp/perf-PID.map (read after the run), and
 * keeps its builtins in the binary, where callgrind finds their symbols, instead of copying
 * them next to the JIT code.
 */
const ATTRIBUTION_FLAGS = ["--perf-basic-prof", "--no-short-builtin-calls"];
/** Functions listed per run by --attribute: those whose instructions differ most from off. */
const LARGEST_FUNCTIONS = 12;

/** Bundles the workload (our TypeScript inlined, packages external) so node starts it quickly under valgrind. */
export async function bundleWorkload(): Promise<string> {
  mkdirSync(join(BUNDLE, ".."), { recursive: true });
  await build({
    entryPoints: [join(ROOT, "bench", "telemetry-workload.ts")],
    outfile: BUNDLE,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  return BUNDLE;
}

/** The `totals:` line of a callgrind output file (instructions, Ir). */
export function callgrindTotal(text: string): number {
  const m = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (!m) throw new Error("no totals line in callgrind output");
  return Number(m[1]);
}

/** Sums the self cost of V8's compiler functions in callgrind_annotate output. */
export function compilerInstructions(annotated: string): number {
  let sum = 0;
  for (const line of annotated.split("\n")) {
    const m = /^\s*([\d,]+) \([\s\d.%]+\)\s+(.*)$/.exec(line);
    if (m && COMPILER_FN.test(m[2])) sum += Number(m[1].replaceAll(",", ""));
  }
  return sum;
}

function run(file: string, args: readonly string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} failed: ${err.message}\n${stderr.slice(-4000)}`));
      else resolvePromise({ stdout, stderr });
    });
  });
}

/**
 * Runs the workload under valgrind, uninstrumented until it prints WINDOW_READY: then turns
 * callgrind's instrumentation on (callgrind_control, through valgrind's gdbserver) and lets it
 * go on. The warm-up runs ~10x faster so; the window is counted exactly as before (its start
 * is still the uv_loadavg dump, after instrumentation is on). Resolves with the output.
 */
function runGated(args: readonly string[], timeoutMs: number): Promise<{ stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("valgrind", ["--instr-atstart=no", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let gated = false;
    let gateError = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdin.on("error", () => {}); // the workload closes stdin once it has its go
    child.stderr.on("data", (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-8000);
    });
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
      if (gated || !stdout.includes(`${WINDOW_READY}\n`)) return;
      gated = true;
      if (child.pid === undefined) return;
      // vgdb reaches a valgrind blocked in a system call through ptrace; where ptrace is not
      // allowed this fails (or times out) and the run is reported as such.
      execFile("callgrind_control", ["--instr=on", String(child.pid)], { timeout: 120_000 }, (err) => {
        if (err) {
          gateError = `callgrind_control could not switch instrumentation on (does vgdb have ptrace?): ${err.message}`;
          child.kill("SIGKILL");
        } else child.stdin.end("go\n");
      });
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && gated && gateError === "") resolvePromise({ stdout });
      else reject(new Error(`${gateError || `valgrind exited ${code ?? signal}${gated ? "" : " before the window"}`}\n${stderr.slice(-4000)}`));
    });
  });
}

/**
 * Runs the bundled workload once under callgrind and returns the instructions of its measured
 * window (the second of the three dumps). `sink` is the OTLP/HTTP URL of a running sink;
 * `keep`, a directory where the window's callgrind file is copied (for callgrind_annotate).
 */
export async function countRun(bundle: string, spec: RunSpec, size: BenchSize, sink: string | null, keep?: string, attributed = false): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "telemetry-cost-"));
  try {
    const out = join(dir, "callgrind.out");
    const args = [
      "--tool=callgrind", "--dump-before=uv_loadavg", `--callgrind-out-file=${out}`, "--quiet",
      process.execPath, ...V8_FLAGS, ...(attributed ? ATTRIBUTION_FLAGS : []), bundle,
      "--variant", spec.variant, "--ratio", String(spec.ratio),
      "--bots", String(size.bots), "--warmup", String(size.warmupTicks), "--ticks", String(size.ticks), "--gate", "1",
      ...(sink === null ? [] : ["--sink", sink]),
    ];
    const { stdout } = await runGated(args, 90 * 60_000);
    const parts = readdirSync(dir).filter((f) => f.startsWith("callgrind.out")).sort();
    // callgrind.out.1 = start-up and warm-up, .2 = the window, callgrind.out = the rest.
    if (parts.join(",") !== "callgrind.out,callgrind.out.1,callgrind.out.2") {
      throw new Error(`expected three callgrind dumps (window marked by two os.loadavg calls), got ${parts.join(", ")}`);
    }
    if (keep !== undefined) {
      mkdirSync(keep, { recursive: true });
      copyFileSync(`${out}.2`, join(keep, `callgrind.out.${spec.variant}-${spec.ratio}`));
    }
    const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as WorkloadReport;
    const annotated = await run("callgrind_annotate", ["--inclusive=no", "--threshold=100", "--auto=no", `${out}.2`], 10 * 60_000);
    const window = readFileSync(`${out}.2`, "utf8");
    let attribution: Attribution | undefined;
    if (attributed) {
      const pid = /^pid: (\d+)$/m.exec(window)?.[1];
      const map = `/tmp/perf-${pid}.map`;
      if (pid === undefined || !existsSync(map)) throw new Error(`--attribute: no perf map ${map} from the workload`);
      attribution = attribute(window, readFileSync(map, "utf8"), bundle);
      if (keep !== undefined) copyFileSync(map, join(keep, `perf.map.${spec.variant}-${spec.ratio}`));
      rmSync(map, { force: true });
    }
    return { spec, instructions: callgrindTotal(window), compileInstructions: compilerInstructions(annotated.stdout), report, attribution };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The OTLP sink (bench/otlp-sink.ts) in its own process, outside valgrind: a collector is not our cost. */
export async function startSink(): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = fork(fileURLToPath(new URL("./otlp-sink.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolvePromise, reject) => {
    child.once("message", (m: { type: string; port?: number }) => (m.type === "listening" ? resolvePromise(m.port ?? 0) : reject(new Error("sink failed"))));
    child.once("exit", (code) => reject(new Error(`OTLP sink exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolvePromise) => {
        child.once("exit", () => resolvePromise());
        child.send({ type: "stop" });
      }),
  };
}

/** The runs of a full benchmark, in order. */
export function benchRuns(components: boolean): RunSpec[] {
  const runs: RunSpec[] = [
    { variant: "off", ratio: 0.05 },
    { variant: "full", ratio: 0.05 },
    { variant: "full", ratio: 1 },
  ];
  if (components) {
    runs.push(
      { variant: "logger", ratio: 0.05 },
      { variant: "metrics", ratio: 0.05 },
      { variant: "context", ratio: 0.05 },
      { variant: "tracing", ratio: 0.05 },
    );
  }
  return runs;
}

/** What `--json` prints. */
export interface BenchSummary {
  instructions_off: number;
  instructions_0_05: number;
  instructions_1: number;
  /** Instructions of full telemetry at trace ratio 0.05 over telemetry off. */
  ratio_0_05: number;
  ratio_1: number;
  /**
   * The same ratios with the window's instructions in V8's optimising compilers taken out of
   * both counts. Compiling is a one-time cost per process, and the rare telemetry paths (a
   * sampled span every ~20 ticks, an export a second, a scrape every 5 s) reach their
   * optimising tier many ticks after the game's hot loops do. Still counted: their runs in the
   * interpreter and baseline code before that, and GC.
   */
  steady_ratio_0_05: number;
  steady_ratio_1: number;
  /** Share of the ratio-0.05 overhead per component (null without --components). */
  shares_0_05: { logger: number; metrics: number; tracing: number; context: number; interaction: number } | null;
  /** Instructions of each component alone over off (null without --components). */
  component_ratios: { logger: number; metrics: number; tracing: number; context: number } | null;
  spans_exported: { ratio_0_05: number; ratio_1: number };
  size: BenchSize;
  /** Each run; compile_share: the window's instructions spent in V8's compilers (warm-up left over). */
  runs: { variant: Variant; ratio: number; instructions: number; compile_share: number }[];
  /**
   * With --attribute: each run's window by kind of work, and each category's difference from
   * off as a fraction of off's whole window (they add up to the run's ratio - 1), and the
   * functions whose exclusive instructions differ most from off's (instructions, run minus off;
   * empty for off itself). Null without.
   */
  attribution: {
    variant: Variant;
    ratio: number;
    by_category: Record<Category, number>;
    over_off: Record<Category, number>;
    largest_over_off: FunctionCost[];
  }[] | null;
  method: string;
}

/** Turns the counted runs into ratios and shares. */
export function summarize(results: readonly RunResult[], size: BenchSize): BenchSummary {
  const find = (variant: Variant, ratio?: number): RunResult | undefined =>
    results.find((r) => r.spec.variant === variant && (ratio === undefined || r.spec.ratio === ratio));
  const need = (variant: Variant, ratio?: number): RunResult => {
    const r = find(variant, ratio);
    if (!r) throw new Error(`missing run ${variant} ${ratio ?? ""}`);
    return r;
  };
  const offRun = need("off");
  const off = offRun.instructions;
  const steady = (r: RunResult): number => r.instructions - r.compileInstructions;
  const low = need("full", 0.05);
  const high = need("full", 1);
  const round = (x: number): number => Math.round(x * 10000) / 10000;
  const logger = find("logger");
  const metrics = find("metrics");
  const context = find("context");
  const tracing = find("tracing");
  let shares: BenchSummary["shares_0_05"] = null;
  let alone: BenchSummary["component_ratios"] = null;
  if (logger && metrics && context && tracing) {
    const over = low.instructions - off;
    const parts = {
      logger: logger.instructions - off,
      metrics: metrics.instructions - off,
      tracing: tracing.instructions - context.instructions,
      context: context.instructions - off,
    };
    const share = (x: number): number => (over === 0 ? 0 : round(x / over));
    shares = {
      logger: share(parts.logger),
      metrics: share(parts.metrics),
      tracing: share(parts.tracing),
      context: share(parts.context),
      interaction: share(over - parts.logger - parts.metrics - parts.tracing - parts.context),
    };
    alone = {
      logger: round(logger.instructions / off),
      metrics: round(metrics.instructions / off),
      tracing: round(tracing.instructions / off),
      context: round(context.instructions / off),
    };
  }
  return {
    instructions_off: off,
    instructions_0_05: low.instructions,
    instructions_1: high.instructions,
    ratio_0_05: round(low.instructions / off),
    ratio_1: round(high.instructions / off),
    steady_ratio_0_05: round(steady(low) / steady(offRun)),
    steady_ratio_1: round(steady(high) / steady(offRun)),
    shares_0_05: shares,
    component_ratios: alone,
    spans_exported: { ratio_0_05: low.report.spans_exported, ratio_1: high.report.spans_exported },
    size,
    runs: results.map((r) => ({
      variant: r.spec.variant, ratio: r.spec.ratio, instructions: r.instructions, compile_share: round(r.compileInstructions / r.instructions),
    })),
    attribution: offRun.attribution === undefined ? null : results.map((r) => ({
      variant: r.spec.variant,
      ratio: r.spec.ratio,
      by_category: r.attribution?.byCategory ?? zeroByCategory(),
      over_off: Object.fromEntries(CATEGORIES.map((c) => [c, round(((r.attribution?.byCategory[c] ?? 0) - (offRun.attribution?.byCategory[c] ?? 0)) / off)])) as Record<Category, number>,
      largest_over_off: r === offRun || r.attribution === undefined || offRun.attribution === undefined ? [] : largestDifferences(r.attribution, offRun.attribution, LARGEST_FUNCTIONS),
    })),
    method: `valgrind --tool=callgrind --dump-before=uv_loadavg; node ${V8_FLAGS.join(" ")}${offRun.attribution === undefined ? "" : ` ${ATTRIBUTION_FLAGS.join(" ")}`} (JIT on, fixed warm-up of ${size.warmupTicks} ticks); window of ${size.ticks} ticks`,
  };
}

interface Args {
  json: boolean;
  components: boolean;
  parallel: number;
  keep: string | undefined;
  attributed: boolean;
  size: BenchSize;
}

function parseArgs(argv: readonly string[]): Args {
  const size = { ...DEFAULT_SIZE };
  let json = false;
  let components = true;
  let parallel = 1;
  let keep: string | undefined;
  let attributed = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const n = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === "--json") json = true;
    else if (a === "--no-components") components = false;
    else if (a === "--bots") size.bots = n();
    else if (a === "--warmup") size.warmupTicks = n();
    else if (a === "--ticks") size.ticks = n();
    else if (a === "--parallel") parallel = n();
    else if (a === "--keep" && i + 1 < argv.length) keep = resolve(argv[++i]);
    else if (a === "--attribute") attributed = true;
    else throw new Error(`unknown option ${a} (--json, --no-components, --bots N, --warmup N, --ticks N, --parallel N, --keep DIR, --attribute)`);
  }
  return { json, components, parallel, keep, attributed, size };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const { json, components, parallel, keep, attributed, size } = parseArgs(process.argv.slice(2));
  const bundle = await bundleWorkload();
  const sink = await startSink();
  const results: RunResult[] = [];
  const traced = (spec: RunSpec): boolean => spec.variant === "full" || spec.variant === "tracing";
  try {
    const specs = benchRuns(components);
    for (let i = 0; i < specs.length; i += parallel) {
      const batch = specs.slice(i, i + parallel);
      if (!json) process.stderr.write(`counting ${batch.map((s) => `${s.variant}${traced(s) ? ` @ ${s.ratio}` : ""}`).join(", ")}...\n`);
      results.push(...await Promise.all(batch.map((spec) => countRun(bundle, spec, size, traced(spec) ? sink.url : null, keep, attributed))));
    }
  } finally {
    await sink.stop();
  }
  const s = summarize(results, size);
  if (json) {
    console.log(JSON.stringify(s));
    return;
  }
  console.log(`telemetry cost: ${size.bots} bots, ${size.ticks} ticks counted after ${size.warmupTicks} warm-up ticks (${s.method})`);
  console.log(`  off           ${s.instructions_off.toLocaleString("en")} instructions`);
  console.log(`  ratio 0.05    ${s.instructions_0_05.toLocaleString("en")}  x${s.ratio_0_05.toFixed(4)}  (goal <= x1.02; ${s.spans_exported.ratio_0_05} spans exported)`);
  console.log(`  ratio 1.0     ${s.instructions_1.toLocaleString("en")}  x${s.ratio_1.toFixed(4)}  (${s.spans_exported.ratio_1} spans exported)`);
  console.log(`  without V8's optimising compilers (one-time per process): ratio 0.05 x${s.steady_ratio_0_05.toFixed(4)}, ratio 1.0 x${s.steady_ratio_1.toFixed(4)}`);
  if (s.shares_0_05 && s.component_ratios) {
    const a = s.component_ratios;
    const sh = s.shares_0_05;
    console.log("  share of the ratio-0.05 overhead (component alone over off):");
    console.log(`    logger   ${pct(sh.logger).padStart(7)}  (x${a.logger.toFixed(4)})`);
    console.log(`    metrics  ${pct(sh.metrics).padStart(7)}  (x${a.metrics.toFixed(4)})`);
    console.log(`    tracing  ${pct(sh.tracing).padStart(7)}  (x${a.tracing.toFixed(4)} with its context manager)`);
    console.log(`    context  ${pct(sh.context).padStart(7)}  (x${a.context.toFixed(4)})`);
    console.log(`    together ${pct(sh.interaction).padStart(7)}  (what the components cost only in combination)`);
  }
  if (s.attribution !== null) printAttribution(s.attribution, s.instructions_off);
  console.log(`  V8 compiling inside the window: ${s.runs.map((r) => `${runLabel(r)} ${pct(r.compile_share)}`).join(", ")}`);
}

/** A run as the report names it: its variant, and its trace ratio for full telemetry. */
function runLabel(r: { variant: Variant; ratio: number }): string {
  return `${r.variant}${r.variant === "full" ? ` @ ${r.ratio}` : ""}`;
}

/** The --attribute table: off's window by category, and each run's difference as a share of it. */
function printAttribution(rows: NonNullable<BenchSummary["attribution"]>, off: number): void {
  const offRow = rows.find((r) => r.variant === "off");
  const others = rows.filter((r) => r.variant !== "off");
  const head = others.map((r) => runLabel(r).padStart(14)).join("");
  console.log(`  where the instructions went (--attribute; difference from off, as a share of off's ${off.toLocaleString("en")}):`);
  console.log(`    ${"".padEnd(34)}${"off".padStart(16)}${head}`);
  for (const c of CATEGORIES) {
    const base = offRow?.by_category[c] ?? 0;
    const cells = others.map((r) => `${r.over_off[c] >= 0 ? "+" : ""}${(r.over_off[c] * 100).toFixed(2)}%`.padStart(14)).join("");
    console.log(`    ${c.padEnd(34)}${base.toLocaleString("en").padStart(16)}${cells}`);
  }
  for (const r of others) {
    console.log(`  functions that differ most from off, ${runLabel(r)} (exclusive instructions, run minus off):`);
    for (const f of r.largest_over_off) {
      const short = f.name.replaceAll(`file://${ROOT}/`, "").replaceAll(`${ROOT}/`, "");
      const name = short.length > 110 ? `${short.slice(0, 107)}...` : short;
      console.log(`    ${`${f.instructions >= 0 ? "+" : ""}${f.instructions.toLocaleString("en")}`.padStart(14)}  ${f.category.padEnd(32)} ${name}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
