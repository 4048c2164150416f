// End-to-end: Debian's real `prometheus` scrapes the running game server (real telemetry,
// metrics listener on a free loopback port) while headless WebSocket bots play, evaluates
// deploy/prometheus/alerts.yml, and answers through its HTTP API. The scrape config is
// deploy/prometheus/prometheus.yml itself, with a 1 s interval and the live target.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Bot } from "../../src/server/bots/bot.ts";
import { Wanderer } from "../../src/server/bots/wander.ts";
import { alertRules, ALERTS_FILE, DEPLOY, readYaml } from "../deploy/deploy-files.ts";
import { LIVE_SHARD, LIVE_ZONE, startLiveServer } from "../deploy/live-server.ts";
import type { LiveServer } from "../deploy/live-server.ts";
import { eventually as pollUntil, freePort } from "./harness.ts";

const PROMETHEUS = process.env.PROMETHEUS_PATH ?? "/usr/bin/prometheus";
const BOTS = 4;

let live: LiveServer;
const bots: Bot[] = [];
let wanderTimer: ReturnType<typeof setInterval> | undefined;
let prometheus: ChildProcess | undefined;
let promOutput = "";
let promUrl = "";
let workDir = "";

type Sample = { metric: Record<string, string>; value: [number, string] };
type ApiResponse<T> = { status: "success" | "error"; data: T; error?: string };

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${promUrl}${path}`);
  const body = (await res.json()) as ApiResponse<T>;
  if (body.status !== "success") throw new Error(`${path}: ${body.error ?? res.status}`);
  return body.data;
}

/** An instant query's vector result. */
async function query(expr: string): Promise<Sample[]> {
  const data = await api<{ resultType: string; result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
  expect(data.resultType).toBe("vector");
  return data.result;
}

/** The harness's poll, with Prometheus' own output added to a timeout (its log says why). */
async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  try {
    return await pollUntil(what, ms, probe);
  } catch (err) {
    const cause = err instanceof Error && err.cause !== undefined ? `: ${String(err.cause)}` : "";
    throw new Error(`${err instanceof Error ? err.message : String(err)}${cause}\nprometheus output:\n${promOutput.slice(-4000)}`, { cause: err });
  }
}

/** deploy/prometheus/prometheus.yml pointed at the live listener, scraping and evaluating every second. */
function writeConfig(metricsTarget: string): string {
  const cfg = readYaml(join(DEPLOY, "prometheus", "prometheus.yml")) as {
    global: Record<string, unknown>;
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  cfg.global.scrape_interval = "1s";
  cfg.global.evaluation_interval = "1s";
  cfg.rule_files = [ALERTS_FILE];
  // Alert delivery is test/e2e/alertmanager.test.ts's subject; here nothing may reach whatever
  // happens to listen on the default Alertmanager port.
  delete (cfg as { alerting?: unknown }).alerting;
  expect(cfg.scrape_configs.map((j) => j.job_name)).toEqual(["voxel-game"]);
  cfg.scrape_configs[0].static_configs = [{ targets: [metricsTarget] }];
  const path = join(workDir, "prometheus.yml");
  writeFileSync(path, stringify(cfg));
  return path;
}

beforeAll(async () => {
  if (!existsSync(PROMETHEUS)) {
    throw new Error(`${PROMETHEUS} not found: install Debian's prometheus (sudo apt-get install -y prometheus) or set PROMETHEUS_PATH`);
  }
  live = await startLiveServer({ server: { npcCount: 8 } });
  for (let i = 0; i < BOTS; i++) bots.push(await Bot.connect({ url: live.server.wsUrl, trackWorld: false, keepEvents: false }));
  const wanderers = bots.map((b, i) => new Wanderer(b, { fireEvery: 1, roam: 24, inputHz: 10 }, 7000 + i));
  const t0 = performance.now();
  wanderTimer = setInterval(() => {
    const t = (performance.now() - t0) / 1000;
    for (const w of wanderers) w.step(t);
  }, 100);

  workDir = mkdtempSync(join(tmpdir(), "voxel-prometheus-"));
  const target = live.metricsUrl.replace(/^http:\/\//, "");
  const config = writeConfig(target);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(PROMETHEUS, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(workDir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  prometheus.stdout?.on("data", (d: Buffer) => (promOutput += d.toString()));
  prometheus.stderr?.on("data", (d: Buffer) => (promOutput += d.toString()));
  await eventually("prometheus /-/ready", 60_000, async () => {
    if (prometheus?.exitCode !== null) throw new Error(`prometheus exited with ${prometheus?.exitCode}`);
    const res = await fetch(`${promUrl}/-/ready`);
    return res.ok ? true : undefined;
  });
});

afterAll(async () => {
  if (wanderTimer !== undefined) clearInterval(wanderTimer);
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise<void>((r) => prometheus!.once("exit", () => r()));
    prometheus.kill("SIGTERM");
    const timer = setTimeout(() => prometheus?.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await Promise.all(bots.map((b) => b.close()));
  await live?.stop();
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

describe("Prometheus against the running game", () => {
  it("scrapes the game: the target is up and game_tick_duration_seconds_count rises", async () => {
    const first = await eventually("a first tick count", 60_000, async () => {
      const r = await query("sum without (variant) (game_tick_duration_seconds_count)");
      return r.length > 0 ? r : undefined;
    });
    expect(first).toHaveLength(1);
    expect(first[0].metric).toMatchObject({ job: "voxel-game", zone: LIVE_ZONE, shard: LIVE_SHARD });
    const n0 = Number(first[0].value[1]);
    expect(n0).toBeGreaterThan(0);
    const n1 = await eventually("a later scrape with more ticks", 30_000, async () => {
      const r = await query("sum without (variant) (game_tick_duration_seconds_count)");
      const n = Number(r[0]?.value[1]);
      return n > n0 ? n : undefined;
    });
    expect(n1).toBeGreaterThan(n0);
    const up = await query('up{job="voxel-game"}');
    expect(up.map((s) => s.value[1])).toEqual(["1"]);
  });

  it("sees the bots: connected clients and delta bytes flowing", async () => {
    const clients = await eventually(`${BOTS} connected clients`, 30_000, async () => {
      const r = await query('sum(game_net_clients{state="connected"})');
      return Number(r[0]?.value[1]) === BOTS ? Number(r[0].value[1]) : undefined;
    });
    expect(clients).toBe(BOTS);
    const deltaRate = await eventually("delta bytes rate", 30_000, async () => {
      const r = await query("sum(rate(game_net_delta_bytes_total[10s]))");
      const v = Number(r[0]?.value[1]);
      return v > 0 ? v : undefined;
    });
    expect(deltaRate).toBeGreaterThan(0);
  });

  it("answers a tick p99 from the histogram buckets", async () => {
    const p99 = await eventually("a tick p99 over 30 s of buckets", 60_000, async () => {
      const r = await query("histogram_quantile(0.99, sum by (le) (rate(game_tick_duration_seconds_bucket[30s])))");
      const v = Number(r[0]?.value[1]);
      return Number.isFinite(v) && v > 0 ? v : undefined;
    });
    // Bounded by the largest finite bucket (0.25 s): a quantile in +Inf reports that bound.
    expect(p99).toBeLessThanOrEqual(0.25);
    console.log(`e2e prometheus: tick p99 over 30 s = ${(p99 * 1000).toFixed(2)} ms`);
  });

  it("loads every alert rule from alerts.yml and evaluates it without error", async () => {
    type Rule = { name: string; type: string; health: string; state: string; lastError?: string; lastEvaluation: string };
    const expected = alertRules();
    const rules = await eventually("every rule evaluated", 30_000, async () => {
      const data = await api<{ groups: { name: string; file: string; rules: Rule[] }[] }>("/api/v1/rules?type=alert");
      const all = data.groups.flatMap((g) => g.rules);
      const evaluated = all.filter((r) => r.health !== "unknown");
      return all.length === expected.length && evaluated.length === all.length ? data.groups : undefined;
    });
    expect(rules.map((g) => g.name).sort()).toEqual([...new Set(expected.map((r) => r.group))].sort());
    const byName = new Map(rules.flatMap((g) => g.rules).map((r) => [r.name, r]));
    for (const e of expected) {
      const r = byName.get(e.alert);
      expect(r, e.alert).toBeDefined();
      expect({ name: r!.name, health: r!.health, lastError: r!.lastError ?? "" }).toEqual({ name: e.alert, health: "ok", lastError: "" });
      expect(["inactive", "pending", "firing"]).toContain(r!.state);
    }
    // The target is being scraped, so the target-down alert must be quiet.
    expect(byName.get("GameMetricsTargetDown")?.state).toBe("inactive");
    const states = Object.fromEntries([...byName.values()].map((r) => [r.name, r.state]));
    console.log(`e2e prometheus: alert states ${JSON.stringify(states)}`);
  });
});
