/**
 * prom-client backend: one private Registry (never the global one, so tests and several
 * servers in one process do not collide) with default labels zone/shard, every metric from
 * the shared METRICS table, and Node process metrics. Labelled series are pre-created from
 * the closed sets, so they exist from the first scrape. Recorders are a lookup plus a few
 * arithmetic operations, with no label hashing or allocation per call: histograms are
 * fixed-histogram.ts's, and counters and gauges hand their values to prom-client when a scrape
 * collects (deferred-metrics.ts). prom-client's own recording hashes the labels on every call.
 */
import { Registry, collectDefaultMetrics } from "prom-client";
import {
  CARVE_REFUSE_REASONS,
  CLIENT_RESULTS,
  CLIENT_ROUTE_REJECT_REASONS,
  CLIENT_ROUTES,
  CLIENT_STATES,
  CLOSE_REASONS,
  COMPACTION_ROWS,
  COMPONENTS,
  DROPPED_ITEM_TYPES,
  ERROR_CLASSES,
  EXPERIMENT_VARIANTS,
  FLAG_RELOAD_RESULTS,
  FATAL_ORIGINS,
  GPU_ERROR_CLASSES,
  HIT_KINDS,
  LISTENERS,
  METRICS,
  NET_STAGES,
  PROCESS_METRICS_PREFIX,
  REFUSE_REASONS,
  SOCKET_ERROR_CODES,
  SPAN_DROP_REASONS,
  SPAN_REJECT_REASONS,
  STORE_BACKENDS,
  HANDOFF_RESULTS,
  ADMIT_RESULTS,
  BUS_TOPICS,
  SYSTEMS,
  TRACE_PARENT_INVALID_REASONS,
  UPLOAD_BUFFERS,
} from "../../shared/telemetry/names.ts";
import type {
  ClientRejectReason,
  Component,
  ExperimentVariant,
  MetricSpec,
  SpanDropReason,
  TraceParentInvalidReason,
} from "../../shared/telemetry/names.ts";
import type { ClientMetrics, Metrics } from "./facade.ts";
import { deferredCounter, deferredGauge } from "./deferred-metrics.ts";
import type { DeferredCounter, DeferredGauge, Incrementer, Setter } from "./deferred-metrics.ts";
import { FixedSeriesHistogram } from "./fixed-histogram.ts";
import type { Observer } from "./fixed-histogram.ts";

/** Recorders the telemetry modules themselves use (logger, tracing). */
export interface InternalMetrics {
  logDropped(component: Component): void;
  spansDropped(reason: SpanDropReason, count: number): void;
  spansExported(count: number): void;
  traceParentInvalid(reason: TraceParentInvalidReason): void;
}

export interface GameMetrics {
  readonly registry: Registry;
  readonly recorders: Metrics;
  readonly client: ClientMetrics;
  readonly internal: InternalMetrics;
}

export interface MetricsOptions {
  readonly zone: string;
  readonly shard: string;
  /** prom-client process/Node.js collectors (event-loop lag, GC, memory); default true. */
  readonly processMetrics?: boolean;
}

function help(spec: MetricSpec): string {
  return spec.seed === null ? spec.help : `${spec.help} (seed: ${spec.seed})`;
}

/** Binds one child per closed label value; unknown values (JS callers) are ignored, never created. */
function bind<K extends string, C>(values: readonly K[], make: (v: K) => C): Record<K, C> {
  const out = {} as Record<K, C>;
  for (const v of values) out[v] = make(v);
  return out;
}

// Recorders drop NaN/negative input instead of throwing into the tick loop.
const ok = (v: number): boolean => v >= 0 && v !== Infinity;

