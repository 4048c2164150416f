// Parse checks for the deploy files that cannot run on this machine (no container engine):
// compose, the collector, Grafana provisioning and dashboards, and the Prometheus config.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { METRICS } from "../../src/shared/telemetry/names.ts";
import { DEFAULT_SERVER_CONFIG } from "../../src/server/config.ts";
import { alertRules, dashboardExprs, dashboards, DEPLOY, readYaml } from "./deploy-files.ts";
import { metricNames } from "./promql.ts";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null ? (v as Obj) : {});

describe("deploy/compose.yaml", () => {
  const compose = obj(readYaml(join(DEPLOY, "compose.yaml")));
  const services = obj(compose.services);

  it("starts the game, Prometheus, Grafana, the collector and a trace store", () => {
    expect(Object.keys(services).sort()).toEqual(["alertmanager", "game", "grafana", "jaeger", "otel-collector", "prometheus"]);
    for (const [name, svc] of Object.entries(services)) {
      expect(obj(svc).image ?? obj(svc).build, name).toBeDefined();
    }
  });

  it("builds the game from deploy/Dockerfile and points it at the collector", () => {
    const game = obj(services.game);
    expect(obj(game.build)).toEqual({ context: "..", dockerfile: "deploy/Dockerfile" });
    expect(existsSync(join(DEPLOY, "Dockerfile"))).toBe(true);
    const env = obj(game.environment);
    expect(env.OTLP_ENDPOINT).toBe("http://otel-collector:4318");
    expect(env.METRICS_ADDR).toBe("127.0.0.1:9464");
    expect(env.ZONE).toMatch(/^[a-z0-9_-]{1,32}$/);
    expect(env.SHARD).toMatch(/^[a-z0-9_-]{1,32}$/);
  });

  it("lets Prometheus scrape the game's loopback metrics listener with the checked-in config", () => {
    const prom = obj(services.prometheus);
    expect(prom.network_mode).toBe("service:game");
    expect(prom.volumes).toContain("./prometheus:/etc/prometheus:ro");
    expect(prom.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    const scrape = obj(readYaml(join(DEPLOY, "prometheus", "prometheus.yml")));
    const jobs = scrape.scrape_configs as Obj[];
    expect(jobs.map((j) => j.job_name)).toEqual(["voxel-game"]);
    expect(obj((jobs[0].static_configs as Obj[])[0]).targets).toEqual(["127.0.0.1:9464"]);
    expect(scrape.rule_files).toEqual(["alerts.yml"]);
  });

  it("mounts only files that exist, and publishes ports on loopback only", () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const v of (obj(svc).volumes as string[] | undefined) ?? []) {
        const src = v.split(":")[0];
        if (src.startsWith(".")) expect(existsSync(join(DEPLOY, src)), `${name}: ${v}`).toBe(true);
      }
      for (const p of (obj(svc).ports as string[] | undefined) ?? []) expect(p, `${name}: ${p}`).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it("runs Alertmanager beside Prometheus with the checked-in config, and Prometheus sends to it", () => {
    const am = obj(services.alertmanager);
    expect(am.network_mode).toBe("service:game");
    expect(am.volumes).toContain("./alertmanager:/etc/alertmanager:ro");
    expect(am.command).toContain("--config.file=/etc/alertmanager/alertmanager.yml");
    const scrape = obj(readYaml(join(DEPLOY, "prometheus", "prometheus.yml")));
    const targets = (obj(scrape.alerting).alertmanagers as Obj[]).flatMap((a) => (a.static_configs as Obj[]).flatMap((c) => c.targets as string[]));
    expect(targets).toEqual(["127.0.0.1:9093"]);
    expect(obj(services.game).ports).toContain("127.0.0.1:9093:9093");
  });

  it("wires Grafana to the provisioning and dashboards directories", () => {
    const grafana = obj(services.grafana);
    expect(grafana.volumes).toEqual(
      expect.arrayContaining(["./grafana/provisioning:/etc/grafana/provisioning:ro", "./grafana/dashboards:/etc/grafana/dashboards:ro"]),
    );
  });
});

describe("restart policy (crash policy: exit non-zero and let the supervisor restart)", () => {
  /** The unit file as section -> key -> values (a key may repeat, e.g. Environment). */
  function unit(path: string): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    let section = "";
    for (const raw of readFileSync(path, "utf8").split("\n")) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const head = /^\[(\w+)\]$/.exec(line);
      if (head) {
        section = head[1];
        out[section] = {};
        continue;
      }
      const eq = line.indexOf("=");
      expect(eq, `${path}: ${line}`).toBeGreaterThan(0);
      (out[section][line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
    }
    return out;
  }
  const seconds = (v: string): number => Number(/^(\d+)s?$/.exec(v)?.[1] ?? NaN);

  it("systemd restarts the server on failure, gives its graceful stop time, and has descriptors for its connections", () => {
    const u = unit(join(DEPLOY, "systemd", "voxel-game.service"));
    const svc = u.Service;
    expect(svc.Restart).toEqual(["on-failure"]);
    expect(svc.ExecStart[0]).toMatch(/ node (--enable-source-maps )?dist-server\/server\/main\.js$/);
    expect(svc.KillSignal).toEqual(["SIGTERM"]);
    const env = Object.fromEntries(svc.Environment.map((e) => e.split("=") as [string, string]));
    expect(env.CRASH_DIR).toMatch(/^\/var\/lib\/voxel-game\//);
    expect(svc.StateDirectory).toEqual(["voxel-game"]);
    const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SERVER_CONFIG.shutdownTimeoutMs);
    expect(seconds(svc.TimeoutStopSec[0]) * 1000).toBeGreaterThan(shutdownMs);
    expect(Number(svc.LimitNOFILE[0])).toBeGreaterThan(DEFAULT_SERVER_CONFIG.maxConnections * 2);
    expect(u.Install.WantedBy).toEqual(["multi-user.target"]);
  });

  it("compose restarts the game on failure, keeps its crash reports in a volume, and outwaits its graceful stop", () => {
    const compose = obj(readYaml(join(DEPLOY, "compose.yaml")));
    const game = obj(obj(compose.services).game);
    expect(game.restart).toBe("on-failure");
    expect(game.init).toBe(true);
    expect(obj(game.environment).CRASH_DIR).toBe("/app/var/crashes");
    expect(game.volumes).toContain("crashes:/app/var/crashes");
    expect(Object.keys(obj(compose.volumes))).toContain("crashes");
    expect(seconds(String(game.stop_grace_period)) * 1000).toBeGreaterThan(DEFAULT_SERVER_CONFIG.shutdownTimeoutMs);
    expect(obj(obj(game.ulimits).nofile).soft).toBeGreaterThan(DEFAULT_SERVER_CONFIG.maxConnections * 2);
    expect(readFileSync(join(DEPLOY, "Dockerfile"), "utf8")).toMatch(/chown node:node \/app\/var\/crashes/);
  });
});

describe("deploy/otel-collector.yaml", () => {
  const cfg = obj(readYaml(join(DEPLOY, "otel-collector.yaml")));
  const receivers = obj(cfg.receivers);
  const processors = obj(cfg.processors);

  it("has the collector's top-level sections and one traces pipeline using only defined components", () => {
    expect(Object.keys(cfg)).toEqual(expect.arrayContaining(["receivers", "processors", "exporters", "service"]));
    const pipeline = obj(obj(obj(cfg.service).pipelines).traces);
    expect(pipeline.receivers).toEqual(["otlp"]);
    expect(pipeline.processors).toEqual(["memory_limiter", "tail_sampling", "batch"]);
    for (const kind of ["receivers", "processors", "exporters"] as const) {
      for (const name of pipeline[kind] as string[]) expect(Object.keys(obj(cfg[kind])), `${kind}: ${name}`).toContain(name);
    }
    const exporters = obj(cfg.exporters);
    for (const name of pipeline.exporters as string[]) expect(name).toMatch(/^otlp(\/|$)/);
    expect(Object.values(exporters).map((e) => obj(e).endpoint)).toContain("jaeger:4317");
  });

  it("receives OTLP over gRPC and HTTP, with CORS for the game's origin", () => {
    const protocols = obj(obj(receivers.otlp).protocols);
    expect(obj(protocols.grpc).endpoint).toBe("0.0.0.0:4317");
    const http = obj(protocols.http);
    expect(http.endpoint).toBe("0.0.0.0:4318");
    expect(obj(http.cors).allowed_origins).toContain("http://127.0.0.1:8080");
  });

  it("tail-samples errors, slow server.tick / chunk.mesh spans and a small share of the rest", () => {
    const policies = obj(processors.tail_sampling).policies as Obj[];
    const byType = (t: string): Obj[] => policies.filter((p) => p.type === t);
    expect(obj(byType("status_code")[0]?.status_code).status_codes).toEqual(["ERROR"]);
    const conditions = obj(byType("ottl_condition")[0]?.ottl_condition).span as string[];
    expect(conditions.join("\n")).toMatch(/name == "server\.tick" and end_time_unix_nano - start_time_unix_nano > 33000000/);
    expect(conditions.join("\n")).toMatch(/name == "chunk\.mesh"/);
    const share = obj(byType("probabilistic")[0]?.probabilistic).sampling_percentage as number;
    expect(share).toBeGreaterThanOrEqual(1);
    expect(share).toBeLessThanOrEqual(5);
  });

  it("limits memory before anything else", () => {
    expect(obj(processors.memory_limiter).limit_percentage).toBeGreaterThan(0);
    expect(processors.batch).toBeDefined();
  });
});

describe("deploy/grafana", () => {
  it("provisions the Prometheus data source the dashboards refer to", () => {
    const ds = obj(readYaml(join(DEPLOY, "grafana", "provisioning", "datasources", "datasources.yaml")));
    const list = ds.datasources as Obj[];
    const prom = list.find((d) => d.type === "prometheus");
    expect(prom?.uid).toBe("prometheus");
    expect(prom?.url).toBe("http://game:9090");
    expect(list.some((d) => d.type === "jaeger" || d.type === "tempo")).toBe(true);
  });

  it("provisions a file dashboard provider reading the mounted dashboards directory", () => {
    const prov = obj(readYaml(join(DEPLOY, "grafana", "provisioning", "dashboards", "dashboards.yaml")));
    const provider = (prov.providers as Obj[])[0];
    expect(provider.type).toBe("file");
    expect(obj(provider.options).path).toBe("/etc/grafana/dashboards");
  });

  const all = dashboards();
  it("has dashboards with unique panel ids, Prometheus targets and a stable uid", () => {
    expect(all.length).toBeGreaterThanOrEqual(1);
    for (const { file, json } of all) {
      expect(json.uid, file).toMatch(/^[\w-]{1,40}$/);
      const panels = json.panels as Obj[];
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
      for (const p of panels.filter((p) => p.type !== "row")) {
        expect(obj(p.datasource).uid, `${file}: ${String(p.title)}`).toBe("prometheus");
        expect((p.targets as Obj[]).length, `${file}: ${String(p.title)}`).toBeGreaterThan(0);
      }
    }
  });

  it("covers tick and system times, voxel queue and mesh/collider times, hits, network, client frame times, upload and GPU errors", () => {
    const used = new Set(all.flatMap(({ file, json }) => dashboardExprs(file, json).flatMap((e) => metricNames(e.expr))));
    const required = [
      METRICS.tickDuration, METRICS.systemDuration, METRICS.voxelQueueLength, METRICS.meshDuration,
      METRICS.colliderDuration, METRICS.projectileHits, METRICS.snapshotBytes, METRICS.deltaBytes,
      METRICS.netClients, METRICS.clientFrameTime, METRICS.clientUploadDuration, METRICS.clientGpuErrors,
    ];
    for (const spec of required) {
      const series = spec.type === "histogram" ? `${spec.prom}_bucket` : spec.prom;
      expect(used.has(series), series).toBe(true);
    }
  });

  it("has a row per zone, repeated by the zone variable: population, tick p99, hand-offs, hand-off p99, bus lag and drops, coordinator and ownership", () => {
    const { file, json } = all.find((d) => (d.json.panels as Obj[]).some((p) => p.type === "row" && p.repeat === "zone")) ?? all[0];
    const panels = json.panels as Obj[];
    const at = panels.findIndex((p) => p.type === "row" && p.repeat === "zone");
    expect(at, `${file}: no row with "repeat": "zone"`).toBeGreaterThanOrEqual(0);
    const zoneVar = ((json.templating as Obj).list as Obj[]).find((v) => v.name === "zone");
    expect(zoneVar?.multi === true || zoneVar?.includeAll === true, "the zone variable must allow several zones").toBe(true);
    // An expanded row owns the panels after it, up to the next row: Grafana repeats those.
    const row = panels[at];
    expect(row.collapsed).toBe(false);
    const next = panels.findIndex((p, i) => i > at && p.type === "row");
    const inRow = panels.slice(at + 1, next < 0 ? undefined : next);
    expect(inRow.length).toBeGreaterThanOrEqual(4);
    const rowY = obj(row.gridPos).y as number;
    for (const p of inRow) expect(obj(p.gridPos).y as number, String(p.title)).toBeGreaterThan(rowY);
    const exprs = dashboardExprs(file, { panels: inRow });
    for (const e of exprs) expect(e.expr, e.source).toContain('zone=~"$zone"');
    const used = new Set(exprs.flatMap((e) => metricNames(e.expr)));
    for (const series of [
      `${METRICS.netClients.prom}`, `${METRICS.tickDuration.prom}_bucket`, "game_zone_handoffs_total",
      "game_zone_handoff_duration_seconds_bucket", "game_zone_bus_lag_seconds_bucket", "game_zone_bus_dropped_total",
      "game_zone_coord_up", "game_zone_owned",
    ]) {
      expect(used.has(series), series).toBe(true);
    }
  });
});

describe("deploy/prometheus/alerts.yml", () => {
  const rules = alertRules();
  it("has the alerts the telemetry issue asks for, each with severity, summary, description and runbook", () => {
    const names = rules.map((r) => r.alert);
    for (const required of [
      "GameTickP99OverBudget", "VoxelQueueBacklog", "VoxelMeshP95Slow", "NetSnapshotBytesSpike",
      "ClientFpsP95Low", "ClientGpuErrorsRising", "TelemetrySpansDropped", "TelemetryLogsDropped",
    ]) {
      expect(names).toContain(required);
    }
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(["critical", "warning"], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      expect(r.annotations.description, r.alert).toBeTruthy();
      expect(r.annotations.runbook_url, r.alert).toBe(`docs/telemetry/README.md#${r.alert.toLowerCase()}`);
    }
  });

  it("is unit-tested: every alert appears in alerts.test.yml both firing and expected silent", () => {
    const doc = obj(readYaml(join(DEPLOY, "prometheus", "alerts.test.yml")));
    type Case = { alertname: string; exp_alerts: unknown[] };
    const cases = (doc.tests as { alert_rule_test?: Case[] }[]).flatMap((t) => t.alert_rule_test ?? []);
    for (const r of rules) {
      const mine = cases.filter((c) => c.alertname === r.alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${r.alert} fires in a test`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${r.alert} stays silent in a test`).toBe(true);
    }
  });
});
