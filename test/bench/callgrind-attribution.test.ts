// The attribution of `npm run bench:telemetry -- --attribute`: callgrind's self costs, JIT
// addresses named through V8's perf map, and the categories the report prints.
import { describe, expect, it } from "vitest";
import { UNNAMED_JIT, attribute, categorize, exclusiveByFunction, largestDifferences, lookup, parsePerfMap } from "../../bench/callgrind-attribution.ts";

const BUNDLE = "/work/x/node_modules/.cache/telemetry-cost/workload.mjs";

// Two JIT functions at bare addresses, one native compiler function calling a GC function. A
// `calls=` line's next line is the call's inclusive cost and must not count as self cost.
const CALLGRIND = [
  "# callgrind format",
  "version: 1",
  "pid: 4242",
  "events: Ir",
  "fl=(1) ???",
  "fn=(1) 0x0000000000001010",
  "0 500",
  "+3 100",
  "cfn=(2) 0x0000000000002000",
  "calls=1 0",
  "0 9999",
  "fn=(2)",
  "* 300",
  "fn=(3) v8::internal::compiler::GraphReducer::ReduceTop()",
  "0 40",
  "cfn=(4) v8::internal::Scavenger::ScavengePage(v8::internal::MemoryChunk*)",
  "calls=2 0",
  "0 7777",
  "fn=(4)",
  "-1 25",
  "fn=(5) 0x0000000000009000",
  "0 5",
  "totals: 970",
].join("\n");

// 0x1000 was first a baseline prom-client function, then (later line) optimised game code.
const PERF_MAP = [
  "1000 40 JS:^get /x/node_modules/prom-client/lib/gauge.js:108:11",
  "2000 80 JS:*exportSpans /x/node_modules/@opentelemetry/otlp-transformer/build/x.js:1:1",
  `1000 40 JS:*raycast file://${BUNDLE}:10:1`,
  "garbage line",
].join("\n");

