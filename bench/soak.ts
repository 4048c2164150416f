// Soak benchmark: `npm run soak -- --minutes N [--bots B] [--hostile H] [--baseline [--rounds R]] [--json]`.
// Starts a fresh game server (bench/soak/server.ts: the real start sequence with the CLI's
// crash policy, in its own process) and a client process (bench/soak/clients.ts) with B bots
// that join, play, leave and reconnect at random, and H hostile clients that cycle through
// garbage frames, oversized frames, floods, wrong versions, silent sockets, resets mid-request,
// slowloris headers and readers that stop reading. /metrics is scraped every 5 s all along.
// Each minute it prints RSS, heap, open handles, tick p50/p99 and players; at the end, crashes,
// RSS growth after the first minute, tick p50/p99, closes by reason and socket errors by stage.
// With --baseline the same run follows without hostile clients, and the tick p99 ratio is
// printed. On a shared machine the load of other work drifts between two runs in a row; with
// --rounds R the two alternate R times in ABBA order (hostile, baseline, baseline, hostile,
// ...), each pooling its ticks, so a steady drift cancels out of the ratio. A benchmark, not a
// test: it prints figures and never fails on them.
//
// The goal on a 2-core machine over 10 minutes: zero crashes, RSS growth under 10% after the
// first minute, tick p99 within 1.2x of the run without hostile clients.
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClientsConfig, ClientsReport } from "./soak/clients.ts";
import type { ServerReport } from "./soak/server.ts";

interface Args {
  minutes: number;
  bots: number;
  hostile: number;
  baseline: boolean;
  /** With baseline: alternations of the two runs (ABBA order). */
  rounds: number;
  json: boolean;
}

type Sample = Extract<ServerReport, { type: "sample" }>;

/** What one run measured. */
interface PhaseResult {
  hostile: number;
  minutes: { minute: number; rssMb: number; heapMb: number; handles: number; tickP50: number; tickP99: number; playing: number; connected: number }[];
  crashes: number;
  serverExit: number | string | null;
  scrapes: { ok: number; failed: number };
  rssGrowthAfterFirstMinute: number;
  tickP50: number;
  tickP99: number;
  closes: Record<string, number>;
  socketErrors: Record<string, number>;
  refused: Record<string, number>;
  errors: Record<string, number>;
  clients: ClientsReport | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { minutes: 10, bots: 24, hostile: 8, baseline: false, rounds: 1, json: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const num = (lo: number, hi: number): number => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < lo || n > hi) throw new Error(`${k} must be a number in [${lo}, ${hi}]`);
      return n;
    };
    if (k === "--minutes") a.minutes = num(1, 240);
    else if (k === "--bots") a.bots = Math.round(num(1, 250));
    else if (k === "--hostile") a.hostile = Math.round(num(0, 250));
    else if (k === "--baseline") a.baseline = true;
    else if (k === "--rounds") a.rounds = Math.round(num(1, 20));
    else if (k === "--json") a.json = true;
    else throw new Error(`unknown argument ${k} (--minutes N --bots B --hostile H --baseline --rounds R --json)`);
  }
  return a;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an unsorted array (sorts a copy). */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