/** Makes metrics from their names-table entries, in one registry. */
interface Factory {
  /** An unlabelled histogram (its spec has no labels). */
  histogram(spec: MetricSpec): Observer;
  /** A histogram with one label (its spec's only one): a series per value of the closed set, each there from the start. */
  histogramBy<K extends string>(spec: MetricSpec, values: readonly K[]): Record<K, Observer>;
  counter(spec: MetricSpec): DeferredCounter;
  gauge(spec: MetricSpec): DeferredGauge;
  /** A counter with one label (its spec's only one): a bound child per value of the closed set. */
  counterBy<K extends string>(spec: MetricSpec, values: readonly K[]): Record<K, Incrementer>;
}

/** Metrics in `registry`, whose default labels are `defaultLabels` (histograms render them once per series). */
function factory(registry: Registry, defaultLabels: Readonly<Record<string, string>>): Factory {
  const counter = (spec: MetricSpec): DeferredCounter => deferredCounter(registry, { name: spec.prom, help: help(spec), labelNames: spec.labels });
  const histogram = (spec: MetricSpec, series: readonly Record<string, string>[]): FixedSeriesHistogram =>
    new FixedSeriesHistogram(spec.prom, help(spec), spec.buckets ?? [], series).register(registry, defaultLabels);
  return {
    histogram: (spec) => {
      if (spec.labels.length !== 0) throw new Error(`${spec.prom}: histogram takes no labels`);
      return histogram(spec, [{}]).observer(0);
    },
    histogramBy: (spec, values) => {
      if (spec.labels.length !== 1) throw new Error(`${spec.prom}: histogramBy needs exactly one label`);
      const h = histogram(spec, values.map((v) => ({ [spec.labels[0]]: v })));
      return bind(values, (v) => h.observer(values.indexOf(v)));
    },
    counter,
    gauge: (spec) => deferredGauge(registry, { name: spec.prom, help: help(spec), labelNames: spec.labels }),
    counterBy: (spec, values) => {
      if (spec.labels.length !== 1) throw new Error(`${spec.prom}: counterBy needs exactly one label`);
      const label = spec.labels[0];
      const c = counter(spec);
      return bind(values, (v): Incrementer => c.labels({ [label]: v }));
    },
  };
}

/**
 * Pre-initialises every labelled series at 0 so dashboards and rate() see them from the first
 * scrape: `children` are bound counters or gauges, or records of them, nested to any depth.
 */
function zero(...children: unknown[]): void {
  for (const c of children) {
    if (typeof c !== "object" || c === null) continue;
    if ("inc" in c && typeof c.inc === "function") (c as Incrementer).inc(0);
    else if ("set" in c && typeof c.set === "function") (c as Setter).set(0);
    else zero(...Object.values(c));
  }
}

/** The simulation's metrics: tick and system times, the voxel queue, carves, hits, bytes sent, errors. */
/** The world store's metrics: commit time and backlog, fencing, recovery, compaction, carve broadcast delay and refusals. */
type StoreRecorderKeys = "storeCommit" | "storePendingEdits" | "storeFenced" | "storeRecovery" | "storeCompaction" | "carveBroadcastDelay" | "carveRefused";
function storeRecorders(f: Factory): Pick<Metrics, StoreRecorderKeys> {
  const commit = f.histogramBy(METRICS.storeCommitDuration, STORE_BACKENDS);
  const pendingEdits = f.gauge(METRICS.storePendingEdits);
  const fenced = f.counter(METRICS.storeFenced);
  const recovery = f.gauge(METRICS.storeRecoveryDuration);
  const compaction = f.histogram(METRICS.storeCompactionDuration);
  const compactionRows = f.counterBy(METRICS.storeCompactionRows, COMPACTION_ROWS);
  const broadcastDelay = f.histogram(METRICS.carveBroadcastDelay);
  const refusedCarves = f.counterBy(METRICS.carvesRefused, CARVE_REFUSE_REASONS);
  zero(pendingEdits, fenced, recovery, compactionRows, refusedCarves);
  return {
    storeCommit: (b, s) => ok(s) && commit[b]?.observe(s),
    storePendingEdits: (n) => ok(n) && pendingEdits.set(n),
    storeFenced: () => fenced.inc(),
    storeRecovery: (s) => ok(s) && recovery.set(s),
    storeCompaction: (s, c, e) => {
      if (ok(s)) compaction.observe(s);
      if (ok(c)) compactionRows.chunks_written.inc(c);
      if (ok(e)) compactionRows.edits_deleted.inc(e);
    },
    carveBroadcastDelay: (t) => ok(t) && broadcastDelay.observe(t),
    carveRefused: (r) => refusedCarves[r]?.inc(),
  };
}

