// Parse checks for the Kubernetes manifests (deploy/kubernetes/, assembled by
// deploy/kustomization.yaml). No cluster runs here, so what can be checked is checked: every
// object parses and has a known kind, apiVersion and the fields its kind needs; every reference
// (selectors, ports, volumes, ConfigMaps, Secrets, Services, the Ingress) lands on something; each
// zone pod's environment, resolved as the kubelet would, loads as a valid server configuration
// with the right zone, links, ports and addresses; and the Prometheus configuration passes
// promtool, whose service discovery check runs its relabelling over the zone pods.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadServerConfig } from "../../src/server/config.ts";
import type { ServerConfig } from "../../src/server/config.ts";
import { parseCoordSpec, parseZoneLinks } from "../../src/server/zones/spec.ts";
import { ALERTS_FILE, DEPLOY, readYaml, ROOT } from "./deploy-files.ts";
import {
  arr, containerEnv, containerPort, K8S_DIR, KUSTOMIZATION_FILE, manifestFiles, manifests, metaLabel, obj, POD_NAME_LABEL, podsOf,
  referencedEnv, SECRET_VALUE, selects,
} from "./kubernetes.ts";
import type { Manifest, Obj, PodShape } from "./kubernetes.ts";

const NAMESPACE = "voxel-game";
const README = readFileSync(join(K8S_DIR, "README.md"), "utf8");
const all = manifests();
const kustomization = obj(readYaml(KUSTOMIZATION_FILE));
const byKind = (kind: string): Manifest[] => all.filter((m) => m.kind === kind);
const named = (kind: string, name: string): Manifest | undefined => all.find((m) => m.kind === kind && m.name === name);
const pods = all.flatMap(podsOf);
const podSpecs = [...byKind("Deployment"), ...byKind("StatefulSet")].map((m) => ({ m, spec: obj(obj(obj(m.doc.spec).template).spec) }));

/** ConfigMaps: those in the manifests and those the kustomization generates (name -> keys -> file content). */
function configMaps(): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const m of byKind("ConfigMap")) out.set(m.name, obj(m.doc.data) as Record<string, string>);
  for (const g of arr(kustomization.configMapGenerator)) {
    const data: Record<string, string> = {};
    for (const f of (g.files as string[] | undefined) ?? []) {
      const [key, path] = f.includes("=") ? f.split("=") : [f.split("/").pop()!, f];
      data[key] = readFileSync(join(DEPLOY, path), "utf8");
    }
    out.set(String(g.name), data);
  }
  return out;
}
const CONFIG_MAPS = configMaps();

/** Every env variable name the server's settings read (src/server/config.ts, src/server/telemetry/config.ts). */
function settingEnvNames(): Set<string> {
  const names = new Set<string>();
  for (const f of ["src/server/config.ts", "src/server/telemetry/config.ts"]) {
    const text = readFileSync(join(ROOT, f), "utf8");
    for (const m of text.matchAll(/"([A-Z][A-Z0-9_]{2,})"/g)) names.add(m[1]);
    for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]);
  }
  return names;
}

const KINDS: Record<string, string> = {
  Namespace: "v1", Service: "v1", ConfigMap: "v1", ServiceAccount: "v1", PersistentVolumeClaim: "v1",
  Deployment: "apps/v1", StatefulSet: "apps/v1", PodDisruptionBudget: "policy/v1",
  Role: "rbac.authorization.k8s.io/v1", RoleBinding: "rbac.authorization.k8s.io/v1",
  NetworkPolicy: "networking.k8s.io/v1", Ingress: "networking.k8s.io/v1",
};

