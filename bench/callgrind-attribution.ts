// Where a callgrind window's instructions went, by kind of work (`npm run bench:telemetry --
// --attribute`). Callgrind names native functions from their symbols, but JavaScript that V8
// compiled at run time is only an address to it. Node's --perf-basic-prof makes V8 append every
// code object it creates to /tmp/perf-PID.map ("start size name", hex), so those addresses can
// be named: JS:*fn (optimised), JS:^fn (baseline), JS:~fn (interpreted), with their source.
//
// Only exclusive (self) costs are summed: callgrind's inclusive costs through V8's baseline
// call builtins also take in whatever an interrupt check ran there (a GC, an optimising compile).
// A code address freed and reused later is named by the code object created last over that
// address, which for a window at the end of the process is the one it ran.

/** The kinds of work a window is split into, in the order the report prints them. */
export const CATEGORIES = [
  "game and server JS", "prom-client (scrape)", "OTLP export", "OpenTelemetry SDK and API", "pino (logs)",
  "other JS", "unnamed JIT code (WebAssembly)", "V8 optimising compilers", "garbage collection", "V8 builtins and inline caches", "native (V8 runtime, libc, node)",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** V8's optimising compilers (also the bench's compile_share). */
export const COMPILER_FN = /v8::internal::(?:compiler|maglev|turboshaft)::|v8::internal::Compiler::|v8::internal::OptimizingCompileDispatcher/;
const GC_FN = /v8::internal::(?:Scavenger|Sweeper|MarkCompactCollector|MinorMarkCompactCollector|MinorMarkSweepCollector|ConcurrentMarking|MarkingVisitor|Evacuat|Heap::|BodyDescriptorBase::IteratePointers<v8::internal::\w*(?:Scaveng|Mark|Evacuat))|heap::base::|cppgc::/;

/** Which category a function (callgrind's name, or the perf map's for JIT code) belongs to. */
export function categorize(name: string, bundlePath: string): Category {
  if (COMPILER_FN.test(name)) return "V8 optimising compilers";
  if (GC_FN.test(name)) return "garbage collection";
  if (/prom-client\/|^hdr_|all_values_iter/.test(name)) return "prom-client (scrape)";
  if (/@opentelemetry\/(?:otlp-|exporter-)|BatchSpanProcessor/.test(name)) return "OTLP export";
  if (name.includes("@opentelemetry/")) return "OpenTelemetry SDK and API";
  if (/\/(?:pino|sonic-boom|@pinojs)\//.test(name)) return "pino (logs)";
  if (name.startsWith("JS:")) return name.includes(bundlePath) ? "game and server JS" : "other JS";
  if (name.startsWith("Builtins_")) return "V8 builtins and inline caches";
  // An address the perf map does not cover: V8's --perf-basic-prof does not list the
  // WebAssembly code (the mesher): in this bench one such address ran 7% of every window.
  if (/^0x[0-9a-f]+$/.test(name)) return "unnamed JIT code (WebAssembly)";
  return "native (V8 runtime, libc, node)";
}

interface PerfEntry {
  readonly start: number;
  readonly end: number;
  readonly name: string;
  /** Line number in the map: V8 appends, so a higher one is a later code object. */
  readonly order: number;
}

/** A parsed perf map: entries sorted by start address, and the largest code object's size. */
export interface PerfMap {
  readonly entries: readonly PerfEntry[];
  readonly maxSize: number;
}

/** Parses a perf map (lines "start size name", hex), skipping anything else. */
export function parsePerfMap(text: string): PerfMap {
  const entries: PerfEntry[] = [];
  let maxSize = 0;
  text.split("\n").forEach((line, order) => {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (!m) return;
    const start = parseInt(m[1], 16);
    const size = parseInt(m[2], 16);
    maxSize = Math.max(maxSize, size);
    entries.push({ start, end: start + size, name: m[3], order });
  });
  entries.sort((a, b) => a.start - b.start || a.order - b.order);
  return { entries, maxSize };
}

/**
 * The name of the code at `address`: of the code objects that covered it, the one created last
 * (code space is reused after a collection frees old code).
 */
export function lookup(map: PerfMap, address: number): string | undefined {
  const { entries } = map;
  let lo = 0;
  let hi = entries.length - 1;
  let last = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid].start <= address) {
      last = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  let best: PerfEntry | undefined;
  for (let i = last; i >= 0 && entries[i].start > address - map.maxSize; i--) {
    const e = entries[i];
    if (address < e.end && (best === undefined || e.order > best.order)) best = e;
  }
  return best?.name;
}