/** The zone metrics: hand-offs and admissions, lease renewals, the event bus, coordinator reachability and ownership. */
type ZoneRecorderKeys = "zoneHandoff" | "zoneHandoffDuration" | "zoneAdmit" | "zoneLeaseRenewalFailure" | "zoneBusLag" | "zoneBusDropped"
  | "zoneBusPublished" | "zoneCoordUp" | "zoneOwned";
function zoneRecorders(f: Factory): Pick<Metrics, ZoneRecorderKeys> {
  const handoffs = f.counterBy(METRICS.zoneHandoffs, HANDOFF_RESULTS);
  const handoffDuration = f.histogram(METRICS.zoneHandoffDuration);
  const admits = f.counterBy(METRICS.zoneAdmits, ADMIT_RESULTS);
  const leaseFailures = f.counter(METRICS.zoneLeaseRenewalFailures);
  const lag = f.histogramBy(METRICS.zoneBusLag, BUS_TOPICS);
  const dropped = f.counterBy(METRICS.zoneBusDropped, BUS_TOPICS);
  const published = f.counterBy(METRICS.zoneBusPublished, BUS_TOPICS);
  const coordUp = f.gauge(METRICS.zoneCoordUp);
  const owned = f.gauge(METRICS.zoneOwned);
  zero(handoffs, admits, leaseFailures, dropped, published, owned);
  coordUp.set(1);
  return {
    zoneHandoff: (r) => handoffs[r]?.inc(),
    zoneHandoffDuration: (s) => ok(s) && handoffDuration.observe(s),
    zoneAdmit: (r) => admits[r]?.inc(),
    zoneLeaseRenewalFailure: () => leaseFailures.inc(),
    zoneBusLag: (t, s) => ok(s) && lag[t]?.observe(s),
    zoneBusDropped: (t) => dropped[t]?.inc(),
    zoneBusPublished: (t) => published[t]?.inc(),
    zoneCoordUp: (u) => coordUp.set(u ? 1 : 0),
    zoneOwned: (o) => owned.set(o ? 1 : 0),
  };
}

/** The server's experiment variant, fixed for the process (tick-rate applies at start); it labels tick time. */
interface VariantState {
  server: ExperimentVariant;
}

function simRecorders(
  f: Factory,
  variant: VariantState,
): Omit<Metrics, "clients" | "socketError" | "connectionRefused" | "connectionsOpen" | "wsClose" | "fatal" | "setExperimentVariant" | "flagReload" | StoreRecorderKeys | ZoneRecorderKeys> {
  const tickBy = f.histogramBy(METRICS.tickDuration, EXPERIMENT_VARIANTS);
  const system = f.histogramBy(METRICS.systemDuration, SYSTEMS);
  const queue = f.gauge(METRICS.voxelQueueLength);
  const dirty = f.counter(METRICS.chunksDirty);
  const meshed = f.counter(METRICS.chunksMeshed);
  const mesh = f.histogram(METRICS.meshDuration);
  const collider = f.histogram(METRICS.colliderDuration);
  const carve = f.counter(METRICS.carveRequests);
  const hits = f.counterBy(METRICS.projectileHits, HIT_KINDS);
  const snapshot = f.counter(METRICS.snapshotBytes);
  const delta = f.counter(METRICS.deltaBytes);
  const interest = f.gauge(METRICS.interestEntities);
  const errors = f.counterBy(METRICS.errors, ERROR_CLASSES);
  const overBudget = f.counter(METRICS.ticksOverBudget);
  zero(hits, errors, dirty, meshed, carve, snapshot, delta, overBudget, queue, interest);
  return {
    tickDuration: (s) => ok(s) && tickBy[variant.server].observe(s),
    systemDuration: (sys, s) => ok(s) && system[sys]?.observe(s),
    voxelQueueLength: (n) => ok(n) && queue.set(n),
    chunksDirty: (n) => ok(n) && dirty.inc(n),
    chunksMeshed: (n) => ok(n) && meshed.inc(n),
    meshDuration: (s) => ok(s) && mesh.observe(s),
    colliderDuration: (s) => ok(s) && collider.observe(s),
    carveRequests: (n) => ok(n) && carve.inc(n),
    projectileHit: (k) => hits[k]?.inc(),
    snapshotBytes: (b) => ok(b) && snapshot.inc(b),
    deltaBytes: (b) => ok(b) && delta.inc(b),
    interestEntities: (n) => ok(n) && interest.set(n),
    error: (c) => errors[c]?.inc(),
    ticksOverBudget: (n) => ok(n) && overBudget.inc(n),
  };
}