describe("deploy/kubernetes: every object", () => {
  it("is listed in deploy/kustomization.yaml, whose generator files exist", () => {
    expect(kustomization.kind).toBe("Kustomization");
    expect(kustomization.namespace).toBe(NAMESPACE);
    expect([...(kustomization.resources as string[])].sort()).toEqual(manifestFiles().map((f) => `kubernetes/${f}`));
    for (const g of arr(kustomization.configMapGenerator)) {
      for (const f of g.files as string[]) expect(existsSync(join(DEPLOY, f.split("=").pop()!)), f).toBe(true);
    }
    expect(byKind("Namespace").map((m) => m.name)).toEqual([NAMESPACE]);
  });

  it("has a known kind with its apiVersion, a DNS-1123 name, and the fields its kind needs", () => {
    expect(all.length).toBeGreaterThan(15);
    const seen = new Set<string>();
    for (const m of all) {
      const at = `${m.file}: ${m.kind}/${m.name}`;
      expect(KINDS[m.kind], at).toBe(m.apiVersion);
      expect(m.name, at).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
      expect(seen.has(`${m.kind}/${m.name}`), `${at} defined twice`).toBe(false);
      seen.add(`${m.kind}/${m.name}`);
      const spec = obj(m.doc.spec);
      if (m.kind === "Deployment" || m.kind === "StatefulSet") {
        expect(selects(obj(obj(spec.selector).matchLabels), podsOf(m)[0].labels), `${at}: selector misses its template`).toBe(true);
        if (m.kind === "StatefulSet") expect(named("Service", String(spec.serviceName)), `${at}: serviceName`).toBeDefined();
      }
      if (m.kind === "Service") expect(arr(spec.ports).length, at).toBeGreaterThan(0);
      if (m.kind === "ConfigMap") expect(Object.keys(obj(m.doc.data)).length, at).toBeGreaterThan(0);
    }
  });

  it("runs containers with a name, an image, unique port names of at most 15 characters, and probes on ports they have", () => {
    for (const { m, spec } of podSpecs) {
      for (const c of arr(spec.containers)) {
        const at = `${m.name}/${String(c.name)}`;
        expect(c.name, at).toMatch(/^[a-z0-9-]+$/);
        expect(c.image, at).toMatch(/^[\w./-]+:[\w.-]+$/);
        const names = arr(c.ports).map((p) => String(p.name));
        expect(new Set(names).size, at).toBe(names.length);
        for (const n of names) expect(n.length, `${at}: port ${n}`).toBeLessThanOrEqual(15);
        for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
          const port = obj(obj(c[probe]).httpGet).port;
          if (port !== undefined) expect(containerPort(spec, port), `${at}: ${probe} port ${String(port)}`).toBeDefined();
        }
        expect(c.readinessProbe, `${at}: readinessProbe`).toBeDefined();
      }
    }
  });

  it("mounts volumes it declares, from ConfigMaps, Secrets and claims that exist", () => {
    const documentedSecrets = new Set([...README.matchAll(/create secret generic ([a-z0-9-]+)/g)].map((x) => x[1]));
    for (const { m, spec } of podSpecs) {
      const volumes = new Map(arr(spec.volumes).map((v) => [String(v.name), v]));
      for (const c of arr(spec.containers)) {
        for (const vm of arr(c.volumeMounts)) {
          const known = volumes.has(String(vm.name)) || arr(obj(m.doc.spec).volumeClaimTemplates).some((t) => obj(t.metadata).name === vm.name);
          expect(known, `${m.name}: mount ${String(vm.name)}`).toBe(true);
        }
        for (const e of arr(c.env)) {
          const ref = obj(obj(e.valueFrom).secretKeyRef);
          if (ref.name !== undefined) expect(documentedSecrets.has(String(ref.name)), `${m.name}: secret ${String(ref.name)} (README)`).toBe(true);
        }
      }
      for (const v of volumes.values()) {
        if (v.configMap !== undefined) expect(CONFIG_MAPS.has(String(obj(v.configMap).name)), `${m.name}: ${String(obj(v.configMap).name)}`).toBe(true);
        const claim = obj(v.persistentVolumeClaim).claimName;
        if (claim !== undefined) expect(named("PersistentVolumeClaim", String(claim)), `${m.name}: ${String(claim)}`).toBeDefined();
      }
    }
  });

  it("has Services that select pods and target ports those pods have, and an Ingress whose backends exist", () => {
    for (const s of byKind("Service")) {
      const spec = obj(s.doc.spec);
      const targets = pods.filter((p) => selects(obj(spec.selector), p.labels));
      expect(targets.length, `Service ${s.name} selects no pod`).toBeGreaterThan(0);
      for (const p of arr(spec.ports)) {
        for (const t of targets) expect(containerPort(t.spec, p.targetPort ?? p.port), `Service ${s.name} -> ${t.name}: ${String(p.targetPort)}`).toBeDefined();
      }
    }
    for (const ing of byKind("Ingress")) {
      const spec = obj(ing.doc.spec);
      const tlsHosts = new Set(arr(spec.tls).flatMap((t) => t.hosts as string[]));
      for (const rule of arr(spec.rules)) {
        expect(tlsHosts.has(String(rule.host)), `${String(rule.host)} without TLS`).toBe(true);
        for (const path of arr(obj(rule.http).paths)) {
          const svc = obj(obj(path.backend).service);
          const port = obj(svc.port);
          const target = named("Service", String(svc.name));
          expect(target, `Ingress -> ${String(svc.name)}`).toBeDefined();
          expect(arr(obj(target!.doc.spec).ports).some((p) => p.name === port.name || p.port === port.number), `Ingress -> ${String(svc.name)}:${String(port.name)}`).toBe(true);
        }
      }
    }
  });
});