/**
 * Exclusive instructions per function in a callgrind file (format of `--dump-before`, one
 * event, Ir), with bare addresses named through the perf map. Cost lines are "position cost";
 * the line after a `calls=` line is that call's inclusive cost and is not counted.
 */
export function exclusiveByFunction(callgrind: string, perfMap: string): Map<string, number> {
  const map = parsePerfMap(perfMap);
  const names = new Map<string, string>();
  const nameOf = (spec: string): string => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!m) return spec;
    if (m[2] !== undefined) {
      const addr = /^0x([0-9a-f]+)$/.exec(m[2]);
      names.set(m[1], addr ? (lookup(map, parseInt(addr[1], 16)) ?? m[2]) : m[2]);
    }
    return names.get(m[1]) ?? spec;
  };
  const self = new Map<string, number>();
  let current: string | null = null;
  let skipNext = false;
  for (const line of callgrind.split("\n")) {
    if (line.startsWith("fn=")) {
      current = nameOf(line.slice(3));
    } else if (line.startsWith("cfn=")) {
      nameOf(line.slice(4));
    } else if (line.startsWith("calls=")) {
      skipNext = true;
    } else if (/^[\d+*-]/.test(line)) {
      if (skipNext) {
        skipNext = false;
        continue;
      }
      const cost = Number(line.split(" ")[1]);
      if (current !== null && Number.isFinite(cost)) self.set(current, (self.get(current) ?? 0) + cost);
    }
  }
  return self;
}

/** A record with every category at 0 instructions. */
export function zeroByCategory(): Record<Category, number> {
  return Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
}

/** One function's exclusive instructions in a window, and its category. */
export interface FunctionCost {
  readonly name: string;
  readonly instructions: number;
  readonly category: Category;
}

/** A window split by category (instructions), and by function (name to exclusive instructions). */
export interface Attribution {
  readonly byCategory: Record<Category, number>;
  readonly functions: ReadonlyMap<string, FunctionCost>;
}

/** The one name of all code the perf map does not name: its addresses differ from run to run. */
export const UNNAMED_JIT = "(JIT code the perf map does not name)";

/**
 * Splits a window by category; `bundlePath` marks the project's own (bundled) code. Code the
 * perf map does not name counts as one function, UNNAMED_JIT.
 */
export function attribute(callgrind: string, perfMap: string, bundlePath: string): Attribution {
  const byCategory = zeroByCategory();
  const functions = new Map<string, FunctionCost>();
  for (const [fn, instructions] of exclusiveByFunction(callgrind, perfMap)) {
    const category = categorize(fn, bundlePath);
    const name = category === "unnamed JIT code (WebAssembly)" ? UNNAMED_JIT : fn;
    byCategory[category] += instructions;
    functions.set(name, { name, instructions: (functions.get(name)?.instructions ?? 0) + instructions, category });
  }
  return { byCategory, functions };
}

/**
 * The `n` functions whose exclusive instructions differ most between a run and the baseline
 * (largest absolute difference first); `instructions` is run minus baseline, negative where the
 * run spent fewer. A function missing from one window counts 0 there. V8 names JIT code by
 * tier (`*` optimised, `^` baseline, `~` interpreted), so one function compiled at another
 * tier shows as two rows of opposite sign.
 */
export function largestDifferences(run: Attribution, baseline: Attribution, n: number): FunctionCost[] {
  const diffs: FunctionCost[] = [];
  for (const [name, f] of run.functions) {
    diffs.push({ name, category: f.category, instructions: f.instructions - (baseline.functions.get(name)?.instructions ?? 0) });
  }
  for (const [name, f] of baseline.functions) {
    if (!run.functions.has(name)) diffs.push({ name, category: f.category, instructions: -f.instructions });
  }
  return diffs.filter((d) => d.instructions !== 0).sort((a, b) => Math.abs(b.instructions) - Math.abs(a.instructions)).slice(0, n);
}