describe("callgrind attribution", () => {
  it("names an address by the code object created last over it", () => {
    const map = parsePerfMap(PERF_MAP);
    expect(map.entries).toHaveLength(3);
    expect(lookup(map, 0x1010)).toBe(`JS:*raycast file://${BUNDLE}:10:1`);
    expect(lookup(map, 0x2079)).toMatch(/^JS:\*exportSpans/);
    expect(lookup(map, 0x2080)).toBeUndefined();
    expect(lookup(map, 0x0fff)).toBeUndefined();
    // A small old object inside a bigger newer one: the newer one ran there.
    const reused = parsePerfMap("5010 10 JS:*old x.js:1:1\n5000 100 JS:*new x.js:2:1\n5020 8 JS:*newest x.js:3:1");
    expect([lookup(reused, 0x5015), lookup(reused, 0x5021), lookup(reused, 0x5050)]).toEqual(["JS:*new x.js:2:1", "JS:*newest x.js:3:1", "JS:*new x.js:2:1"]);
  });

  it("sums self costs per function, naming JIT addresses, not counting calls' inclusive lines", () => {
    const self = exclusiveByFunction(CALLGRIND, PERF_MAP);
    expect(Object.fromEntries(self)).toEqual({
      [`JS:*raycast file://${BUNDLE}:10:1`]: 600,
      "JS:*exportSpans /x/node_modules/@opentelemetry/otlp-transformer/build/x.js:1:1": 300,
      "v8::internal::compiler::GraphReducer::ReduceTop()": 40,
      "v8::internal::Scavenger::ScavengePage(v8::internal::MemoryChunk*)": 25,
      // Outside every mapped range: kept as the address.
      "0x0000000000009000": 5,
    });
  });

  it("puts each function in its category", () => {
    const cases: [string, string][] = [
      ["v8::internal::maglev::MaglevGraphBuilder::Build()", "V8 optimising compilers"],
      ["v8::internal::Sweeper::RawSweep(v8::internal::Page*)", "garbage collection"],
      ["all_values_iter_next", "prom-client (scrape)"],
      ["JS:*getMetricsAsString /x/node_modules/prom-client/lib/registry.js:31:26", "prom-client (scrape)"],
      ["JS:^_flushOneBatch /x/node_modules/@opentelemetry/sdk-trace/build/src/export/BatchSpanProcessorBase.js:1:1", "OTLP export"],
      ["JS:*generateId /x/node_modules/@opentelemetry/sdk-trace/build/src/platform/node/RandomIdGenerator.js:1:1", "OpenTelemetry SDK and API"],
      ["JS:*write /x/node_modules/pino/lib/proto.js:1:1", "pino (logs)"],
      [`JS:*startSpan file://${BUNDLE}:2296:14`, "game and server JS"],
      ["JS:^popAsyncContext node:internal/async_hooks:553:25", "other JS"],
      ["Builtins_LoadIC", "V8 builtins and inline caches"],
      ["_int_malloc", "native (V8 runtime, libc, node)"],
      ["0x0000167019eb8019", "unnamed JIT code (WebAssembly)"],
    ];
    for (const [name, category] of cases) expect([name, categorize(name, BUNDLE)]).toEqual([name, category]);
  });

  it("splits a window by category, adding up to its self costs", () => {
    const a = attribute(CALLGRIND, PERF_MAP, BUNDLE);
    expect(a.byCategory).toMatchObject({
      "game and server JS": 600, "OTLP export": 300, "V8 optimising compilers": 40, "garbage collection": 25,
      "unnamed JIT code (WebAssembly)": 5, "native (V8 runtime, libc, node)": 0, "prom-client (scrape)": 0,
    });
    expect(Object.values(a.byCategory).reduce((x, y) => x + y, 0)).toBe(970);
    expect(a.functions.get(`JS:*raycast file://${BUNDLE}:10:1`)).toEqual({ name: `JS:*raycast file://${BUNDLE}:10:1`, instructions: 600, category: "game and server JS" });
    expect(a.functions.size).toBe(5);
  });

  it("lists the functions that differ most from the baseline, either way, including those in one window only", () => {
    const base = attribute(CALLGRIND, PERF_MAP, BUNDLE);
    // The run: raycast +50, exportSpans gone (-300), the compiler function unchanged, and a
    // scrape function off never ran (+120).
    const run = attribute(CALLGRIND
      .replace("0 500", "0 550")
      .replace("fn=(2)\n* 300", "fn=(2)\n* 0")
      .replace("fn=(5) 0x0000000000009000\n0 5", "fn=(5) all_values_iter_next\n0 120"), PERF_MAP, BUNDLE);
    const diffs = largestDifferences(run, base, 10);
    expect(diffs.map((d) => [d.name.split(" ")[0], d.instructions, d.category])).toEqual([
      ["JS:*exportSpans", -300, "OTLP export"],
      ["all_values_iter_next", 120, "prom-client (scrape)"],
      ["JS:*raycast", 50, "game and server JS"],
      [UNNAMED_JIT.split(" ")[0], -5, "unnamed JIT code (WebAssembly)"],
    ]);
    // Unnamed code at other addresses in another run (WebAssembly is placed anew each time)
    // is the same row, not a pair of opposite sign.
    const moved = attribute(CALLGRIND.replace("fn=(5) 0x0000000000009000\n0 5", "fn=(5) 0x0000000000007000\n0 3\nfn=(6) 0x0000000000007100\n0 4"), PERF_MAP, BUNDLE);
    expect(largestDifferences(moved, base, 10)).toEqual([{ name: UNNAMED_JIT, instructions: 2, category: "unnamed JIT code (WebAssembly)" }]);
    expect(largestDifferences(run, base, 2)).toHaveLength(2);
    expect(largestDifferences(base, base, 10)).toEqual([]);
  });
});