/** The zone pods: the StatefulSet whose pods run the game server. */
const zoneSet = byKind("StatefulSet").find((m) => arr(obj(obj(obj(m.doc.spec).template).spec).containers).some((c) => arr(c.env).some((e) => e.name === "ZONE")))!;
const zonePods = podsOf(zoneSet);
const gameContainer = (p: PodShape): Obj => arr(p.spec.containers).find((c) => arr(c.env).some((e) => e.name === "ZONE"))!;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The zone pod's server configuration: its env resolved, its settings file read from the mounted ConfigMap. */
function zoneConfig(p: PodShape): { env: Record<string, string>; cfg: ServerConfig } {
  const c = gameContainer(p);
  const env = containerEnv(c, p.name, NAMESPACE);
  const path = env.TELEMETRY_CONFIG;
  if (path !== undefined) {
    const mount = arr(c.volumeMounts).find((vm) => path.startsWith(`${String(vm.mountPath)}/`));
    expect(mount, `${p.name}: ${path} is on no mount`).toBeDefined();
    const volume = arr(p.spec.volumes).find((v) => v.name === mount!.name)!;
    const data = CONFIG_MAPS.get(String(obj(volume.configMap).name)) ?? {};
    const key = path.slice(String(mount!.mountPath).length + 1);
    expect(data[key], `${p.name}: ${key} missing from its ConfigMap`).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "k8s-zone-"));
    dirs.push(dir);
    writeFileSync(join(dir, key), data[key]);
    env.TELEMETRY_CONFIG = join(dir, key);
  }
  return { env, cfg: loadServerConfig(env) };
}

/** Whether `host:port` is a Service port that reaches a container port of the pods it selects. */
function reaches(host: string, port: number): boolean {
  const svc = named("Service", host);
  const p = arr(obj(svc?.doc.spec).ports).find((x) => x.port === port);
  if (!svc || !p) return false;
  const targets = pods.filter((x) => selects(obj(obj(svc.doc.spec).selector), x.labels));
  return targets.length > 0 && targets.every((t) => containerPort(t.spec, p.targetPort ?? p.port) !== undefined);
}