function child(script: string, args: string[] = []): ChildProcess {
  return fork(fileURLToPath(new URL(script, import.meta.url)), args, { execArgv: process.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** Sends `msg` and resolves with the child's next message of `type`. */
function ask<T>(c: ChildProcess, msg: object, type: string): Promise<T> {
  return new Promise((resolveAnswer, reject) => {
    const onMessage = (m: { type: string }): void => {
      if (m.type !== type) return;
      c.off("message", onMessage);
      c.off("exit", onExit);
      resolveAnswer(m as T);
    };
    const onExit = (): void => reject(new Error(`child exited while waiting for "${type}"`));
    c.on("message", onMessage);
    c.once("exit", onExit);
    c.send(msg);
  });
}

/** Scrapes /metrics every 5 s until stopped; counts answers that were not 200. */
function scrapeAll(url: string): { stop(): void; counts: { ok: number; failed: number } } {
  const counts = { ok: 0, failed: 0 };
  const timer = setInterval(() => {
    fetch(`${url}/metrics`, { signal: AbortSignal.timeout(4000) })
      .then(async (r) => {
        await r.arrayBuffer();
        if (r.status === 200) counts.ok++;
        else counts.failed++;
      })
      .catch(() => counts.failed++);
  }, 5000);
  return { stop: () => clearInterval(timer), counts };
}

/** One run: a fresh server, the clients, `minutes` of play, then a graceful stop; `ticks` collects its tick durations after minute 1. */
async function phase(args: Args, hostile: number, outDir: string, ticks: number[]): Promise<PhaseResult> {
  const server = child("./soak/server.ts", [join(outDir, `soak-server-${hostile > 0 ? "hostile" : "baseline"}.log`)]);
  let exit: number | string | null = null;
  const exited = new Promise<void>((r) => server.once("exit", (code, signal) => {
    exit = code ?? signal;
    r();
  }));
  const ready = await ask<Extract<ServerReport, { type: "ready" }>>(server, {}, "ready");
  const clients = child("./soak/clients.ts");
  const cfg: ClientsConfig = { wsUrl: ready.wsUrl, url: ready.url, metricsUrl: ready.metricsUrl, bots: args.bots, hostile, seed: 1 };
  clients.send({ type: "start", config: cfg });
  const scraper = scrapeAll(ready.metricsUrl);
  const result: PhaseResult = {
    hostile, minutes: [], crashes: 0, serverExit: null, scrapes: scraper.counts, rssGrowthAfterFirstMinute: NaN, tickP50: NaN, tickP99: NaN,
    closes: {}, socketErrors: {}, refused: {}, errors: {}, clients: null,
  };
  const own: number[] = [];
  let last: Sample | null = null;
  for (let minute = 1; minute <= args.minutes && exit === null; minute++) {
    await Promise.race([sleep(60_000), exited]);
    if (exit !== null) break;
    last = await ask<Sample>(server, { type: "sample" }, "sample");
    const row = {
      minute, rssMb: last.rss / 1048576, heapMb: last.heapUsed / 1048576, handles: last.handles,
      tickP50: percentile(last.ticks, 0.5), tickP99: percentile(last.ticks, 0.99), playing: last.playing, connected: last.connected,
    };
    result.minutes.push(row);
    if (minute > 1) {
      for (const t of last.ticks) own.push(t);
      for (const t of last.ticks) ticks.push(t);
    }
    if (!args.json) {
      console.log(`  min ${String(minute).padStart(3)}  rss ${row.rssMb.toFixed(1)} MiB  heap ${row.heapMb.toFixed(1)} MiB  handles ${row.handles}  tick p50 ${row.tickP50.toFixed(2)} ms p99 ${row.tickP99.toFixed(2)} ms  players ${row.playing}/${row.connected} sockets`);
    }
  }
  scraper.stop();
  result.clients = await ask<ClientsReport>(clients, { type: "stop" }, "final").catch(() => null);
  if (exit === null) {
    server.kill("SIGTERM");
    await Promise.race([exited, sleep(20_000)]);
    if (exit === null) server.kill("SIGKILL");
  } else {
    result.crashes = 1;
  }
  result.serverExit = exit;
  if (last !== null) Object.assign(result, { closes: last.closes, socketErrors: last.socketErrors, refused: last.refused, errors: last.errors });
  const first = result.minutes[0];
  const end = result.minutes.at(-1);
  if (first !== undefined && end !== undefined) result.rssGrowthAfterFirstMinute = (end.rssMb - first.rssMb) / first.rssMb;
  result.tickP50 = percentile(own, 0.5);
  result.tickP99 = percentile(own, 0.99);
  return result;
}

function nonZero(o: Record<string, number>): string {
  const parts = Object.entries(o).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
  return parts.length > 0 ? parts.join(", ") : "none";
}

function printPhase(r: PhaseResult, args: Args): void {
  console.log(`\n${r.hostile > 0 ? `with ${r.hostile} hostile clients` : "without hostile clients"} (${args.bots} bots, ${r.minutes.length} min):`);
  console.log(`  crashes: ${r.crashes}  (server exit status ${String(r.serverExit)})`);
  console.log(`  /metrics scrapes: ${r.scrapes.ok} answered 200, ${r.scrapes.failed} failed`);
  console.log(`  RSS: ${r.minutes[0]?.rssMb.toFixed(1)} MiB after minute 1, ${r.minutes.at(-1)?.rssMb.toFixed(1)} MiB at the end: growth ${(r.rssGrowthAfterFirstMinute * 100).toFixed(1)}%`);
  console.log(`  open handles: ${r.minutes.map((m) => m.handles).join(" ")}`);
  console.log(`  tick (minutes 2..${r.minutes.length}): p50 ${r.tickP50.toFixed(2)} ms, p99 ${r.tickP99.toFixed(2)} ms`);
  console.log(`  closes by reason: ${nonZero(r.closes)}`);
  console.log(`  socket errors by stage: ${nonZero(r.socketErrors)}; refused: ${nonZero(r.refused)}`);
  console.log(`  game errors by class: ${nonZero(r.errors)}`);
  const c = r.clients;
  if (c !== null) {
    console.log(`  bots: ${c.joins} joins (${c.resumes} resumed), ${c.leaves} clean leaves, ${c.drops} drops, ${c.joinFailures} failed joins, closed by the server: ${nonZero(c.botClosedByServer)}`);
    if (r.hostile > 0) console.log(`  hostile runs: ${nonZero(c.hostile)}`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const outDir = resolve(fileURLToPath(new URL("../test-output", import.meta.url)));
  mkdirSync(outDir, { recursive: true });
  const rounds = args.baseline ? args.rounds : 1;
  if (!args.json) {
    const plan = !args.baseline ? "" : rounds === 1 ? ", then the same without them" : `, alternating with the same without them (${rounds} rounds, ABBA)`;
    console.log(`soak: ${args.minutes} min, ${args.bots} bots, ${args.hostile} hostile clients${plan}; server logs in ${outDir}`);
  }
  const ticks = { hostile: [] as number[], baseline: [] as number[] };
  const runs: PhaseResult[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = !args.baseline ? [args.hostile] : r % 2 === 0 ? [args.hostile, 0] : [0, args.hostile];
    for (const hostile of order) {
      const run = await phase(args, hostile, outDir, hostile > 0 ? ticks.hostile : ticks.baseline);
      runs.push(run);
      if (!args.json) printPhase(run, args);
    }
  }
  if (args.baseline && !args.json) {
    const q = (t: number[], p: number): number => percentile(t, p);
    const pooled = rounds > 1 ? `pooled over ${rounds} rounds, ` : "";
    console.log(`\ntick p99 with hostile clients / without (${pooled}minutes 2..${args.minutes} of each run): `
      + `${(q(ticks.hostile, 0.99) / q(ticks.baseline, 0.99)).toFixed(3)}x (${q(ticks.hostile, 0.99).toFixed(2)} / ${q(ticks.baseline, 0.99).toFixed(2)} ms); `
      + `p50 ${(q(ticks.hostile, 0.5) / q(ticks.baseline, 0.5)).toFixed(3)}x`);
  }
  if (args.json) console.log(JSON.stringify(runs, null, 2));
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
