// End to end: the alerts really fire into Alertmanager. The real server (`tsx
// src/server/main.ts`, FAULTS=1) runs beside Debian's prometheus and prometheus-alertmanager.
// Prometheus scrapes it every second and loads the project's alert rules through `rule_files`,
// from a copy in which only `for:` and range windows are scaled from minutes to seconds
// (test/deploy/scale-rules.ts; scale-rules.test.ts checks the expressions are otherwise
// identical). Alertmanager runs deploy/alertmanager/alertmanager.yml with its webhook
// receivers pointed at this test and its waits shortened. For each alert the fault switch can
// exercise, the test induces the fault, sees the alert firing in Alertmanager's API with the
// labels the runbook promises and delivered to the receiver its severity routes to, removes the
// fault and sees the alert resolve.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ALERTS_FILE, DEPLOY, markdownSection, readYaml, RUNBOOK_FILE, runbookLabels } from "../deploy/deploy-files.ts";
import { scaleRuleFile } from "../deploy/scale-rules.ts";
import { ensureBuilt, eventually, freePort, startServer } from "./harness.ts";
import type { GameServer } from "./harness.ts";

const PROMETHEUS = process.env.PROMETHEUS_PATH ?? "/usr/bin/prometheus";
const ALERTMANAGER = process.env.ALERTMANAGER_PATH ?? "/usr/bin/prometheus-alertmanager";
const ZONE = "z7";
const SHARD = "s3";
/** Minutes of the shipped rules become seconds. */
const SCALE = 1 / 60;

type Labels = Record<string, string>;
interface ApiAlert {
  labels: Labels;
  status: { state: "active" | "suppressed" | "unprocessed" };
  receivers: { name: string }[];
}
interface Notification {
  receiver: string;
  path: string;
  status: "firing" | "resolved";
  alerts: { status: string; labels: Labels }[];
}

let workDir = "";
let game: GameServer;
let metricsUrl = "";
let amUrl = "";
const procs: { name: string; child: ChildProcess; output: string }[] = [];
let webhook: Server;
const notifications: Notification[] = [];
let sink: Server;

/** A child process whose output is kept for failure messages. */
function run(name: string, file: string, args: string[]): void {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  const p = { name, child, output: "" };
  child.stdout?.on("data", (d: Buffer) => (p.output = (p.output + d.toString()).slice(-8000)));
  child.stderr?.on("data", (d: Buffer) => (p.output = (p.output + d.toString()).slice(-8000)));
  procs.push(p);
}

function outputs(): string {
  return [...procs.map((p) => `--- ${p.name}:\n${p.output.slice(-3000)}`), `--- game:\n${game?.output().slice(-3000) ?? ""}`].join("\n");
}

