// Where a callgrind window's instructions went, by kind of work (`npm run bench:telemetry --
// --attribute`). Callgrind names native functions from their symbols, but JavaScript that V8
// compiled at run time is only an address to it. Node's --perf-basic-prof makes V8 append every
// code object it creates to /tmp/perf-PID.map ("start size name", hex), so those addresses can
// be named: JS:*fn (optimised), JS:^fn (baseline), JS:~fn (interpreted), with their source.
//
// Only exclusive (self) costs are summed: callgrind's inclusive costs through V8's baseline
// call builtins also take in whatever an interrupt check ran there (a GC, an optimising compile).
// A code address freed and reused later is named by the code object created last at that
// address, which for a window at the end of the process is the one it ran.

/** The kinds of work a window is split into, in the order the report prints them. */
export const CATEGORIES = [
  "game and server JS", "prom-client (scrape)", "OTLP export", "OpenTelemetry SDK and API", "pino (logs)",
  "other JS", "V8 optimising compilers", "garbage collection", "V8 builtins and inline caches", "native (V8 runtime, libc, node)",
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
  return "native (V8 runtime, libc, node)";
}

interface PerfEntry {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

/** Parses a perf map; for a start address listed twice, the later line wins. */
export function parsePerfMap(text: string): PerfEntry[] {
  const byStart = new Map<number, PerfEntry>();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (!m) continue;
    const start = parseInt(m[1], 16);
    byStart.set(start, { start, end: start + parseInt(m[2], 16), name: m[3] });
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

/** The perf-map name of the code at `address`, or undefined. */
function lookup(entries: readonly PerfEntry[], address: number): string | undefined {
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid].start <= address) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found >= 0 && address < entries[found].end ? entries[found].name : undefined;
}

/**
 * Exclusive instructions per function in a callgrind file (format of `--dump-before`, one
 * event, Ir), with bare addresses named through the perf map. Cost lines are "position cost";
 * the line after a `calls=` line is that call's inclusive cost and is not counted.
 */
export function exclusiveByFunction(callgrind: string, perfMap: string): Map<string, number> {
  const entries = parsePerfMap(perfMap);
  const names = new Map<string, string>();
  const nameOf = (spec: string): string => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!m) return spec;
    if (m[2] !== undefined) {
      const addr = /^0x([0-9a-f]+)$/.exec(m[2]);
      names.set(m[1], addr ? (lookup(entries, parseInt(addr[1], 16)) ?? m[2]) : m[2]);
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

/** A window split by category (instructions), and its heaviest functions. */
export interface Attribution {
  readonly byCategory: Record<Category, number>;
  readonly top: { name: string; instructions: number; category: Category }[];
}

/** Splits a window by category; `bundlePath` marks the project's own (bundled) code. */
export function attribute(callgrind: string, perfMap: string, bundlePath: string, topN = 40): Attribution {
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const fns = exclusiveByFunction(callgrind, perfMap);
  const top: Attribution["top"] = [];
  for (const [name, instructions] of fns) {
    const category = categorize(name, bundlePath);
    byCategory[category] += instructions;
    top.push({ name, instructions, category });
  }
  top.sort((a, b) => b.instructions - a.instructions);
  return { byCategory, top: top.slice(0, topN) };
}