describe("deploy/kubernetes: the zone StatefulSet", () => {
  it("runs one pod per zone, each a valid server configuration named after its pod, in a line of linked zones", () => {
    expect(zonePods.length).toBeGreaterThanOrEqual(2);
    const seeds = new Set<number>();
    zonePods.forEach((p, i) => {
      const { cfg } = zoneConfig(p);
      expect(cfg.zone).toBe(p.name);
      expect(cfg.shard).toBe(p.labels["voxel-game/shard"]);
      seeds.add(cfg.seed);
      const links = parseZoneLinks(cfg.zoneLinks, cfg.zone);
      expect(links).toEqual({
        ...(i > 0 ? { west: zonePods[i - 1].name } : {}),
        ...(i < zonePods.length - 1 ? { east: zonePods[i + 1].name } : {}),
      });
    });
    expect(seeds.size, "each zone its own world seed").toBe(zonePods.length);
  });

  it("uses only environment variables the server's settings read (or that feed another variable)", () => {
    const known = settingEnvNames();
    expect(known.has("ZONE") && known.has("COORD") && known.has("ZONE_LINKS")).toBe(true);
    const c = gameContainer(zonePods[0]);
    const helpers = referencedEnv(c);
    const unknown = arr(c.env).map((e) => String(e.name)).filter((n) => !known.has(n) && !helpers.has(n));
    expect(unknown).toEqual([]);
  });

  it("listens on its container ports, is ready on /healthz, and outlasts its graceful stop", () => {
    for (const p of zonePods) {
      const { cfg } = zoneConfig(p);
      expect(obj(containerPort(p.spec, "game")).containerPort).toBe(cfg.port);
      expect(cfg.metricsAddr).not.toBe("off");
      expect(obj(containerPort(p.spec, "metrics")).containerPort).toBe((cfg.metricsAddr as { port: number }).port);
      const c = gameContainer(p);
      for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
        expect(obj(obj(c[probe]).httpGet), `${probe}`).toEqual({ path: "/healthz", port: "game" });
      }
      expect(Number(p.spec.terminationGracePeriodSeconds) * 1000).toBeGreaterThan(cfg.shutdownTimeoutMs);
    }
  });

  it("reaches Redis, PostgreSQL and the collector through Services that exist, on the ports they listen on", () => {
    const { cfg } = zoneConfig(zonePods[0]);
    const coord = parseCoordSpec(cfg.coord);
    expect(typeof coord === "object" && coord.kind).toBe("redis");
    const redis = new URL((coord as { url: string }).url);
    expect(reaches(redis.hostname, Number(redis.port)), `COORD ${redis.host}`).toBe(true);
    const redisArgs = (arr(obj(obj(obj(named("StatefulSet", redis.hostname)?.doc.spec).template).spec).containers)[0]?.args as string[]).join(" ");
    expect(redisArgs).toMatch(/--appendonly yes/);
    expect(redisArgs).toMatch(/--appendfsync always/);

    const store = new URL(cfg.store);
    expect(store.protocol).toBe("postgres:");
    expect(reaches(store.hostname, Number(store.port)), `STORE ${store.host}`).toBe(true);
    expect(store.password).toBe(SECRET_VALUE);
    const pg = arr(obj(obj(obj(named("StatefulSet", store.hostname)?.doc.spec).template).spec).containers)[0];
    const pgEnv = Object.fromEntries(arr(pg.env).map((e) => [e.name, e.value ?? obj(obj(e.valueFrom).secretKeyRef)]));
    expect(store.username).toBe(pgEnv.POSTGRES_USER);
    expect(store.pathname).toBe(`/${String(pgEnv.POSTGRES_DB)}`);
    const zoneSecret = arr(gameContainer(zonePods[0]).env).map((e) => obj(obj(e.valueFrom).secretKeyRef)).find((r) => r.name !== undefined);
    expect(zoneSecret).toEqual(pgEnv.POSTGRES_PASSWORD);

    const otlp = new URL(cfg.otlpEndpoint ?? "");
    expect(reaches(otlp.hostname, Number(otlp.port)), `OTLP_ENDPOINT ${otlp.host}`).toBe(true);
    const collector = obj(readYaml(join(DEPLOY, "otel-collector.yaml")));
    const httpEndpoint = String(obj(obj(obj(obj(collector.receivers).otlp).protocols).http).endpoint);
    expect(httpEndpoint.endsWith(`:${otlp.port}`)).toBe(true);
  });

  it("advertises a wss:// PUBLIC_URL that the Ingress routes, with TLS, to this zone's pod alone", () => {
    const ingress = byKind("Ingress")[0];
    const spec = obj(ingress.doc.spec);
    const tlsHosts = arr(spec.tls).flatMap((t) => t.hosts as string[]);
    for (const p of zonePods) {
      const url = new URL(zoneConfig(p).cfg.publicUrl ?? "");
      expect(url.protocol).toBe("wss:");
      expect(tlsHosts).toContain(url.hostname);
      const rule = arr(spec.rules).find((r) => r.host === url.hostname);
      const path = arr(obj(rule?.http).paths).find((x) => url.pathname.startsWith(String(x.path)));
      expect(path, `${p.name}: no Ingress path for ${url.href}`).toBeDefined();
      const svc = named("Service", String(obj(obj(path!.backend).service).name))!;
      const selected = pods.filter((x) => selects(obj(obj(svc.doc.spec).selector), x.labels)).map((x) => x.name);
      expect(selected).toEqual([p.name]);
    }
    expect(zonePods.every((p) => Object.hasOwn(p.labels, POD_NAME_LABEL))).toBe(true);
  });

  it("lets only Prometheus reach the metrics port", () => {
    const policy = byKind("NetworkPolicy").find((n) => selects(obj(obj(obj(n.doc.spec).podSelector).matchLabels), zonePods[0].labels))!;
    expect(policy).toBeDefined();
    const rules = arr(obj(policy.doc.spec).ingress);
    const metricsRules = rules.filter((r) => arr(r.ports).some((p) => p.port === "metrics"));
    expect(metricsRules.length).toBe(1);
    const from = arr(metricsRules[0].from).map((f) => obj(obj(f.podSelector).matchLabels));
    const prometheusPods = pods.filter((p) => from.some((sel) => selects(sel, p.labels))).map((p) => p.workload.name);
    expect(prometheusPods).toEqual(["prometheus"]);
    expect(rules.filter((r) => arr(r.from).length === 0).flatMap((r) => arr(r.ports).map((p) => p.port))).toEqual(["game"]);
  });
});