/** A loopback HTTP server; `onBody` sees each request's path and body. */
async function listen(onBody: (path: string, body: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      onBody(req.url ?? "/", body);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    req.on("error", () => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return server;
}

const portOf = (s: Server): number => (s.address() as AddressInfo).port;

/** Alertmanager's active alerts named `alertname` (from its v2 API). */
async function activeAlerts(alertname: string): Promise<ApiAlert[]> {
  const res = await fetch(`${amUrl}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
  if (!res.ok) throw new Error(`alertmanager answered ${res.status}`);
  const alerts = (await res.json()) as ApiAlert[];
  return alerts.filter((a) => a.status.state === "active");
}

async function fault(method: "PUT" | "DELETE", name: string, params: object = {}): Promise<void> {
  const res = await fetch(`${metricsUrl}/debug/faults/${name}`, {
    method,
    headers: { "content-type": "application/json" },
    body: method === "PUT" ? JSON.stringify(params) : undefined,
  });
  expect(res.status, `${method} ${name}: ${await res.clone().text()}`).toBe(200);
  await res.arrayBuffer();
}

/** The labels the runbook section of `alertname` promises. */
function promised(alertname: string): Map<string, string> {
  const labels = runbookLabels(markdownSection(readFileSync(RUNBOOK_FILE, "utf8"), alertname.toLowerCase()) ?? "");
  if (labels === undefined) throw new Error(`runbook section of ${alertname} has no **Labels.** line`);
  return labels;
}

/** Prometheus: the deploy config, 1 s scrapes and evaluations, the scaled rules, this test's Alertmanager. */
function prometheusConfig(target: string, amTarget: string): string {
  const cfg = readYaml(join(DEPLOY, "prometheus", "prometheus.yml")) as {
    global: Record<string, unknown>;
    rule_files: string[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  cfg.global = { ...cfg.global, scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" };
  const rules = join(workDir, "alerts.scaled.yml");
  writeFileSync(rules, scaleRuleFile(readFileSync(ALERTS_FILE, "utf8"), SCALE));
  cfg.rule_files = [rules];
  expect(cfg.alerting.alertmanagers).toHaveLength(1);
  cfg.alerting.alertmanagers[0].static_configs = [{ targets: [amTarget] }];
  cfg.scrape_configs[0].static_configs = [{ targets: [target] }];
  const path = join(workDir, "prometheus.yml");
  writeFileSync(path, stringify(cfg));
  return path;
}

/** Alertmanager: the deploy config, receivers pointed at this test, waits in seconds. */
function alertmanagerConfig(webhookBase: string): string {
  type Route = { receiver: string; group_wait?: string; group_interval?: string; repeat_interval?: string; routes?: Route[] };
  const cfg = parse(readFileSync(join(DEPLOY, "alertmanager", "alertmanager.yml"), "utf8")) as {
    route: Route;
    receivers: { name: string; webhook_configs: { url: string }[] }[];
  };
  const fast = (r: Route): void => {
    if (r.group_wait !== undefined || r === cfg.route) r.group_wait = "1s";
    if (r.group_interval !== undefined || r === cfg.route) r.group_interval = "1s";
    if (r.repeat_interval !== undefined || r === cfg.route) r.repeat_interval = "1h";
    for (const c of r.routes ?? []) fast(c);
  };
  fast(cfg.route);
  for (const r of cfg.receivers) for (const w of r.webhook_configs) w.url = `${webhookBase}${new URL(w.url).pathname}`;
  const path = join(workDir, "alertmanager.yml");
  writeFileSync(path, stringify(cfg));
  return path;
}

beforeAll(async () => {
  for (const bin of [PROMETHEUS, ALERTMANAGER]) {
    if (!existsSync(bin)) throw new Error(`${bin} not found: sudo apt-get install -y prometheus prometheus-alertmanager`);
  }
  ensureBuilt();
  workDir = mkdtempSync(join(tmpdir(), "voxel-alertmanager-"));
  webhook = await listen((path, body) => {
    const n = JSON.parse(body) as Omit<Notification, "path">;
    notifications.push({ ...n, path });
  });
  sink = await listen(() => {});

  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  game = await startServer({
    FAULTS: "1", METRICS_ADDR: `127.0.0.1:${metricsPort}`, ZONE, SHARD, TRACE_SAMPLE: "1",
    OTLP_ENDPOINT: `http://127.0.0.1:${portOf(sink)}`, CLIENT_TELEMETRY: "true", NPC_COUNT: "8",
  });

  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  run("alertmanager", ALERTMANAGER, [
    `--config.file=${alertmanagerConfig(`http://127.0.0.1:${portOf(webhook)}`)}`,
    `--storage.path=${join(workDir, "am")}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    "--cluster.listen-address=",
    "--log.level=warn",
  ]);
  const promPort = await freePort();
  run("prometheus", PROMETHEUS, [
    `--config.file=${prometheusConfig(`127.0.0.1:${metricsPort}`, `127.0.0.1:${amPort}`)}`,
    `--storage.tsdb.path=${join(workDir, "prom")}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    "--rules.alert.resend-delay=1s",
    "--log.level=warn",
  ]);
  for (const [what, url] of [["alertmanager", `${amUrl}/-/ready`], ["prometheus", `http://127.0.0.1:${promPort}/-/ready`]]) {
    await eventually(`${what} ready`, 60_000, async () => {
      for (const p of procs) if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}\n${p.output}`);
      return (await fetch(url)).ok ? true : undefined;
    });
  }
  // The first scrape is in and the rules have been evaluated over it.
  await eventually("a scraped tick histogram", 60_000, async () => {
    const q = encodeURIComponent("game_tick_duration_seconds_count");
    const body = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${q}`)).json()) as { data: { result: unknown[] } };
    return body.data.result.length > 0 ? true : undefined;
  });
});

