/**
 * prom-client backend: one private Registry (never the global one, so tests and several
 * servers in one process do not collide) with default labels zone/shard, every metric from
 * the shared METRICS table, and Node process metrics. Labelled series are pre-created from
 * the closed sets, so they exist from the first scrape and recorders are a lookup plus an
 * observe — no label hashing or allocation per call.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
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
  SYSTEMS,
  TRACE_PARENT_INVALID_REASONS,
  UPLOAD_BUFFERS,
} from "../../shared/telemetry/names.ts";
import type {
  ClientRejectReason,
  Component,
  MetricSpec,
  SpanDropReason,
  TraceParentInvalidReason,
} from "../../shared/telemetry/names.ts";
import type { ClientMetrics, Metrics } from "./facade.ts";

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

type Observer = { observe(v: number): void };
type Incrementer = { inc(v?: number): void };
type Setter = { set(v: number): void };

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

/** Creates the registry, all game and client metrics, and their typed recorders. */
export function createMetrics(opts: MetricsOptions): GameMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ zone: opts.zone, shard: opts.shard });
  const registers = [registry];

  const histogram = (spec: MetricSpec): Histogram<string> =>
    new Histogram({
      name: spec.prom, help: help(spec), labelNames: [...spec.labels], buckets: [...(spec.buckets ?? [])], registers,
    });
  const counter = (spec: MetricSpec): Counter<string> =>
    new Counter({ name: spec.prom, help: help(spec), labelNames: [...spec.labels], registers });
  const gauge = (spec: MetricSpec): Gauge<string> =>
    new Gauge({ name: spec.prom, help: help(spec), labelNames: [...spec.labels], registers });

  const tick = histogram(METRICS.tickDuration);
  const systemHist = histogram(METRICS.systemDuration);
  const system = bind(SYSTEMS, (s): Observer => systemHist.labels({ system: s }));
  const queue = gauge(METRICS.voxelQueueLength);
  const dirty = counter(METRICS.chunksDirty);
  const meshed = counter(METRICS.chunksMeshed);
  const mesh = histogram(METRICS.meshDuration);
  const collider = histogram(METRICS.colliderDuration);
  const carve = counter(METRICS.carveRequests);
  const hitsCounter = counter(METRICS.projectileHits);
  const hits = bind(HIT_KINDS, (k): Incrementer => hitsCounter.labels({ kind: k }));
  const snapshot = counter(METRICS.snapshotBytes);
  const delta = counter(METRICS.deltaBytes);
  const clientsGauge = gauge(METRICS.netClients);
  const clients = bind(CLIENT_STATES, (s): Setter => clientsGauge.labels({ state: s }));
  const interest = gauge(METRICS.interestEntities);
  const errorsCounter = counter(METRICS.errors);
  const errors = bind(ERROR_CLASSES, (c): Incrementer => errorsCounter.labels({ class: c }));
  const overBudget = counter(METRICS.ticksOverBudget);
  const socketErrorsCounter = counter(METRICS.netSocketErrors);
  // listener -> stage -> code, 110 series in all, each bound once.
  const socketErrors = bind(LISTENERS, (l) => bind(NET_STAGES, (s) => bind(SOCKET_ERROR_CODES, (c): Incrementer =>
    socketErrorsCounter.labels({ listener: l, stage: s, code: c }))));
  const refusedCounter = counter(METRICS.netConnectionsRefused);
  const refused = bind(LISTENERS, (l) => bind(REFUSE_REASONS, (r): Incrementer => refusedCounter.labels({ listener: l, reason: r })));
  const openGauge = gauge(METRICS.netConnectionsOpen);
  const open = bind(LISTENERS, (l): Setter => openGauge.labels({ listener: l }));
  const closesCounter = counter(METRICS.netWsCloses);
  const closes = bind(CLOSE_REASONS, (r): Incrementer => closesCounter.labels({ reason: r }));
  const fatalCounter = counter(METRICS.fatalErrors);
  const fatal = bind(FATAL_ORIGINS, (o): Incrementer => fatalCounter.labels({ origin: o }));

  const commitHist = histogram(METRICS.storeCommitDuration);
  const commit = bind(STORE_BACKENDS, (b): Observer => commitHist.labels({ backend: b }));
  const pendingEdits = gauge(METRICS.storePendingEdits);
  const fenced = counter(METRICS.storeFenced);
  const recovery = gauge(METRICS.storeRecoveryDuration);
  const compaction = histogram(METRICS.storeCompactionDuration);
  const compactionRowsCounter = counter(METRICS.storeCompactionRows);
  const compactionRows = bind(COMPACTION_ROWS, (k): Incrementer => compactionRowsCounter.labels({ kind: k }));
  const broadcastDelay = histogram(METRICS.carveBroadcastDelay);
  const refusedCarvesCounter = counter(METRICS.carvesRefused);
  const refusedCarves = bind(CARVE_REFUSE_REASONS, (r): Incrementer => refusedCarvesCounter.labels({ reason: r }));

  const logDroppedCounter = counter(METRICS.logDropped);
  const logDropped = bind(COMPONENTS, (c): Incrementer => logDroppedCounter.labels({ component: c }));
  const spansDroppedCounter = counter(METRICS.traceSpansDropped);
  const spansDropped = bind(SPAN_DROP_REASONS, (r): Incrementer => spansDroppedCounter.labels({ reason: r }));
  const spansExported = counter(METRICS.traceSpansExported);
  const parentInvalidCounter = counter(METRICS.traceParentInvalid);
  const parentInvalid = bind(TRACE_PARENT_INVALID_REASONS, (r): Incrementer => parentInvalidCounter.labels({ reason: r }));

  const frame = histogram(METRICS.clientFrameTime);
  const upload = histogram(METRICS.clientUploadDuration);
  const uploadBytesCounter = counter(METRICS.clientUploadBytes);
  const uploadBytes = bind(UPLOAD_BUFFERS, (b): Incrementer => uploadBytesCounter.labels({ buffer: b }));
  const gpuCounter = counter(METRICS.clientGpuErrors);
  const gpu = bind(GPU_ERROR_CLASSES, (c): Incrementer => gpuCounter.labels({ class: c }));
  const requestsCounter = counter(METRICS.clientRequests);
  const requests = bind(CLIENT_ROUTES, (route) => bind(CLIENT_RESULTS, (r): Incrementer => requestsCounter.labels({ route, result: r })));
  const rejectedCounter = counter(METRICS.clientRejected);
  // Only the reasons a route can give get a series.
  const rejected = bind(CLIENT_ROUTES, (route) => {
    const byReason: Partial<Record<ClientRejectReason, Incrementer>> = {};
    for (const r of CLIENT_ROUTE_REJECT_REASONS[route]) byReason[r] = rejectedCounter.labels({ route, reason: r });
    return byReason;
  });
  const spansRejectedCounter = counter(METRICS.clientSpansRejected);
  const spansRejected = bind(SPAN_REJECT_REASONS, (r): Incrementer => spansRejectedCounter.labels({ reason: r }));
  const itemsDroppedCounter = counter(METRICS.clientCrashItemsDropped);
  const itemsDropped = bind(DROPPED_ITEM_TYPES, (t): Incrementer => itemsDroppedCounter.labels({ type: t }));

  // Pre-initialise every labelled series at 0 so dashboards and rate() see them from the first scrape.
  for (const s of SYSTEMS) systemHist.zero({ system: s });
  for (const b of STORE_BACKENDS) commitHist.zero({ backend: b });
  const nested = [...Object.values(refused), ...Object.values(socketErrors).flatMap((byStage) => Object.values(byStage))];
  const labelled = [hits, errors, logDropped, spansDropped, parentInvalid, uploadBytes, gpu, spansRejected, itemsDropped,
    ...Object.values(requests), ...Object.values(rejected), closes, fatal, compactionRows, refusedCarves, ...nested] as Partial<Record<string, Incrementer>>[];
  for (const c of labelled) for (const child of Object.values(c)) child?.inc(0);
  for (const g of [clients, open] as Record<string, Setter>[]) for (const child of Object.values(g)) child.set(0);
  for (const c of [dirty, meshed, carve, snapshot, delta, overBudget, spansExported, fenced]) c.inc(0);
  queue.set(0);
  pendingEdits.set(0);
  recovery.set(0);
  interest.set(0);

  if (opts.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: PROCESS_METRICS_PREFIX });
    // prom-client exposes these three as gauges named *_total, which breaks the naming rules
    // (promtool check metrics); the per-type gauges beside them sum to the same figure.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
      registry.removeSingleMetric(PROCESS_METRICS_PREFIX + name);
    }
  }

  const recorders: Metrics = {
    tickDuration: (s) => ok(s) && tick.observe(s),
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
    clients: (c, d) => {
      if (ok(c)) clients.connected.set(c);
      if (ok(d)) clients.disconnected.set(d);
    },
    interestEntities: (n) => ok(n) && interest.set(n),
    error: (c) => errors[c]?.inc(),
    ticksOverBudget: (n) => ok(n) && overBudget.inc(n),
    socketError: (l, s, c) => socketErrors[l]?.[s]?.[c]?.inc(),
    connectionRefused: (l, r) => refused[l]?.[r]?.inc(),
    connectionsOpen: (l, n) => ok(n) && open[l]?.set(n),
    wsClose: (r) => closes[r]?.inc(),
    fatal: (o) => fatal[o]?.inc(),
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

  const client: ClientMetrics = {
    frameTime: (s) => ok(s) && frame.observe(s),
    uploadDuration: (s) => ok(s) && upload.observe(s),
    uploadBytes: (b, n) => ok(n) && uploadBytes[b]?.inc(n),
    gpuError: (c, n = 1) => ok(n) && gpu[c]?.inc(n),
    request: (route, result) => requests[route]?.[result]?.inc(),
    rejected: (route, reason) => rejected[route]?.[reason]?.inc(),
    spansRejected: (reason, n = 1) => ok(n) && spansRejected[reason]?.inc(n),
    crashItemDropped: (type) => itemsDropped[type]?.inc(),
  };

  const internal: InternalMetrics = {
    logDropped: (c) => logDropped[c]?.inc(),
    spansDropped: (r, n) => ok(n) && spansDropped[r]?.inc(n),
    spansExported: (n) => ok(n) && spansExported.inc(n),
    traceParentInvalid: (r) => parentInvalid[r]?.inc(),
  };

  return { registry, recorders, client, internal };
}