/** Feature flags: the experiment variant that labels tick time, and flag-file reloads by result. */
function flagRecorders(f: Factory, variant: VariantState): Pick<Metrics, "setExperimentVariant" | "flagReload"> {
  const reloads = f.counterBy(METRICS.flagReloads, FLAG_RELOAD_RESULTS);
  zero(reloads);
  return {
    setExperimentVariant: (v) => {
      variant.server = EXPERIMENT_VARIANTS.includes(v) ? v : "none";
    },
    flagReload: (r) => reloads[r]?.inc(),
  };
}

/** The network's metrics: sessions, socket errors, refused and open connections, WebSocket closes, fatal errors. */
function netRecorders(f: Factory): Pick<Metrics, "clients" | "socketError" | "connectionRefused" | "connectionsOpen" | "wsClose" | "fatal"> {
  const clientsGauge = f.gauge(METRICS.netClients);
  const clients = bind(CLIENT_STATES, (s): Setter => clientsGauge.labels({ state: s }));
  const socketErrorsCounter = f.counter(METRICS.netSocketErrors);
  // listener -> stage -> code, 110 series in all, each bound once.
  const socketErrors = bind(LISTENERS, (l) => bind(NET_STAGES, (s) => bind(SOCKET_ERROR_CODES, (c): Incrementer =>
    socketErrorsCounter.labels({ listener: l, stage: s, code: c }))));
  const refusedCounter = f.counter(METRICS.netConnectionsRefused);
  const refused = bind(LISTENERS, (l) => bind(REFUSE_REASONS, (r): Incrementer => refusedCounter.labels({ listener: l, reason: r })));
  const openGauge = f.gauge(METRICS.netConnectionsOpen);
  const open = bind(LISTENERS, (l): Setter => openGauge.labels({ listener: l }));
  const closes = f.counterBy(METRICS.netWsCloses, CLOSE_REASONS);
  const fatal = f.counterBy(METRICS.fatalErrors, FATAL_ORIGINS);
  zero(clients, socketErrors, refused, open, closes, fatal);
  return {
    clients: (c, d) => {
      if (ok(c)) clients.connected.set(c);
      if (ok(d)) clients.disconnected.set(d);
    },
    socketError: (l, s, c) => socketErrors[l]?.[s]?.[c]?.inc(),
    connectionRefused: (l, r) => refused[l]?.[r]?.inc(),
    connectionsOpen: (l, n) => ok(n) && open[l]?.set(n),
    wsClose: (r) => closes[r]?.inc(),
    fatal: (o) => fatal[o]?.inc(),
  };
}

