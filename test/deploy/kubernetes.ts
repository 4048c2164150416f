/**
 * Readers for the Kubernetes manifests (deploy/kubernetes/*.yaml, assembled by
 * deploy/kustomization.yaml): every document parsed with `yaml`, lookups by kind and name, label
 * selectors, and a pod's environment resolved the way the kubelet would (fieldRef, secretKeyRef,
 * `$(VAR)` expansion), so tests can load the server's real configuration from it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { DEPLOY } from "./deploy-files.ts";

export const K8S_DIR = join(DEPLOY, "kubernetes");
export const KUSTOMIZATION_FILE = join(DEPLOY, "kustomization.yaml");

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
export const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

/** One Kubernetes object and the file it came from. */
export interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  doc: Obj;
}

/** The manifest files (deploy/kubernetes/*.yaml). */
export function manifestFiles(): string[] {
  return readdirSync(K8S_DIR).filter((f) => f.endsWith(".yaml")).sort();
}

/** Every object in every manifest file; throws on a YAML error or warning, naming the file. */
export function manifests(): Manifest[] {
  const out: Manifest[] = [];
  for (const file of manifestFiles()) {
    for (const d of parseAllDocuments(readFileSync(join(K8S_DIR, file), "utf8"))) {
      const problems = [...d.errors, ...d.warnings];
      if (problems.length > 0) throw new Error(`${file}: ${problems.map((e) => e.message).join("; ")}`);
      const doc = obj(d.toJS());
      if (Object.keys(doc).length === 0) continue;
      out.push({ file, apiVersion: String(doc.apiVersion), kind: String(doc.kind), name: String(obj(doc.metadata).name), doc });
    }
  }
  return out;
}

/** The label the StatefulSet controller sets on each of its pods: the pod's own name. */
export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";

/** A workload's pods: name and labels (a StatefulSet's carry their pod-name label), and its pod spec. */
export interface PodShape {
  workload: Manifest;
  name: string;
  labels: Record<string, string>;
  spec: Obj;
}

/** The pods a Deployment (one representative) or StatefulSet (one per ordinal) makes. */
export function podsOf(m: Manifest): PodShape[] {
  const spec = obj(m.doc.spec);
  const template = obj(spec.template);
  const labels = obj(obj(template.metadata).labels) as Record<string, string>;
  const podSpec = obj(template.spec);
  if (m.kind === "Deployment") return [{ workload: m, name: `${m.name}-0`, labels, spec: podSpec }];
  if (m.kind !== "StatefulSet") return [];
  const replicas = Number(spec.replicas ?? 1);
  return Array.from({ length: replicas }, (_, i) => {
    const name = `${m.name}-${i}`;
    return { workload: m, name, labels: { ...labels, [POD_NAME_LABEL]: name }, spec: podSpec };
  });
}

/** Whether `labels` satisfy a matchLabels selector (every key equal). */
export function selects(selector: Record<string, unknown>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

/** A container port by name or number, from a pod spec. */
export function containerPort(podSpec: Obj, port: unknown): Obj | undefined {
  for (const c of arr(podSpec.containers)) {
    for (const p of arr(c.ports)) if (p.name === port || p.containerPort === port) return p;
  }
  return undefined;
}

/** Placeholder a test gives every secret value: hex, as the README's `openssl rand -hex` makes. */
export const SECRET_VALUE = "0123456789abcdef0123456789abcdef";

/**
 * A container's environment as the kubelet builds it: literal values with `$(VAR)` expanded from
 * the variables defined before (unknown ones left as they are, `$$` is a `$`), fieldRef
 * metadata.name/namespace, and secrets as SECRET_VALUE.
 */
export function containerEnv(container: Obj, podName: string, namespace: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of arr(container.env)) {
    const name = String(e.name);
    const from = obj(e.valueFrom);
    if (typeof e.value === "string") {
      env[name] = e.value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, v: string | undefined) =>
        v === undefined ? "$" : (env[v] ?? all));
    } else if (from.fieldRef !== undefined) {
      const path = obj(from.fieldRef).fieldPath;
      if (path === "metadata.name") env[name] = podName;
      else if (path === "metadata.namespace") env[name] = namespace;
      else throw new Error(`${name}: fieldRef ${String(path)} not modelled`);
    } else if (from.secretKeyRef !== undefined) {
      env[name] = SECRET_VALUE;
    } else {
      throw new Error(`${name}: neither a value, a fieldRef nor a secretKeyRef`);
    }
  }
  return env;
}

/** Names `$(VAR)` references in a container's env values. */
export function referencedEnv(container: Obj): Set<string> {
  const out = new Set<string>();
  for (const e of arr(container.env)) {
    if (typeof e.value === "string") for (const m of e.value.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) out.add(m[1]);
  }
  return out;
}

/** Prometheus' name for a Kubernetes label in pod discovery meta labels. */
export const metaLabel = (label: string): string => `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;