describe("deploy/kubernetes: Prometheus with pod discovery", () => {
  const config = obj(readYaml(join(K8S_DIR, "prometheus.yml")));
  const job = arr(config.scrape_configs).find((j) => j.job_name === "voxel-game")!;

  it("is the config the Prometheus Deployment mounts, with the shared alert rules beside it, read with a Role on pods", () => {
    const gen = arr(kustomization.configMapGenerator).find((g) => g.name === "prometheus-config")!;
    expect(gen.files).toEqual(["prometheus.yml=kubernetes/prometheus.yml", "alerts.yml=prometheus/alerts.yml"]);
    const deployment = named("Deployment", "prometheus")!;
    const spec = obj(obj(obj(deployment.doc.spec).template).spec);
    const c = arr(spec.containers)[0];
    const configFile = (c.args as string[]).find((a) => a.startsWith("--config.file="))!.split("=")[1];
    const mount = arr(c.volumeMounts).find((vm) => vm.mountPath === dirname(configFile))!;
    expect(obj(arr(spec.volumes).find((v) => v.name === mount.name)?.configMap).name).toBe("prometheus-config");
    expect(config.rule_files).toEqual(["alerts.yml"]);
    const account = String(spec.serviceAccountName);
    const binding = byKind("RoleBinding").find((b) => arr(b.doc.subjects).some((s) => s.kind === "ServiceAccount" && s.name === account))!;
    const role = named("Role", String(obj(binding.doc.roleRef).name))!;
    const podRule = arr(role.doc.rules).find((r) => (r.resources as string[]).includes("pods"))!;
    expect(podRule.verbs).toEqual(expect.arrayContaining(["list", "watch"]));
  });

  it("discovers pods of its own namespace, only the zone pods", () => {
    const sd = arr(job.kubernetes_sd_configs);
    expect(sd).toHaveLength(1);
    expect(sd[0].role).toBe("pod");
    expect(obj(sd[0].namespaces).own_namespace).toBe(true);
    const selector = arr(sd[0].selectors).find((s) => s.role === "pod")!;
    const [key, value] = String(selector.label).split("=");
    const matched = pods.filter((p) => p.labels[key] === value).map((p) => p.name);
    expect(matched).toEqual(zonePods.map((p) => p.name));
    expect(job.honor_labels).toBe(true);
  });

  it("passes promtool check config, and its relabelling gives one target per zone with zone and shard (promtool check service-discovery)", () => {
    // Debian's Prometheus is built without Kubernetes discovery: the pod discovery block is
    // replaced by a file_sd file holding what it would find for these manifests' pods (one
    // target per container port, with the pod's meta labels), plus a pod that has ended.
    const dir = mkdtempSync(join(tmpdir(), "k8s-prometheus-"));
    dirs.push(dir);
    copyFileSync(ALERTS_FILE, join(dir, "alerts.yml"));
    const groups = [...zonePods, { ...zonePods[0], name: "zone-99", labels: { ...zonePods[0].labels, [POD_NAME_LABEL]: "zone-99" } }].flatMap((p, i) =>
      arr(arr(p.spec.containers)[0].ports).map((port) => ({
        targets: [`10.1.0.${i + 1}:${String(port.containerPort)}`],
        labels: {
          __meta_kubernetes_pod_name: p.name,
          __meta_kubernetes_pod_phase: p.name === "zone-99" ? "Failed" : "Running",
          __meta_kubernetes_pod_node_name: "node-a",
          __meta_kubernetes_pod_container_port_name: String(port.name),
          ...Object.fromEntries(Object.entries(p.labels).map(([k, v]) => [metaLabel(k), v])),
        },
      })));
    writeFileSync(join(dir, "pods.json"), JSON.stringify(groups));
    const { kubernetes_sd_configs: _sd, ...rest } = job;
    const copy = { ...config, scrape_configs: [{ ...rest, file_sd_configs: [{ files: ["pods.json"] }] }] };
    writeFileSync(join(dir, "prometheus.yml"), stringify(copy));
    const checked = execFileSync("promtool", ["check", "config", join(dir, "prometheus.yml")], { encoding: "utf8" });
    expect(checked).toMatch(/SUCCESS: .*prometheus\.yml is valid/);
    const out = execFileSync("promtool", ["check", "service-discovery", "--timeout=3s", join(dir, "prometheus.yml"), "voxel-game"], { encoding: "utf8" });
    const targets = (JSON.parse(out) as { labels: Record<string, string> }[]).map((t) => t.labels).filter((l) => Object.keys(l).length > 0)
      .sort((a, b) => a.zone.localeCompare(b.zone));
    const metricsPort = String(obj(containerPort(zonePods[0].spec, "metrics")).containerPort);
    expect(targets.map((l) => ({ zone: l.zone, shard: l.shard, port: l.instance.split(":")[1], job: l.job }))).toEqual(
      zonePods.map((p) => ({ zone: zoneConfig(p).cfg.zone, shard: zoneConfig(p).cfg.shard, port: metricsPort, job: "voxel-game" })),
    );
  });
});

describe("deploy/kubernetes/README.md", () => {
  it("says the manifests are parse-checked only, and covers the Secret, Agones and TLS at the gateway", () => {
    expect(README).toMatch(/parse-checked only/i);
    expect(README).toMatch(/kubectl apply -k deploy/);
    expect(README).toMatch(/Agones/);
    expect(README).toMatch(/GameServerAllocation/);
    expect(README).toMatch(/wss:\/\//);
  });
});