/** The telemetry pipeline's own metrics: suppressed log lines, dropped and exported spans, bad traceparents. */
function internalRecorders(f: Factory): InternalMetrics {
  const logDropped = f.counterBy(METRICS.logDropped, COMPONENTS);
  const spansDropped = f.counterBy(METRICS.traceSpansDropped, SPAN_DROP_REASONS);
  const spansExported = f.counter(METRICS.traceSpansExported);
  const parentInvalid = f.counterBy(METRICS.traceParentInvalid, TRACE_PARENT_INVALID_REASONS);
  zero(logDropped, spansDropped, spansExported, parentInvalid);
  return {
    logDropped: (c) => logDropped[c]?.inc(),
    spansDropped: (r, n) => ok(n) && spansDropped[r]?.inc(n),
    spansExported: (n) => ok(n) && spansExported.inc(n),
    traceParentInvalid: (r) => parentInvalid[r]?.inc(),
  };
}

/** What the client-telemetry routes record: frame and upload times, GPU errors, requests and refusals. */
function clientRecorders(f: Factory): ClientMetrics {
  const frame = f.histogramBy(METRICS.clientFrameTime, EXPERIMENT_VARIANTS);
  const upload = f.histogram(METRICS.clientUploadDuration);
  const uploadBytes = f.counterBy(METRICS.clientUploadBytes, UPLOAD_BUFFERS);
  const gpu = f.counterBy(METRICS.clientGpuErrors, GPU_ERROR_CLASSES);
  const requestsCounter = f.counter(METRICS.clientRequests);
  const requests = bind(CLIENT_ROUTES, (route) => bind(CLIENT_RESULTS, (r): Incrementer => requestsCounter.labels({ route, result: r })));
  const rejectedCounter = f.counter(METRICS.clientRejected);
  // Only the reasons a route can give get a series.
  const rejected = bind(CLIENT_ROUTES, (route) => {
    const byReason: Partial<Record<ClientRejectReason, Incrementer>> = {};
    for (const r of CLIENT_ROUTE_REJECT_REASONS[route]) byReason[r] = rejectedCounter.labels({ route, reason: r });
    return byReason;
  });
  const spansRejected = f.counterBy(METRICS.clientSpansRejected, SPAN_REJECT_REASONS);
  const itemsDropped = f.counterBy(METRICS.clientCrashItemsDropped, DROPPED_ITEM_TYPES);
  zero(uploadBytes, gpu, requests, rejected, spansRejected, itemsDropped);
  return {
    frameTime: (s, v = "none") => ok(s) && (frame[v] ?? frame.none).observe(s),
    uploadDuration: (s) => ok(s) && upload.observe(s),
    uploadBytes: (b, n) => ok(n) && uploadBytes[b]?.inc(n),
    gpuError: (c, n = 1) => ok(n) && gpu[c]?.inc(n),
    request: (route, result) => requests[route]?.[result]?.inc(),
    rejected: (route, reason) => rejected[route]?.[reason]?.inc(),
    spansRejected: (reason, n = 1) => ok(n) && spansRejected[reason]?.inc(n),
    crashItemDropped: (type) => itemsDropped[type]?.inc(),
  };
}

/** Creates the registry, all game and client metrics, and their typed recorders. */
export function createMetrics(opts: MetricsOptions): GameMetrics {
  const registry = new Registry();
  const defaultLabels = { zone: opts.zone, shard: opts.shard };
  registry.setDefaultLabels(defaultLabels);
  const f = factory(registry, defaultLabels);
  const variant: VariantState = { server: "none" };
  const recorders: Metrics = { ...simRecorders(f, variant), ...netRecorders(f), ...flagRecorders(f, variant), ...storeRecorders(f), ...zoneRecorders(f) };
  const internal = internalRecorders(f);
  const client = clientRecorders(f);
  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: PROCESS_METRICS_PREFIX });
    // prom-client exposes these three as gauges named *_total, which breaks the naming rules
    // (promtool check metrics); the per-type gauges beside them sum to the same figure.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
      registry.removeSingleMetric(PROCESS_METRICS_PREFIX + name);
    }
  }
  return { registry, recorders, client, internal };
}