afterAll(async () => {
  if (metricsUrl !== "") await fetch(`${metricsUrl}/debug/faults`, { method: "DELETE" }).catch(() => {});
  for (const p of procs) {
    if (p.child.exitCode !== null) continue;
    const exited = new Promise<void>((r) => p.child.once("exit", () => r()));
    p.child.kill("SIGTERM");
    const timer = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await game?.stop();
  await Promise.all([webhook, sink].map((s) => s && new Promise<void>((r) => s.close(() => r()))));
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

/** One alert the fault switch can exercise. */
interface Case {
  alert: string;
  fault: string;
  params: object;
  /** Labels the firing alert must carry beyond the runbook's names (values the fault decides). */
  values: Labels;
}

const CASES: Case[] = [
  { alert: "GameTickP99OverBudget", fault: "slow_tick", params: { ms: 50 }, values: { zone: ZONE, shard: SHARD } },
  { alert: "GameSystemFailures", fault: "system_throw", params: { system: "npc" }, values: { zone: ZONE, shard: SHARD, class: "system_panic" } },
  { alert: "TelemetrySpansDropped", fault: "drop_span_exports", params: {}, values: { zone: ZONE, shard: SHARD } },
  { alert: "TelemetryLogsDropped", fault: "flood_warnings", params: { per_second: 100, component: "mesh" }, values: { zone: ZONE, shard: SHARD, component: "mesh" } },
  {
    alert: "ClientGpuErrorsRising", fault: "client_breadcrumbs", params: { per_second: 2, gpu_errors: 5, frame_ms: 16.7 },
    values: { zone: ZONE, shard: SHARD, class: "validation" },
  },
  { alert: "ClientFpsP95Low", fault: "client_breadcrumbs", params: { per_second: 2, gpu_errors: 0, frame_ms: 60, frames: 16 }, values: { zone: ZONE, shard: SHARD } },
  // A stall longer than the scrape timeout: the event loop answers no scrape in time.
  { alert: "GameMetricsTargetDown", fault: "slow_tick", params: { ms: 2500 }, values: { job: "voxel-game" } },
];

describe("alerts fire into Alertmanager and resolve", () => {
  for (const c of CASES) {
    it(`${c.alert}: ${c.fault} fires it with the runbook's labels, routed by severity; clearing the fault resolves it`, async () => {
      const labels = promised(c.alert);
      const severity = labels.get("severity");
      expect(severity, `${c.alert} runbook severity`).toMatch(/^(critical|warning)$/);
      const receiver = severity === "critical" ? "pager" : "tickets";
      expect(await activeAlerts(c.alert), `${c.alert} active before its fault`).toEqual([]);

      await fault("PUT", c.fault, c.params);
      let firing: ApiAlert;
      try {
        firing = await eventually(`${c.alert} active in Alertmanager`, 120_000, async () => (await activeAlerts(c.alert))[0]);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${outputs()}`, { cause: err });
      } finally {
        await fault("DELETE", c.fault);
      }
      // Exactly the labels the runbook names, with the values it states and the fault chose.
      expect(Object.keys(firing.labels).sort()).toEqual([...labels.keys()].sort());
      for (const [k, v] of labels) if (v !== "") expect(firing.labels[k], k).toBe(v);
      for (const [k, v] of Object.entries(c.values)) expect(firing.labels[k], k).toBe(v);
      expect(firing.labels.alertname).toBe(c.alert);
      expect(firing.receivers.map((r) => r.name)).toEqual([receiver]);

      // Delivered to the severity's receiver, then resolved there.
      const delivered = (status: "firing" | "resolved") => async () =>
        notifications.find((n) => n.receiver === receiver && n.path === `/alerts/${severity}` &&
          n.alerts.some((a) => a.status === status && a.labels.alertname === c.alert)) ?? undefined;
      await eventually(`${c.alert} delivered to ${receiver}`, 30_000, delivered("firing"));
      await eventually(`${c.alert} resolved in Alertmanager`, 120_000, async () => ((await activeAlerts(c.alert)).length === 0 ? true : undefined));
      await eventually(`${c.alert} resolution delivered to ${receiver}`, 30_000, delivered("resolved"));
    });
  }
});
